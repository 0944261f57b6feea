/**
 * Reads an OpenAI-style SSE body (`data: <json>` frames, `data: [DONE]` at the
 * end) and yields the parsed chunks one by one as they arrive. A mid-stream
 * `{"error": ...}` frame, a dropped connection, a stall, or a body that ends
 * before the answer did becomes an UpstreamError.
 */

import type { Readable } from 'node:stream'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import type { AbortLike } from '../../abort.js'
import type { ChatChunk } from '../../canonical/chat.js'
import { keepUpstreamText } from '../../canonical/upstream-text.js'
import { classifyStatus, toTransportError, UpstreamError } from '../upstream-error.js'

export async function* sseChunks(body: Readable, signal: AbortLike): AsyncGenerator<ChatChunk> {
  const pending: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => pending.push(event) })
  const decoder = new TextDecoder()
  let finished = false
  let done = false
  try {
    for await (const bytes of body) {
      // After [DONE] the rest of the body (usually just its end) is read off, not cut: leaving the loop
      // early destroys an unfinished body, which costs an AbortError and the upstream connection
      // (the OpenAI SDKs read to the end the same way).
      if (done) continue
      parser.feed(decoder.decode(bytes as Buffer, { stream: true }))
      while (pending.length > 0) {
        const event = pending.shift() as EventSourceMessage
        if (event.data === '[DONE]') {
          done = true
          pending.length = 0
          break
        }
        const chunk = parseFrame(event.data)
        keepUpstreamText(chunk, event.data)
        finished ||= chunk.choices?.some((choice) => choice.finish_reason) ?? false
        yield chunk
      }
    }
  } catch (error) {
    // The answer was complete at [DONE]: a connection that breaks afterwards lost nothing.
    if (done) return
    // A reset or a stall mid-stream is the upstream's failure: classified, it can fall back or become an error frame.
    throw toTransportError(error, signal, 'body')
  } finally {
    // Reached on a consumer's early return and on errors: release the socket.
    if (!body.destroyed) body.destroy()
  }
  if (done) return
  // No [DONE]: some servers omit it, which is fine once the answer said it finished; otherwise it was cut short.
  if (!finished) {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: 'the upstream stream ended before the answer was complete',
    })
  }
}

function parseFrame(data: string): ChatChunk {
  let frame: unknown
  try {
    frame = JSON.parse(data)
  } catch {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: 'the upstream stream sent a frame that is not JSON',
    })
  }
  const error = (frame as { error?: { message?: string; code?: string | null; type?: string } }).error
  if (error) {
    const message = error.message ?? 'upstream stream error'
    const code = error.code ?? error.type ?? null
    throw new UpstreamError({ errorClass: classifyStatus(500, code, message), message, code })
  }
  return frame as ChatChunk
}
