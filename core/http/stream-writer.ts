/**
 * Writes a streamed answer frame by frame, honouring backpressure: a slow
 * client slows the upstream read instead of growing a buffer. Frames are
 * whatever the surface speaks: SSE text, or binary event-stream messages.
 *
 * Frames written in one turn of the event loop (an upstream read often holds
 * several) leave in one socket write: the response is corked at the first
 * and uncorked once the turn's work is done, instead of a syscall per frame.
 */
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'

export class StreamWriter {
  readonly #res: ServerResponse
  #corked = false

  constructor(res: ServerResponse) {
    this.#res = res
  }

  /** The status line and headers; they leave with the first frame. */
  open(contentType: string): void {
    this.#res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Tells nginx-style proxies in front of the gateway not to buffer the stream.
      'x-accel-buffering': 'no',
    })
  }

  /**
   * Writes a frame; returns a promise to wait for only when the socket is
   * backpressured. Not async: awaiting every frame would cost a microtask
   * turn per chunk while the socket nearly always takes more at once.
   */
  write(frame: string | Uint8Array): Promise<void> | undefined {
    const res = this.#res
    if (res.writableEnded || res.destroyed) return undefined
    if (!this.#corked) {
      this.#corked = true
      res.cork()
      setImmediate(this.#uncork)
    }
    if (res.write(frame)) return undefined
    return once(res, 'drain').then(() => undefined)
  }

  end(): void {
    // end() flushes what is corked; the pending uncork then finds the response ended.
    if (!this.#res.writableEnded) this.#res.end()
  }

  readonly #uncork = (): void => {
    this.#corked = false
    // After end() the socket may already serve the connection's next request: not ours to uncork.
    if (!this.#res.writableEnded) this.#res.uncork()
  }
}
