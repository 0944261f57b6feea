/**
 * The package's public API: what a user's `gateway.config.ts` and a plugin
 * package import. Kept free of runtime dependencies on purpose: configs are
 * re-evaluated on every reload, and so is everything they import. The server
 * itself is the `./server` export (core/gateway.ts).
 */

export type { ChatChunk, ChatCompletion, ChatMessage, ChatRequest, Usage } from './canonical/chat.js'
export type { EmbeddingsRequest, EmbeddingsResponse } from './canonical/embeddings.js'
export { defineConfig, type UserConfig } from './config/define.js'
export { env } from './config/env.js'
export type {
  EnvRef,
  GatewayConfig,
  PluginUse,
  PolicyConfig,
  ProviderConfig,
  RouteConfig,
  RouteTargetConfig,
} from './config/schema.js'
export { type ErrorType, GatewayError } from './errors.js'
export { definePlugin } from './plugins/define.js'
export type {
  CompletionRecord,
  DirectAnswer,
  PluginApi,
  PluginDefinition,
  PluginFactory,
  PluginHooks,
  PluginInstance,
  PluginRejection,
  RequestContext,
} from './plugins/types.js'
