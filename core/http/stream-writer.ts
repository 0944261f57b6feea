/**
 * Writes a streamed answer frame by frame, honouring backpressure: a slow
 * client slows the upstream read instead of growing a buffer. Frames are
 * whatever the surface speaks: SSE text, or binary event-stream messages.
 */
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'

export class StreamWriter {
  readonly #res: ServerResponse

  constructor(res: ServerResponse) {
    this.#res = res
  }

  open(contentType: string): void {
    this.#res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Tells nginx-style proxies in front of the gateway not to buffer the stream.
      'x-accel-buffering': 'no',
    })
    this.#res.flushHeaders()
  }

  /**
   * Writes a frame; returns a promise to wait for only when the socket is
   * backpressured. Not async: awaiting every frame would cost a microtask
   * turn per chunk while the socket nearly always takes more at once.
   */
  write(frame: string | Uint8Array): Promise<void> | undefined {
    if (this.#res.writableEnded || this.#res.destroyed) return undefined
    if (this.#res.write(frame)) return undefined
    return once(this.#res, 'drain').then(() => undefined)
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end()
  }
}
