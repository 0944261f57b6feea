/**
 * The one HTTP call every adapter makes: a POST over the provider's
 * connection pool. The attempt's timeout bounds both the wait for the
 * response headers and each pause in the body, so a stalled upstream fails
 * the attempt instead of holding it; a call that never got a response
 * becomes a transport UpstreamError (client aborts pass through).
 *
 * An answer that is not streamed is read whole through undici's dispatch
 * API: a handler that collects the bytes. undici's `request` would wrap the
 * same bytes in a stream, a promise per read and a signal per call, which
 * measured at a third more CPU per call than the upstream round trip needs.
 * Streams keep `request`, whose body applies backpressure frame by frame.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { AbortLike } from '../abort.js'
import { toTransportError, UpstreamError } from './upstream-error.js'

export interface UpstreamPost {
  /** Full path on the pool's origin, base path included. */
  path: string
  headers: Record<string, string>
  /** The serialized body, exactly as sent (and, for Bedrock, as signed). */
  body: string
  signal: AbortLike
  timeoutMs: number
  /** Whether a successful answer is read as it arrives (true) or whole (false). */
  stream: boolean
}

export interface UpstreamResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  /**
   * The body as text: the whole answer when it is not streamed, and every
   * error answer, up to ERROR_BODY_LIMIT; empty for a successful stream.
   */
  text: string
  /** A successful stream's body, read as it arrives. */
  body: Readable | undefined
}

/**
 * Largest error body kept: an error body is for a message and a code, and a
 * misbehaving upstream or proxy must not make the gateway buffer a whole page.
 */
export const ERROR_BODY_LIMIT = 64 * 1024

export function postUpstream(pool: Dispatcher, post: UpstreamPost): Promise<UpstreamResponse> {
  return post.stream ? openStream(pool, post) : readWhole(pool, post)
}

/** A successful answer's body as JSON; a body that is not JSON is the upstream's failure. */
export function jsonOf(response: UpstreamResponse): unknown {
  try {
    return JSON.parse(response.text)
  } catch {
    throw new UpstreamError({ errorClass: 'server_error', message: 'the upstream answer is not valid JSON' })
  }
}

/** A successful stream's body (only `stream: true` posts have one). */
export function streamOf(response: UpstreamResponse): Readable {
  if (!response.body) throw new Error('the upstream answer was read whole, not streamed')
  return response.body
}

async function openStream(pool: Dispatcher, post: UpstreamPost): Promise<UpstreamResponse> {
  let response: Dispatcher.ResponseData
  try {
    response = await pool.request({
      method: 'POST',
      path: post.path,
      headers: post.headers,
      body: post.body,
      // undici takes any EventTarget-like signal (it only listens for 'abort'), so no AbortSignal is made for it.
      signal: post.signal as AbortSignal,
      headersTimeout: post.timeoutMs,
      bodyTimeout: post.timeoutMs,
    })
  } catch (error) {
    throw toTransportError(error, post.signal)
  }
  if (response.statusCode < 400) {
    return { statusCode: response.statusCode, headers: response.headers, text: '', body: response.body }
  }
  let text = ''
  try {
    for await (const chunk of response.body) {
      if (text.length < ERROR_BODY_LIMIT) text += (chunk as Buffer).toString('utf8')
    }
  } catch {
    // The connection broke while the error arrived: it is classified by its status and what was read.
  }
  return { statusCode: response.statusCode, headers: response.headers, text, body: undefined }
}

function readWhole(pool: Dispatcher, post: UpstreamPost): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (post.signal.aborted) {
      reject(post.signal.reason)
      return
    }
    pool.dispatch(
      {
        method: 'POST',
        path: post.path,
        headers: post.headers,
        body: post.body,
        headersTimeout: post.timeoutMs,
        bodyTimeout: post.timeoutMs,
      },
      new WholeAnswer(post.signal, resolve, reject),
    )
  })
}

/** Collects one answer's bytes; the client's signal aborts the call while it runs. */
class WholeAnswer implements Dispatcher.DispatchHandler {
  readonly #signal: AbortLike
  readonly #resolve: (response: UpstreamResponse) => void
  readonly #reject: (error: unknown) => void
  #controller: Dispatcher.DispatchController | undefined
  #statusCode = 0
  #headers: IncomingHttpHeaders = {}
  readonly #parts: Buffer[] = []
  #bytes = 0
  /** The signal's listener: aborts the call once it has started (onRequestStart covers an earlier abort). */
  readonly #onAbort = (): void => {
    this.#controller?.abort(this.#signal.reason as Error)
  }

  constructor(signal: AbortLike, resolve: (response: UpstreamResponse) => void, reject: (error: unknown) => void) {
    this.#signal = signal
    this.#resolve = resolve
    this.#reject = reject
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    // Aborted while the call waited for a free connection.
    if (this.#signal.aborted) controller.abort(this.#signal.reason as Error)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#statusCode = statusCode
    this.#headers = headers
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#statusCode >= 400 && this.#bytes >= ERROR_BODY_LIMIT) return
    this.#parts.push(chunk)
    this.#bytes += chunk.length
  }

  onResponseEnd(): void {
    this.#signal.removeEventListener('abort', this.#onAbort)
    const parts = this.#parts
    const whole = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#bytes)
    const text = whole.toString(
      'utf8',
      0,
      this.#statusCode >= 400 ? Math.min(this.#bytes, ERROR_BODY_LIMIT) : undefined,
    )
    this.#resolve({ statusCode: this.#statusCode, headers: this.#headers, text, body: undefined })
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#signal.removeEventListener('abort', this.#onAbort)
    // An error answer that broke off is still an answer: classified by its status and what was read.
    if (this.#statusCode >= 400) {
      this.onResponseEnd()
      return
    }
    this.#reject(toTransportError(error, this.#signal, this.#statusCode === 0 ? 'connect' : 'body'))
  }
}
