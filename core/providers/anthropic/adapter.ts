/**
 * Anthropic Messages API: canonical requests are translated to
 * `POST {base}/v1/messages` (x-api-key + anthropic-version), answers and
 * stream events back to the canonical shape. Keys come from the pool with the
 * same health rules as the OpenAI family (429 rests a key, 401/403 take it out).
 */
import type { Dispatcher } from 'undici'
import type { ChatRequest } from '../../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/embeddings.js'
import type { PoolKey } from '../../routing/key-pool.js'
import { errorBodyOf } from '../error-body.js'
import { retryAfterSeconds } from '../openai/adapter.js'
import { jsonOf, postUpstream, streamOf, type UpstreamResponse } from '../post-upstream.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { judgeKey, type ProviderKeys, takeKey } from '../provider-keys.js'
import { UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import { errorFromAnthropic } from './errors.js'
import { anthropicChunks } from './stream.js'
import { toAnthropicRequest } from './translate-request.js'
import { type AnthropicResponse, fromAnthropicResponse } from './translate-response.js'

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com'
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01'
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

export interface AnthropicAdapterOptions {
  name: string
  baseUrl: string
  version: string
  /** max_tokens for requests that set none. */
  maxTokens: number
  /** The provider's key pool and what happens when a key is rate limited or rejected. */
  keys: ProviderKeys
  headers: Record<string, string>
  models: readonly string[]
  timeoutMs: number
  connections?: number
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly name: string
  readonly type = 'anthropic'
  readonly models: readonly string[]
  readonly server: { readonly address: string; readonly port: number }
  readonly #options: AnthropicAdapterOptions
  readonly #keys: ProviderKeys
  readonly #pool: Dispatcher
  readonly #basePath: string

  constructor(options: AnthropicAdapterOptions, pools: UpstreamPools) {
    this.#keys = options.keys
    this.name = options.name
    this.models = options.models
    this.#options = options
    const endpoint = pools.endpoint(options.baseUrl, { connections: options.connections })
    this.server = endpoint.server
    this.#pool = endpoint.pool
    this.#basePath = endpoint.basePath
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    const body = toAnthropicRequest(request, attempt.model, this.#options.maxTokens)
    const stream = request.stream === true
    const response = await this.#post(body, attempt, stream)
    if (stream) {
      const includeUsage = request.stream_options?.include_usage === true
      return {
        stream: true,
        chunks: anthropicChunks(streamOf(response), attempt.signal, { includeUsage, model: attempt.model }),
      }
    }
    const answer = jsonOf(response) as AnthropicResponse
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.content)) {
      throw new UpstreamError({
        errorClass: 'server_error',
        message: 'the upstream answer is not an Anthropic message',
      })
    }
    return { stream: false, completion: fromAnthropicResponse(answer) }
  }

  async embeddings(_request: EmbeddingsRequest, _attempt: AttemptContext): Promise<EmbeddingsResponse> {
    throw new UpstreamError({
      errorClass: 'not_found',
      status: 404,
      message: `provider '${this.name}' (anthropic) does not serve embeddings`,
    })
  }

  /** Request headers with a key from the pool; fails without a call when no key can be used now. */
  #credentials(model: string): { headers: Record<string, string>; key: PoolKey } {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'anthropic-version': this.#options.version,
      ...this.#options.headers,
    }
    const key = takeKey(this.#keys, model)
    headers['x-api-key'] = key.value
    return { headers, key }
  }

  async #post(body: object, attempt: AttemptContext, stream: boolean): Promise<UpstreamResponse> {
    const { headers, key } = this.#credentials(attempt.model)
    headers['x-request-id'] = attempt.requestId
    if (attempt.traceparent) headers.traceparent = attempt.traceparent
    const response = await postUpstream(this.#pool, {
      path: `${this.#basePath}/v1/messages`,
      headers,
      body: JSON.stringify(body),
      signal: attempt.signal,
      timeoutMs: this.#options.timeoutMs,
      stream,
    })
    if (response.statusCode >= 400) {
      const error = anthropicErrorOf(response)
      judgeKey(this.#keys, key, error, attempt.model)
      throw error
    }
    return response
  }
}

function anthropicErrorOf(response: UpstreamResponse): UpstreamError {
  const { json, fallbackMessage } = errorBodyOf(response)
  const body = (json as { error?: { type?: string; message?: string } } | null | undefined)?.error
  let message = fallbackMessage
  let type: string | null = null
  if (body && typeof body === 'object') {
    message = body.message ?? message
    type = body.type ?? null
  }
  return errorFromAnthropic(response.statusCode, type, message, retryAfterSeconds(response.headers))
}
