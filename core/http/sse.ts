/**
 * Writes a server-sent-events stream frame by frame, honouring backpressure:
 * a slow client slows the upstream read instead of growing a buffer.
 */
import { once } from 'node:events'
import type { Response } from 'express'

export class SseWriter {
  readonly #res: Response

  constructor(res: Response) {
    this.#res = res
  }

  get started(): boolean {
    return this.#res.headersSent
  }

  open(headers: Record<string, string> = {}): void {
    this.#res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    this.#res.flushHeaders()
  }

  /** One `data:` frame (plus an `event:` line when given). Resolves once the socket can take more. */
  async send(data: string, event?: string): Promise<void> {
    if (this.#res.writableEnded || this.#res.destroyed) return
    const frame = event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`
    if (!this.#res.write(frame)) await once(this.#res, 'drain')
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end()
  }
}
