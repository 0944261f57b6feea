/**
 * The OpenAI wire format, for OpenAI itself and every preset of its family
 * (Azure included). The canonical shape is OpenAI's, so requests go out as
 * they are (with the provider's model name) and answers come back as they are.
 */
import type { Dispatcher } from 'undici'
import type { ChatCompletion, ChatRequest } from '../../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/embeddings.js'
import type { PoolKey } from '../../routing/key-pool.js'
import { errorBodyOf } from '../error-body.js'
import { jsonOf, postUpstream, streamOf, type UpstreamResponse } from '../post-upstream.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { judgeKey, type ProviderKeys, takeKey } from '../provider-keys.js'
import { classifyStatus, UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import type { OpenAIFamilyPreset } from './presets.js'
import { sseChunks } from './sse-chunks.js'

export interface OpenAIAdapterOptions {
  name: string
  type: string
  preset: OpenAIFamilyPreset
  baseUrl: string
  /** The provider's key pool and what happens when a key is rate limited or rejected. */
  keys: ProviderKeys
  headers: Record<string, string>
  models: readonly string[]
  timeoutMs: number
  connections?: number
  /** Azure only. */
  apiVersion?: string
  deployments?: Record<string, string>
}

export class OpenAIAdapter implements ProviderAdapter {
  readonly name: string
  readonly type: string
  readonly models: readonly string[]
  readonly server: { readonly address: string; readonly port: number }
  readonly #options: OpenAIAdapterOptions
  readonly #keys: ProviderKeys
  readonly #pool: Dispatcher
  readonly #basePath: string

  constructor(options: OpenAIAdapterOptions, pools: UpstreamPools) {
    this.#keys = options.keys
    this.name = options.name
    this.type = options.type
    this.models = options.models
    this.#options = options
    const endpoint = pools.endpoint(options.baseUrl, { connections: options.connections })
    this.server = endpoint.server
    this.#pool = endpoint.pool
    this.#basePath = endpoint.basePath
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    const stream = request.stream === true
    const response = await this.#post(
      '/chat/completions',
      { ...withoutThinkingBlocks(request), model: attempt.model },
      attempt,
      stream,
    )
    if (stream) return { stream: true, chunks: sseChunks(streamOf(response), attempt.signal) }
    return { stream: false, completion: jsonOf(response) as ChatCompletion }
  }

  async embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse> {
    if (!this.#options.preset.embeddings) {
      throw new UpstreamError({
        errorClass: 'not_found',
        status: 404,
        message: `provider '${this.name}' (${this.type}) does not serve embeddings`,
      })
    }
    const response = await this.#post('/embeddings', { ...request, model: attempt.model }, attempt, false)
    return jsonOf(response) as EmbeddingsResponse
  }

  /** Path for an operation: appended to the base URL, or under the Azure deployment. */
  #pathFor(operation: string, model: string): string {
    if (this.#options.preset.modelIn === 'body') return this.#basePath + operation
    const deployment = this.#options.deployments?.[model] ?? model
    const query = new URLSearchParams({ 'api-version': this.#options.apiVersion ?? '' })
    return `${this.#basePath}/openai/deployments/${encodeURIComponent(deployment)}${operation}?${query}`
  }

  /** Request headers with a key from the pool; fails without a call when no key can be used now. */
  #credentials(model: string): { headers: Record<string, string>; key: PoolKey | undefined } {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.#options.headers,
    }
    if (this.#keys.pool.size === 0 && !this.#options.preset.keyRequired) return { headers, key: undefined }
    const key = takeKey(this.#keys, model)
    if (this.#options.preset.authHeader === 'api-key') headers['api-key'] = key.value
    else headers.authorization = `Bearer ${key.value}`
    return { headers, key }
  }

  async #post(operation: string, body: object, attempt: AttemptContext, stream: boolean): Promise<UpstreamResponse> {
    const { headers, key } = this.#credentials(attempt.model)
    headers['x-request-id'] = attempt.requestId
    if (attempt.traceparent) headers.traceparent = attempt.traceparent
    const response = await postUpstream(this.#pool, {
      path: this.#pathFor(operation, attempt.model),
      headers,
      body: JSON.stringify(body),
      signal: attempt.signal,
      timeoutMs: this.#options.timeoutMs,
      stream,
    })
    if (response.statusCode >= 400) {
      const error = upstreamErrorOf(response)
      if (key) judgeKey(this.#keys, key, error, attempt.model)
      throw error
    }
    return response
  }
}

function upstreamErrorOf(response: UpstreamResponse): UpstreamError {
  const { json, fallbackMessage } = errorBodyOf(response)
  const body = (
    json as
      | { error?: { message?: string; code?: string | null; type?: string; param?: string | null } | string }
      | null
      | undefined
  )?.error
  let message = fallbackMessage
  let code: string | null = null
  let type: string | null = null
  let param: string | null = null
  if (typeof body === 'string') message = body
  else if (body) {
    message = body.message ?? message
    code = body.code ?? null
    type = body.type ?? null
    param = body.param ?? null
  }
  const errorClass = classifyStatus(response.statusCode, code ?? type, message)
  return new UpstreamError({
    errorClass,
    status: response.statusCode,
    code,
    param,
    message,
    retryAfterSeconds: retryAfterSeconds(response.headers),
  })
}

export function retryAfterSeconds(headers: UpstreamResponse['headers']): number | undefined {
  const ms = Number(headers['retry-after-ms'])
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000
  const raw = headers['retry-after']
  if (typeof raw !== 'string') return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return seconds
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

/**
 * Thinking blocks are the gateway's record of Anthropic's reasoning (see
 * `ThinkingBlock`); no OpenAI-family upstream knows the field, and some
 * reject unknown message fields.
 */
function withoutThinkingBlocks(request: ChatRequest): ChatRequest {
  if (!request.messages.some((message) => message.thinking_blocks !== undefined)) return request
  return {
    ...request,
    messages: request.messages.map(({ thinking_blocks: _blocks, ...message }) => message),
  }
}
