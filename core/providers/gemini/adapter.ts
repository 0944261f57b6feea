/**
 * Gemini through Google AI Studio (`type: 'gemini'`, API keys in
 * `x-goog-api-key`) or Vertex AI (`type: 'vertex'`, service-account bearer
 * tokens). Both speak the same GenerateContent format under different paths:
 *
 *   AI Studio  {base}/v1beta/models/{model}:generateContent
 *   Vertex     {base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
 *
 * and `:streamGenerateContent?alt=sse` for streams. Keys come from the pool
 * with the same health rules as the other adapters (429 rests a key, 401/403
 * take it out); a Vertex token the upstream rejects is dropped and fetched anew.
 */
import type { Dispatcher } from 'undici'
import type { ChatRequest } from '../../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/embeddings.js'
import type { PoolKey } from '../../routing/key-pool.js'
import { jsonOf, postUpstream, streamOf, type UpstreamResponse } from '../post-upstream.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { judgeKey, type ProviderKeys, takeKey } from '../provider-keys.js'
import { UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import {
  fromBatchEmbedResponse,
  fromVertexPredictResponse,
  toBatchEmbedRequest,
  toVertexPredictRequest,
} from './embeddings.js'
import { googleErrorOf } from './errors.js'
import { geminiChunks } from './stream.js'
import { toGeminiRequest } from './translate-request.js'
import { fromGeminiResponse } from './translate-response.js'
import type { VertexTokenSource } from './vertex-auth.js'
import type { GeminiResponse } from './wire.js'

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com'

/** Vertex's regional endpoint; the `global` location has an unprefixed host. */
export function vertexBaseUrl(location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`
}

export type GeminiAuth =
  | { kind: 'api-key'; keys: ProviderKeys }
  | { kind: 'service-account'; tokens: VertexTokenSource }

export interface GeminiAdapterOptions {
  name: string
  type: 'gemini' | 'vertex'
  baseUrl: string
  /** Vertex only: where the models live. */
  project?: string
  location?: string
  auth: GeminiAuth
  headers: Record<string, string>
  models: readonly string[]
  timeoutMs: number
  connections?: number
}

/** What a call was made with, to judge afterwards. */
type Credential = { kind: 'key'; key: PoolKey } | { kind: 'token'; token: string }

export class GeminiAdapter implements ProviderAdapter {
  readonly name: string
  readonly type: 'gemini' | 'vertex'
  readonly models: readonly string[]
  readonly server: { readonly address: string; readonly port: number }
  readonly #options: GeminiAdapterOptions
  readonly #pool: Dispatcher
  readonly #modelsPath: string
  readonly #tokens: VertexTokenSource | undefined

  constructor(options: GeminiAdapterOptions, pools: UpstreamPools) {
    this.name = options.name
    this.type = options.type
    this.models = options.models
    this.#options = options
    const endpoint = pools.endpoint(options.baseUrl, { connections: options.connections })
    this.server = endpoint.server
    this.#pool = endpoint.pool
    this.#modelsPath =
      options.type === 'vertex'
        ? `${endpoint.basePath}/v1/projects/${encodeURIComponent(options.project ?? '')}/locations/${encodeURIComponent(options.location ?? '')}/publishers/google/models/`
        : `${endpoint.basePath}/v1beta/models/`
    this.#tokens = options.auth.kind === 'service-account' ? options.auth.tokens : undefined
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    const body = toGeminiRequest(request, attempt.model)
    const stream = request.stream === true
    const operation = stream ? 'streamGenerateContent?alt=sse' : 'generateContent'
    const response = await this.#post(operation, body, attempt, stream)
    if (stream) {
      const includeUsage = request.stream_options?.include_usage === true
      return {
        stream: true,
        chunks: geminiChunks(streamOf(response), attempt.signal, { includeUsage, model: attempt.model }),
      }
    }
    const answer = jsonOf(response) as GeminiResponse
    if (!answer || typeof answer !== 'object' || (!Array.isArray(answer.candidates) && !answer.promptFeedback)) {
      throw new UpstreamError({
        errorClass: 'server_error',
        message: 'the upstream answer is not a Gemini GenerateContentResponse',
      })
    }
    return { stream: false, completion: fromGeminiResponse(answer, attempt.model) }
  }

  async embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse> {
    if (this.type === 'vertex') {
      const response = await this.#post('predict', toVertexPredictRequest(request), attempt, false)
      return fromVertexPredictResponse(jsonOf(response), request, attempt.model)
    }
    const response = await this.#post('batchEmbedContents', toBatchEmbedRequest(request, attempt.model), attempt, false)
    return fromBatchEmbedResponse(jsonOf(response), request, attempt.model)
  }

  /** Request headers with a key from the pool or a Vertex token; fails without a call when no key can be used now. */
  async #credentials(attempt: AttemptContext): Promise<{ headers: Record<string, string>; credential: Credential }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.#options.headers,
    }
    if (this.#tokens) {
      const token = await this.#tokens.token(attempt.signal)
      headers.authorization = `Bearer ${token}`
      return { headers, credential: { kind: 'token', token } }
    }
    const auth = this.#options.auth as Extract<GeminiAuth, { kind: 'api-key' }>
    const key = takeKey(auth.keys, attempt.model)
    headers['x-goog-api-key'] = key.value
    return { headers, credential: { kind: 'key', key } }
  }

  async #post(operation: string, body: object, attempt: AttemptContext, stream: boolean): Promise<UpstreamResponse> {
    const { headers, credential } = await this.#credentials(attempt)
    headers['x-request-id'] = attempt.requestId
    if (attempt.traceparent) headers.traceparent = attempt.traceparent
    // A model written "models/gemini-x" (as Google lists them) names the same model.
    const model = attempt.model.replace(/^models\//, '')
    const response = await postUpstream(this.#pool, {
      path: `${this.#modelsPath}${encodeURIComponent(model)}:${operation}`,
      headers,
      body: JSON.stringify(body),
      signal: attempt.signal,
      timeoutMs: this.#options.timeoutMs,
      stream,
    })
    if (response.statusCode >= 400) {
      const error = googleErrorOf(response)
      if (credential.kind === 'key') {
        judgeKey(
          (this.#options.auth as Extract<GeminiAuth, { kind: 'api-key' }>).keys,
          credential.key,
          error,
          attempt.model,
        )
      } else if (error.status === 401) {
        this.#tokens?.invalidate(credential.token)
      }
      throw error
    }
    return response
  }
}
