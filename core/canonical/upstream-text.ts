/**
 * The upstream's own JSON text of a streamed chunk, kept for chunks read
 * from an OpenAI-format stream, so that the OpenAI surface can forward that
 * text instead of serialising the parsed chunk again (JSON.stringify was a
 * tenth of the CPU of a streamed answer). It is the same JSON: the gateway
 * never drops fields it does not know from a chunk.
 *
 * Keyed by the chunk object itself: a copy has no text. A chunk that a
 * plugin may have changed in place is never looked up (see relayStream).
 */
import type { ChatChunk } from './chat.js'

const texts = new WeakMap<ChatChunk, string>()

/** Frames whose data spans lines cannot go out as one `data:` line; they are serialised again. */
const LINE_BREAK = /[\r\n]/

export function keepUpstreamText(chunk: ChatChunk, text: string): void {
  if (!LINE_BREAK.test(text)) texts.set(chunk, text)
}

export function upstreamTextOf(chunk: ChatChunk): string | undefined {
  return texts.get(chunk)
}
