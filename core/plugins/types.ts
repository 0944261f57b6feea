import type { Logger } from 'pino'
import type { ChatChunk, ChatCompletion, ChatRequest, Usage } from '../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js'
import type { ErrorType, GatewayError } from '../errors.js'

export type Surface = 'openai' | 'anthropic' | 'genai' | 'bedrock'

/** What a plugin sees of a request in flight. `body` may be modified by `onRequest`. */
export interface RequestContext {
  readonly requestId: string
  /** The wire format the client speaks; `body` is always the canonical (OpenAI) request. */
  readonly surface: Surface
  readonly endpoint: 'chat' | 'embeddings'
  body: ChatRequest | EmbeddingsRequest
  /** Incoming headers, lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The authenticated caller: key, team and org names (null when anonymous) and their merged metadata. */
  readonly caller: Caller
  /** What the client says about the request in `x-gateway-metadata` (a JSON object of strings). */
  readonly metadata: Readonly<Record<string, string>>
  /** Free-form labels for logs, set by policies and plugins. */
  readonly tags: Record<string, string>
  /** The route serving the request, once resolved (null for a direct "provider/model" request). */
  route: string | null
  /** Response headers plugins add, e.g. `x-gateway-cache: hit`; sent with the answer. */
  readonly responseHeaders: Record<string, string>
  /** Guardrail verdicts on this request, by plugin (see `api.verdict`); part of the audit record. */
  readonly verdicts: Record<string, GuardrailVerdict>
  /** Plugins a policy required for this request (they run even when scoped to run only on demand). */
  readonly required: Set<string>
  readonly logger: Logger
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal
}

export interface Caller {
  key: string | null
  team: string | null
  org: string | null
  metadata: Readonly<Record<string, string>>
}

/** The summary of a finished request, handed to `onComplete` after the answer is sent. */
export interface CompletionRecord {
  requestId: string
  surface: Surface
  endpoint: 'chat' | 'embeddings'
  stream: boolean
  status: number
  /** The caller's key and team names (never the key itself). */
  key: string | null
  team: string | null
  route: string | null
  provider: string | null
  model: string | null
  attempts: number
  durationMs: number
  /** Streams: until the first chunk reached the client. */
  ttftMs: number | null
  /** Time spent waiting on upstreams (every attempt, retry waits included). */
  upstreamMs: number
  usage: Usage | null
  /** What the request cost, from the provider's usage and the price table. */
  costUsd: number | null
  error: { type: string; code: string; message: string } | null
  tags: Record<string, string>
  /** Guardrail verdicts by plugin. */
  verdicts: Record<string, GuardrailVerdict>
  /**
   * What was asked and answered, for audit sinks: the request body as sent
   * upstream and the answer's text (streams: what was streamed). Never in
   * the log line.
   */
  content: { request: unknown; response: string | null }
}

/** A short-circuit answer from `onRequest` (a cache hit, a canned reply). */
export interface DirectAnswer {
  respond: ChatCompletion
  /**
   * For a stream request: the chunks to send, as they were recorded (a cache
   * replaying a stream). Without them a stream request gets `respond` as one
   * delta per choice.
   */
  chunks?: ChatChunk[]
  /**
   * Bill the answer as if this target had served it with this usage (a cache
   * hit charged at the original price). Without it a direct answer costs nothing.
   */
  charge?: { provider: string; model: string; usage: Usage }
}

export interface PluginHooks {
  /** Before routing: modify `ctx.body`, reject by throwing a GatewayError, or answer directly. */
  onRequest?(ctx: RequestContext): void | DirectAnswer | Promise<void | DirectAnswer>
  /** Before each upstream attempt (retries and fallbacks included); throw a GatewayError to veto the attempt. */
  onAttempt?(ctx: RequestContext, target: AttemptTarget): void | Promise<void>
  /** A complete (non-stream) chat answer; return a replacement to modify it. */
  onResponse?(ctx: RequestContext, response: ChatCompletion): void | ChatCompletion | Promise<void | ChatCompletion>
  /**
   * One canonical stream chunk, including the usage-only chunk (`choices: []`)
   * the gateway always asks upstreams for, whether or not the client asked
   * for usage; the client's surface decides what it shows. Return a
   * replacement, or `null` to drop it. Synchronous: it is on the stream's hot path.
   */
  onChunk?(ctx: RequestContext, chunk: ChatChunk): void | null | ChatChunk
  /** After the answer has been sent. Errors here are logged, never seen by the client. */
  onComplete?(record: CompletionRecord, ctx: RequestContext): void | Promise<void>
  /** When the runtime that created these hooks is retired (after its in-flight requests end) or at shutdown. */
  close?(): void | Promise<void>
}

/** The upstream an attempt is about to call. */
export interface AttemptTarget {
  provider: string
  model: string
  /** 1 for the first attempt of the request. */
  attempt: number
}

/** Key-value storage for a plugin, namespaced by its name, shared by replicas when the store is Redis. */
export interface PluginStore {
  get<T = unknown>(key: string): Promise<T | undefined>
  /** `ttlMs`: forget the entry after this long. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>
  delete(key: string): Promise<boolean>
}

/** Metrics a plugin may declare; names are prefixed `gateway_plugin_<plugin>_` and kept across reloads. */
export interface PluginMetrics {
  counter(
    name: string,
    help: string,
    labelNames?: readonly string[],
  ): { inc(labels?: Record<string, string>, value?: number): void }
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: number[],
  ): { observe(labels: Record<string, string>, value: number): void }
  /** A value that goes up and down (a queue's length, a spool's size). */
  gauge(
    name: string,
    help: string,
    labelNames?: readonly string[],
  ): { set(labels: Record<string, string>, value: number): void }
}

export interface PluginApi {
  /** A child logger that names the plugin. */
  readonly logger: Logger
  /** Storage that survives reloads (memory, or Redis with `store: redis`). */
  readonly store: PluginStore
  readonly metrics: PluginMetrics
  /** Reads an environment variable (plugins should not read `process.env` directly). */
  env(name: string): string | undefined
  /** Directory of the config file, for resolving relative paths. */
  readonly configDir: string
  /**
   * The error that refuses the request with this answer: `throw api.reject({ code, message })` from a
   * request-phase hook. For plugins that do not import llm-gateway (and so not its GatewayError).
   */
  reject(rejection: PluginRejection): GatewayError
  /**
   * Reports a guardrail's verdict: counted in gateway_guardrail_verdicts_total,
   * and, given the request's context, kept in its audit record.
   */
  verdict(verdict: GuardrailVerdict, ctx?: RequestContext): void
  /**
   * The gateway's own provider layer, for plugins that need a model (a
   * moderation check, embeddings for a semantic cache): the request goes
   * through routing, retries and fallbacks, but not through governance,
   * policies or plugins, so it cannot recurse.
   */
  readonly gateway: InternalCalls
  /** Reports a cache lookup: counted in gateway_cache_lookups_total. */
  cacheLookup(result: 'hit' | 'miss'): void
}

export interface InternalCalls {
  chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatCompletion>
  embeddings(request: EmbeddingsRequest, signal?: AbortSignal): Promise<EmbeddingsResponse>
}

/** The verdicts a guardrail reports; a closed set, so metric labels stay bounded. */
export type GuardrailVerdict = 'allow' | 'block' | 'redact' | 'flag' | 'error'

/** How a plugin refuses a request; the surface renders it in its wire format (OpenAI: `{ error: {...} }`). */
export interface PluginRejection {
  /** HTTP status, 400 to 599; default 400. */
  status?: number
  /** Machine-readable, e.g. `word_blocked`. */
  code: string
  message: string
  /** The request field at fault, in OpenAI's form: `messages[2].content`. */
  param?: string | null
  /** Default from the status: 400 invalid_request_error, 401 authentication_error, 403 permission_error,
   * 404 not_found_error, 429 rate_limit_error, other 4xx invalid_request_error, 5xx api_error. */
  type?: ErrorType
  /** Response headers, e.g. `retry-after`. */
  headers?: Record<string, string>
}

/** A JSON Schema object describing a plugin's options. */
export type JsonSchema = Record<string, unknown>

export interface PluginDefinition<Options = Record<string, unknown>> {
  name: string
  /** JSON Schema for the options; `gateway check` validates them against it. */
  options?: JsonSchema
  setup(options: Options, api: PluginApi): PluginHooks | Promise<PluginHooks>
  /**
   * Checks the options cannot express as JSON Schema (a regex's syntax, say),
   * so `gateway check` reports them without running `setup`: return the
   * problems, one sentence each, or nothing.
   */
  validate?(options: Options): string[] | undefined
}

/** A plugin together with its options, as it appears in `plugins: [...]`. */
export interface PluginInstance<Options = Record<string, unknown>> {
  plugin: PluginDefinition<Options>
  options: Options
}

/** What `definePlugin` returns: call it with options to get a config entry. */
export interface PluginFactory<Options = Record<string, unknown>> {
  (options?: Options): PluginInstance<Options>
  readonly definition: PluginDefinition<Options>
}
