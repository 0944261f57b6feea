/**
 * An upstream's server-sent events, yielded one by one as the bytes arrive,
 * for the adapters that translate a provider's SSE stream into canonical
 * chunks. A connection that breaks or stalls mid-stream becomes an
 * UpstreamError; the body is destroyed however the reading ends (finished,
 * failed, or the consumer stopping early), so the pooled connection is freed.
 */

import type { Readable } from 'node:stream'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import type { AbortLike } from '../abort.js'
import { toTransportError, UpstreamError } from './upstream-error.js'

/**
 * An event's data as the JSON object it must be (other JSON counts as an
 * empty object); data that is not JSON fails the stream.
 */
export function sseEventData(event: EventSourceMessage): object {
  let data: unknown
  try {
    data = JSON.parse(event.data)
  } catch {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: 'the upstream stream sent an event that is not JSON',
    })
  }
  return data && typeof data === 'object' ? data : {}
}

export async function* sseEvents(body: Readable, signal: AbortLike): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => pending.push(event) })
  const decoder = new TextDecoder()
  try {
    for await (const bytes of body) {
      parser.feed(decoder.decode(bytes as Buffer, { stream: true }))
      while (pending.length > 0) yield pending.shift() as EventSourceMessage
    }
  } catch (error) {
    throw toTransportError(error, signal, 'body')
  } finally {
    if (!body.destroyed) body.destroy()
  }
}
