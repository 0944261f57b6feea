/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`)
 * that ConverseStream answers in, both ways: decoding frames that may arrive
 * split across (or packed into) network reads, and encoding one message. The
 * encoder is used by the test upstream today and by an inbound Bedrock
 * surface later, so both directions live here.
 *
 * A frame is: total length (u32), headers length (u32), prelude CRC32,
 * headers, payload, message CRC32. `EventStreamCodec` checks both CRCs and
 * parses the typed headers, but decodes exactly one whole frame: the
 * buffering up to a frame boundary is ours.
 */
import type { EventStreamCodec, Message, MessageHeaders } from '@smithy/core/event-streams'
import { fromUtf8, smithyEventStreams, toUtf8 } from './smithy.js'

/** One decoded event-stream message with its routing headers read out. */
export interface EventStreamMessage {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string
  /** `:event-type` for events, `:exception-type` for exceptions, `:error-code` for errors. */
  type: string
  headers: MessageHeaders
  /** The payload as bytes; Bedrock's payloads are JSON. */
  body: Uint8Array
}

/** Smallest legal frame: prelude (12) + message CRC (4). */
const MIN_FRAME = 16
/** The protocol's own limit on one frame (16 MiB); a larger length means a corrupt or hostile stream. */
const MAX_FRAME = 16 * 1024 * 1024

let eventStreamCodec: EventStreamCodec | undefined
/** Made on first use, so @smithy loads only when Bedrock is used. */
const codec = (): EventStreamCodec => {
  eventStreamCodec ??= new (smithyEventStreams().EventStreamCodec)(toUtf8, fromUtf8)
  return eventStreamCodec
}

export class EventStreamDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EventStreamDecodeError'
  }
}

/**
 * Reassembles frames from arbitrary byte chunks. `push` returns every frame
 * completed by the chunk; an unfinished frame waits for the next one.
 */
export class EventStreamDecoder {
  #buffer: Uint8Array = new Uint8Array(0)

  push(chunk: Uint8Array): EventStreamMessage[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : concat(this.#buffer, chunk)
    const messages: EventStreamMessage[] = []
    while (this.#buffer.length >= 4) {
      const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength)
      const length = view.getUint32(0, false)
      if (length < MIN_FRAME || length > MAX_FRAME) {
        throw new EventStreamDecodeError(`event-stream frame of impossible length ${length}`)
      }
      if (this.#buffer.length < length) break
      const frame = this.#buffer.subarray(0, length)
      this.#buffer = this.#buffer.subarray(length)
      messages.push(readMessage(decodeFrame(frame)))
    }
    return messages
  }

  /** Bytes of a frame that has started but not finished: non-zero at end of stream means it was cut. */
  get pendingBytes(): number {
    return this.#buffer.length
  }
}

/** Decodes a stream of byte chunks into messages, one by one as frames complete. */
export async function* decodeEventStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<EventStreamMessage> {
  const decoder = new EventStreamDecoder()
  for await (const chunk of chunks) yield* decoder.push(chunk)
  if (decoder.pendingBytes > 0) throw new EventStreamDecodeError('the event stream ended inside a frame')
}

/** What one outgoing message says; the payload is serialised as JSON. */
export type EventStreamOutgoing =
  | { messageType: 'event'; eventType: string; payload: unknown }
  | { messageType: 'exception'; exceptionType: string; payload: unknown }

/** Encodes one message as a complete frame, with the headers the AWS SDKs read. */
export function encodeEventStreamMessage(message: EventStreamOutgoing): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': { type: 'string', value: message.messageType },
    ...(message.messageType === 'event'
      ? { ':event-type': { type: 'string', value: message.eventType } }
      : { ':exception-type': { type: 'string', value: message.exceptionType } }),
    ':content-type': { type: 'string', value: 'application/json' },
  }
  return codec().encode({ headers, body: fromUtf8(JSON.stringify(message.payload)) })
}

function decodeFrame(frame: Uint8Array): Message {
  try {
    return codec().decode(frame)
  } catch (error) {
    // CRC mismatches and malformed headers: the bytes were damaged on the way.
    throw new EventStreamDecodeError(`corrupt event-stream frame: ${(error as Error).message}`)
  }
}

function readMessage(message: Message): EventStreamMessage {
  const header = (name: string): string => {
    const value = message.headers[name]
    return value?.type === 'string' ? value.value : ''
  }
  const messageType = header(':message-type')
  const type =
    messageType === 'exception'
      ? header(':exception-type')
      : messageType === 'error'
        ? header(':error-code')
        : header(':event-type')
  return { messageType, type, headers: message.headers, body: message.body }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
