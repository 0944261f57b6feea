/**
 * Cohere v2: canonical requests are translated to `POST {base}/v2/chat` and
 * `POST {base}/v2/embed` (Authorization: Bearer), answers and stream events
 * back to the canonical shape. Keys come from the pool with the same health
 * rules as the other adapters (429 rests a key, 401 and Cohere's 498 take it out).
 */
import type { Dispatcher } from 'undici'
import type { ChatRequest } from '../../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/embeddings.js'
import { retryAfterSeconds } from '../openai/adapter.js'
import { jsonOf, postUpstream, streamOf, type UpstreamResponse } from '../post-upstream.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { judgeKey, type ProviderKeys, takeKey } from '../provider-keys.js'
import { UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import { type CohereEmbedResponse, fromCohereEmbedResponse, toCohereEmbedRequest } from './embeddings.js'
import { errorFromCohere, messageOfErrorBody } from './errors.js'
import { cohereChunks } from './stream.js'
import { toCohereRequest } from './translate-request.js'
import { type CohereChatResponse, fromCohereResponse } from './translate-response.js'

export const COHERE_BASE_URL = 'https://api.cohere.com'

export interface CohereAdapterOptions {
  name: string
  baseUrl: string
  /** The provider's key pool and what happens when a key is rate limited or rejected. */
  keys: ProviderKeys
  headers: Record<string, string>
  models: readonly string[]
  timeoutMs: number
  connections?: number
}

export class CohereAdapter implements ProviderAdapter {
  readonly name: string
  readonly type = 'cohere'
  readonly models: readonly string[]
  readonly server: { readonly address: string; readonly port: number }
  readonly #options: CohereAdapterOptions
  readonly #pool: Dispatcher
  readonly #basePath: string

  constructor(options: CohereAdapterOptions, pools: UpstreamPools) {
    this.name = options.name
    this.models = options.models
    this.#options = options
    const endpoint = pools.endpoint(options.baseUrl, { connections: options.connections })
    this.server = endpoint.server
    this.#pool = endpoint.pool
    this.#basePath = endpoint.basePath
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    const body = toCohereRequest(request, attempt.model)
    const stream = request.stream === true
    const response = await this.#post('/v2/chat', body, attempt, stream)
    if (stream) {
      const includeUsage = request.stream_options?.include_usage === true
      return {
        stream: true,
        chunks: cohereChunks(streamOf(response), attempt.signal, { includeUsage, model: attempt.model }),
      }
    }
    const answer = jsonOf(response) as CohereChatResponse
    if (!answer || typeof answer !== 'object' || !answer.message || typeof answer.message !== 'object') {
      throw new UpstreamError({
        errorClass: 'server_error',
        message: 'the upstream answer is not a Cohere chat response',
      })
    }
    return { stream: false, completion: fromCohereResponse(answer, attempt.model) }
  }

  async embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse> {
    const body = toCohereEmbedRequest(request, attempt.model)
    const response = await this.#post('/v2/embed', body, attempt, false)
    const answer = jsonOf(response) as CohereEmbedResponse
    if (!answer || typeof answer !== 'object') {
      throw new UpstreamError({
        errorClass: 'server_error',
        message: 'the upstream answer is not a Cohere embed response',
      })
    }
    return fromCohereEmbedResponse(answer, request, attempt.model, body.texts.length)
  }

  async #post(path: string, body: object, attempt: AttemptContext, stream: boolean): Promise<UpstreamResponse> {
    // Taken before anything else: with no usable key the upstream is not called at all.
    const key = takeKey(this.#options.keys, attempt.model)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.#options.headers,
      authorization: `Bearer ${key.value}`,
      'x-request-id': attempt.requestId,
    }
    if (attempt.traceparent) headers.traceparent = attempt.traceparent
    const response = await postUpstream(this.#pool, {
      path: `${this.#basePath}${path}`,
      headers,
      body: JSON.stringify(body),
      signal: attempt.signal,
      timeoutMs: this.#options.timeoutMs,
      stream,
    })
    if (response.statusCode >= 400) {
      const error = cohereErrorOf(response)
      judgeKey(this.#options.keys, key, error, attempt.model)
      throw error
    }
    return response
  }
}

function cohereErrorOf(response: UpstreamResponse): UpstreamError {
  const message = messageOfErrorBody(response.text, response.statusCode)
  return errorFromCohere(response.statusCode, message, retryAfterSeconds(response.headers))
}
