/**
 * Cancellation on the data plane without an AbortController per request.
 *
 * Node builds every AbortSignal as an EventTarget whose prototype it then
 * swaps, and such objects outlive the scavenge that should have freed them:
 * with one controller per request (and one per attempt) the gateway promoted
 * about 0.5 MB of finished requests per scavenge at 500 req/s, which is GC
 * pause time and RSS (bench/PROFILE.md). `Abort` is a flag with a listener
 * list; a real AbortSignal is made only for code that asks for one (a
 * plugin's `ctx.signal`, say).
 */

/** What routing and providers need of a signal. AbortSignal has it too, and undici accepts it. */
export interface AbortLike {
  readonly aborted: boolean
  readonly reason: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

export class Abort implements AbortLike {
  #aborted = false
  #reason: unknown
  #listeners: (() => void)[] | undefined
  #controller: AbortController | undefined

  get aborted(): boolean {
    return this.#aborted
  }

  get reason(): unknown {
    return this.#reason
  }

  /** Listeners run once, on abort; as with AbortSignal, one added after the abort never runs. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted) return
    this.#listeners ??= []
    this.#listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners
    const index = listeners ? listeners.indexOf(listener) : -1
    if (index >= 0) listeners?.splice(index, 1)
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#reason = reason
    const listeners = this.#listeners
    this.#listeners = undefined
    this.#controller?.abort(reason)
    if (listeners) for (const listener of listeners) listener()
  }

  /** A real AbortSignal that follows this one, for APIs that insist on one; made on first use. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.#aborted) this.#controller.abort(this.#reason)
    }
    return this.#controller.signal
  }
}

/** An AbortSignal for APIs that check for a real one (node's timers, fetch). */
export function toAbortSignal(signal: AbortLike): AbortSignal {
  return signal instanceof Abort ? signal.signal : (signal as AbortSignal)
}
