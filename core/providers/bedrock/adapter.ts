/**
 * Amazon Bedrock runtime: canonical chat requests are translated to
 * `POST {base}/model/{modelId}/converse` (or `/converse-stream`, answered as
 * a binary AWS event stream), Titan embeddings go through InvokeModel.
 *
 * Two ways to authenticate, as Bedrock offers: SigV4 with static AWS
 * credentials (signed per request, over exactly the bytes sent), or Bedrock
 * API keys sent as `Authorization: Bearer`, drawn from the key pool with the
 * same health rules as other providers (429 rests a key, 401/403 take it out).
 */
import type { Dispatcher } from 'undici'
import type { ChatRequest } from '../../canonical/chat.js'
import { type EmbeddingsRequest, type EmbeddingsResponse, floatsToBase64 } from '../../canonical/embeddings.js'
import type { PoolKey } from '../../routing/key-pool.js'
import { errorBodyOf } from '../error-body.js'
import { retryAfterSeconds } from '../openai/adapter.js'
import { jsonOf, postUpstream, streamOf, type UpstreamResponse } from '../post-upstream.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { judgeKey, type ProviderKeys, takeKey } from '../provider-keys.js'
import { UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import { isTitanTextEmbeddings, type TitanEmbeddingsResponse, toTitanRequests } from './embeddings.js'
import { errorFromBedrock } from './errors.js'
import { type AwsCredentials, createSigner, signRequest } from './sign.js'
import { converseStreamChunks } from './stream.js'
import { toConverseRequest } from './translate-request.js'
import { type ConverseResponse, fromConverseResponse } from './translate-response.js'

export const bedrockBaseUrl = (region: string): string => `https://bedrock-runtime.${region}.amazonaws.com`

export interface BedrockAdapterOptions {
  name: string
  region: string
  baseUrl: string
  /** SigV4 credentials; when absent, requests carry a Bedrock API key from `keys`. */
  credentials?: AwsCredentials
  keys: ProviderKeys
  headers: Record<string, string>
  models: readonly string[]
  timeoutMs: number
  connections?: number
}

/**
 * A model id (or inference-profile ARN) as one path segment, encoded the way
 * the AWS SDKs encode URI labels: `:` -> `%3A`, `/` -> `%2F`, and also the
 * characters encodeURIComponent leaves alone.
 */
export function encodeModelId(model: string): string {
  return encodeURIComponent(model).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export class BedrockAdapter implements ProviderAdapter {
  readonly name: string
  readonly type = 'bedrock'
  readonly models: readonly string[]
  readonly server: { readonly address: string; readonly port: number }
  readonly #options: BedrockAdapterOptions
  readonly #pool: Dispatcher
  readonly #basePath: string
  readonly #url: URL
  readonly #signer: ReturnType<typeof createSigner> | undefined

  constructor(options: BedrockAdapterOptions, pools: UpstreamPools) {
    this.name = options.name
    this.models = options.models
    this.#options = options
    const endpoint = pools.endpoint(options.baseUrl, { connections: options.connections })
    this.server = endpoint.server
    this.#pool = endpoint.pool
    this.#basePath = endpoint.basePath
    this.#url = new URL(options.baseUrl)
    this.#signer = options.credentials ? createSigner(options.credentials, options.region) : undefined
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    const body = toConverseRequest(request)
    const model = encodeModelId(attempt.model)
    if (request.stream) {
      const response = await this.#post(
        `/model/${model}/converse-stream`,
        body,
        'application/vnd.amazon.eventstream',
        attempt,
        true,
      )
      return {
        stream: true,
        chunks: converseStreamChunks(streamOf(response), attempt.signal, {
          includeUsage: request.stream_options?.include_usage === true,
          model: attempt.model,
          id: completionId(response, attempt),
        }),
      }
    }
    const response = await this.#post(`/model/${model}/converse`, body, 'application/json', attempt, false)
    const answer = jsonOf(response) as ConverseResponse
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.output?.message?.content)) {
      throw new UpstreamError({ errorClass: 'server_error', message: 'the upstream answer is not a Converse response' })
    }
    return {
      stream: false,
      completion: fromConverseResponse(answer, { id: completionId(response, attempt), model: attempt.model }),
    }
  }

  async embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse> {
    if (!isTitanTextEmbeddings(attempt.model)) {
      throw new UpstreamError({
        errorClass: 'not_found',
        status: 404,
        message: `provider '${this.name}' (bedrock) serves embeddings only from Amazon Titan text models (amazon.titan-embed-text-*), not '${attempt.model}'`,
      })
    }
    const bodies = toTitanRequests(request, attempt.model)
    const path = `/model/${encodeModelId(attempt.model)}/invoke`
    const base64 = request.encoding_format === 'base64'
    let tokens = 0
    const data: EmbeddingsResponse['data'] = []
    // Sequential on purpose: a batch fanned out at once would trip Bedrock's per-model request quotas.
    for (const [index, body] of bodies.entries()) {
      const answer = jsonOf(await this.#post(path, body, 'application/json', attempt, false)) as TitanEmbeddingsResponse
      if (!answer || !Array.isArray(answer.embedding)) {
        throw new UpstreamError({ errorClass: 'server_error', message: 'the upstream answer is not a Titan embedding' })
      }
      tokens += typeof answer.inputTextTokenCount === 'number' ? answer.inputTextTokenCount : 0
      data.push({ object: 'embedding', index, embedding: base64 ? floatsToBase64(answer.embedding) : answer.embedding })
    }
    return { object: 'list', data, model: attempt.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
  }

  async #post(
    path: string,
    body: object,
    accept: string,
    attempt: AttemptContext,
    stream: boolean,
  ): Promise<UpstreamResponse> {
    const payload = JSON.stringify(body)
    const fullPath = `${this.#basePath}${path}`
    const { headers, key } = await this.#authorize(fullPath, payload, accept, attempt)
    const response = await postUpstream(this.#pool, {
      path: fullPath,
      headers,
      body: payload,
      signal: attempt.signal,
      timeoutMs: this.#options.timeoutMs,
      stream,
    })
    if (response.statusCode >= 400) {
      const error = bedrockErrorOf(response)
      if (key) judgeKey(this.#options.keys, key, error, attempt.model)
      throw error
    }
    return response
  }

  /** The full header set to send: signed with SigV4, or with a pool key as Bearer (fails uncalled when none is usable). */
  async #authorize(
    path: string,
    payload: string,
    accept: string,
    attempt: AttemptContext,
  ): Promise<{ headers: Record<string, string>; key?: PoolKey }> {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(this.#options.headers)) headers[name.toLowerCase()] = value
    headers['content-type'] = 'application/json'
    headers.accept = accept
    headers['x-request-id'] = attempt.requestId
    if (attempt.traceparent) headers.traceparent = attempt.traceparent
    if (!this.#signer) {
      const key = takeKey(this.#options.keys, attempt.model)
      headers.authorization = `Bearer ${key.value}`
      return { headers, key }
    }
    // Signed explicitly so the signature covers the host the request goes to (undici would send the same).
    headers.host = this.#url.host
    const signed = await signRequest(this.#signer, {
      method: 'POST',
      protocol: this.#url.protocol,
      hostname: this.#url.hostname,
      ...(this.#url.port && { port: Number(this.#url.port) }),
      path,
      headers,
      body: payload,
    })
    return { headers: signed }
  }
}

/** Bedrock's request id names the completion, so a client's id can be found in AWS's logs. */
function completionId(response: UpstreamResponse, attempt: AttemptContext): string {
  const requestId = response.headers['x-amzn-requestid']
  return `chatcmpl-${typeof requestId === 'string' && requestId ? requestId : attempt.requestId}`
}

function bedrockErrorOf(response: UpstreamResponse): UpstreamError {
  const { json, fallbackMessage } = errorBodyOf(response)
  let message = fallbackMessage
  const header = response.headers['x-amzn-errortype']
  let type: string | null = typeof header === 'string' ? header : null
  if (json && typeof json === 'object') {
    const parsed = json as { __type?: unknown; message?: unknown; Message?: unknown }
    const said = typeof parsed.message === 'string' ? parsed.message : parsed.Message
    if (typeof said === 'string') message = said
    if (!type && typeof parsed.__type === 'string') type = parsed.__type
  }
  return errorFromBedrock(response.statusCode, type, message, retryAfterSeconds(response.headers))
}
