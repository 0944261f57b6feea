/**
 * Builds the adapter for a configured provider: the preset table decides the
 * details of the OpenAI family, the mock needs no network at all.
 */

import type { Resolved } from '../config/resolve-env.js'
import type { ProviderConfig } from '../config/schema.js'
import { KeyHealth } from '../routing/key-health.js'
import { KeyPool } from '../routing/key-pool.js'
import {
  ANTHROPIC_BASE_URL,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_DEFAULT_VERSION,
  AnthropicAdapter,
} from './anthropic/adapter.js'
import { BedrockAdapter, bedrockBaseUrl } from './bedrock/adapter.js'
import { COHERE_BASE_URL, CohereAdapter } from './cohere/adapter.js'
import { GEMINI_BASE_URL, GeminiAdapter, vertexBaseUrl } from './gemini/adapter.js'
import { parseServiceAccount } from './gemini/service-account.js'
import type { VertexTokenSources } from './gemini/vertex-token-sources.js'
import { MockAdapter } from './mock/adapter.js'
import { OpenAIAdapter } from './openai/adapter.js'
import { AZURE_OPENAI_PRESET, OPENAI_FAMILY_PRESETS, type OpenAIFamilyPreset } from './openai/presets.js'
import type { ProviderAdapter } from './provider.js'
import type { ProviderKeys } from './provider-keys.js'
import type { UpstreamPools } from './upstream-pools.js'

/** LLM answers can take minutes before the first byte of a non-streamed reply. */
const DEFAULT_TIMEOUT_MS = 600_000

/** What adapters share with the process: warm pools and what routing has learnt about keys. */
export interface ProviderDeps {
  pools: UpstreamPools
  keyHealth: KeyHealth
  keyCooldownMs: number
  onKeyRejected: (provider: string, label: string, status: number) => void
  /** Vertex access tokens, cached per service account across reloads. */
  vertexTokens: VertexTokenSources
}

export function createProvider(name: string, config: Resolved<ProviderConfig>, deps: ProviderDeps): ProviderAdapter {
  if (config.type === 'mock') return new MockAdapter(name, config)
  if (config.type === 'vertex') {
    return new GeminiAdapter(
      {
        name,
        type: 'vertex',
        baseUrl: config.baseUrl ?? vertexBaseUrl(config.location),
        project: config.project,
        location: config.location,
        // Validation checked the file; a throw here would only repeat that problem.
        auth: { kind: 'service-account', tokens: deps.vertexTokens.for(parseServiceAccount(config.serviceAccount)) },
        ...upstreamSettings(config),
      },
      deps.pools,
    )
  }
  const keys = providerKeys(name, config, deps)
  if (config.type === 'gemini') {
    return new GeminiAdapter(
      {
        name,
        type: 'gemini',
        baseUrl: config.baseUrl ?? GEMINI_BASE_URL,
        auth: { kind: 'api-key', keys },
        ...upstreamSettings(config),
      },
      deps.pools,
    )
  }
  if (config.type === 'anthropic') {
    return new AnthropicAdapter(
      {
        name,
        baseUrl: config.baseUrl ?? ANTHROPIC_BASE_URL,
        version: config.version ?? ANTHROPIC_DEFAULT_VERSION,
        maxTokens: config.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        keys,
        ...upstreamSettings(config),
      },
      deps.pools,
    )
  }
  if (config.type === 'cohere') {
    return new CohereAdapter(
      {
        name,
        baseUrl: config.baseUrl ?? COHERE_BASE_URL,
        keys,
        ...upstreamSettings(config),
      },
      deps.pools,
    )
  }
  if (config.type === 'bedrock') {
    return new BedrockAdapter(
      {
        name,
        region: config.region,
        baseUrl: config.baseUrl ?? bedrockBaseUrl(config.region),
        // With credentials every request is SigV4-signed and `keys` go unused (validation allows only one of the two).
        ...(config.credentials && { credentials: config.credentials }),
        keys,
        ...upstreamSettings(config),
      },
      deps.pools,
    )
  }
  const preset: OpenAIFamilyPreset =
    config.type === 'azure-openai' ? AZURE_OPENAI_PRESET : OPENAI_FAMILY_PRESETS[config.type]
  const baseUrl = config.baseUrl ?? preset.baseUrl
  if (!baseUrl) throw new Error(`provider '${name}' has no baseUrl (validation should have caught this)`)
  return new OpenAIAdapter(
    {
      name,
      type: config.type,
      preset,
      baseUrl,
      keys,
      ...upstreamSettings(config),
      ...(config.type === 'azure-openai' && { apiVersion: config.apiVersion, deployments: config.deployments }),
    },
    deps.pools,
  )
}

/** What every hosted provider's adapter takes from its config, defaults applied. */
function upstreamSettings(config: {
  headers?: Record<string, string>
  models?: string[]
  timeoutMs?: number
  connections?: number
}) {
  return {
    headers: config.headers ?? {},
    models: config.models ?? [],
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    connections: config.connections,
  }
}

function providerKeys(
  name: string,
  config: Resolved<Exclude<ProviderConfig, { type: 'mock' } | { type: 'vertex' }>>,
  deps: ProviderDeps,
): ProviderKeys {
  const pool = new KeyPool(
    (config.keys ?? [])
      .filter((key) => typeof key.value === 'string')
      .map((key, i) => ({
        id: KeyHealth.idOf(name, key.value),
        value: key.value,
        label: key.name ?? `${name}#${i}`,
        weight: key.weight ?? 1,
        models: key.models,
      })),
    deps.keyHealth,
  )
  return {
    provider: name,
    pool,
    health: deps.keyHealth,
    cooldownMs: deps.keyCooldownMs,
    onRejected: (label, status) => deps.onKeyRejected(name, label, status),
  }
}
