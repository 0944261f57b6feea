/**
 * A chat surface is one wire format clients speak to the gateway (OpenAI chat
 * completions, Anthropic Messages, Gemini generateContent, Bedrock Converse).
 * Every surface shares one serving path (policies, governance, plugins,
 * routing on the canonical request); a surface only says how a canonical
 * answer, stream and error look on its wire.
 */
import type { Response } from 'express'
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../canonical/chat.js'
import type { GatewayError } from '../../errors.js'
import type { Surface } from '../../plugins/types.js'

export type Frame = string | Uint8Array

/** What a surface may need besides the answer itself. */
export interface AnswerContext {
  /** The canonical request as it was served (after policies and plugins). */
  readonly request: ChatRequest
  /** Milliseconds since the gateway began serving the request (Converse reports it as `latencyMs`). */
  elapsedMs(): number
}

export interface ChatSurface {
  readonly name: Surface
  /** A complete answer as this surface's JSON body. */
  renderCompletion(completion: ChatCompletion, answer: AnswerContext): unknown
  /** A fresh encoder for one streamed answer (encoders keep per-stream state). */
  streamEncoder(answer: AnswerContext): StreamEncoder
  /** An error before any byte of the answer went out, in this surface's format and status. */
  sendError(res: Response, error: GatewayError, scrub: (text: string) => string): void
}

/**
 * Turns canonical chunks into this surface's stream frames. The encoder sees
 * every chunk, including the usage-only chunk the gateway always asks the
 * upstream for; it decides what its client is shown.
 */
export interface StreamEncoder {
  readonly contentType: string
  /**
   * Frames for one canonical chunk; null when it shows nothing on this
   * surface. `upstreamText` is the upstream's JSON of this very chunk, given
   * only when the chunk arrived unchanged from an OpenAI-format stream.
   */
  chunk(chunk: ChatChunk, upstreamText?: string): Frame | null
  /** The frames that close a complete stream. */
  end(): Frame | null
  /** A failure after the stream began, as this surface signals one mid-stream. */
  error(error: GatewayError, scrub: (text: string) => string): Frame | null
}
