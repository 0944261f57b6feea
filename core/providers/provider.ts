import type { AbortLike } from '../abort.js'
import type { ChatChunk, ChatCompletion, ChatRequest } from '../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js'

/** What one attempt at a provider needs besides the request. */
export interface AttemptContext {
  /** The model name at the provider (the part after "provider/"). */
  model: string
  /** Aborted when the client goes away or the attempt is abandoned. */
  signal: AbortLike
  requestId: string
  /** W3C `traceparent` of this attempt's span, sent upstream; only when tracing is on. */
  traceparent?: string
}

export type ChatResult =
  | { stream: false; completion: ChatCompletion }
  /** Chunks in order; ending the iteration early (return) cancels the upstream request. */
  | { stream: true; chunks: AsyncIterable<ChatChunk> }

/**
 * One configured provider, speaking the canonical (OpenAI) shape on this side
 * and its own wire format upstream. Failures are thrown as UpstreamError.
 */
export interface ProviderAdapter {
  readonly name: string
  readonly type: string
  /** Models to list in /v1/models. */
  readonly models: readonly string[]
  /** The upstream's host and port, for traces (`server.address`); none for in-process providers. */
  readonly server?: { readonly address: string; readonly port: number }
  chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult>
  embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse>
}
