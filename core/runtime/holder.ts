/**
 * Holds the current Runtime and swaps it atomically. A request leases the
 * runtime it started with and keeps it to the end, even across a reload; a
 * replaced runtime is closed only when its last lease is released.
 */
import type { Runtime } from './runtime.js'

export interface Lease {
  readonly runtime: Runtime
  /** Idempotent. */
  release(): void
}

export class RuntimeHolder {
  #current: Runtime | undefined
  readonly #leases = new Map<Runtime, number>()
  readonly #retired = new Set<Runtime>()
  readonly #onRetiredClosed: (runtime: Runtime, error?: unknown) => void

  constructor(onRetiredClosed: (runtime: Runtime, error?: unknown) => void = () => {}) {
    this.#onRetiredClosed = onRetiredClosed
  }

  get current(): Runtime | undefined {
    return this.#current
  }

  acquire(): Lease {
    const runtime = this.#current
    if (!runtime) throw new Error('no runtime loaded yet')
    this.#leases.set(runtime, (this.#leases.get(runtime) ?? 0) + 1)
    let released = false
    return {
      runtime,
      release: () => {
        if (released) return
        released = true
        const left = (this.#leases.get(runtime) ?? 1) - 1
        if (left > 0) this.#leases.set(runtime, left)
        else {
          this.#leases.delete(runtime)
          if (this.#retired.has(runtime)) this.#close(runtime)
        }
      },
    }
  }

  /** Makes `next` current; the previous runtime closes once its in-flight requests end. */
  swap(next: Runtime): Runtime | undefined {
    const previous = this.#current
    this.#current = next
    if (previous) {
      this.#retired.add(previous)
      if (!this.#leases.has(previous)) this.#close(previous)
    }
    return previous
  }

  inFlight(runtime: Runtime): number {
    return this.#leases.get(runtime) ?? 0
  }

  /** At shutdown: retire the current runtime too; wait for in-flight requests up to `graceMs`, then close regardless. */
  async closeAll(graceMs = 10_000): Promise<void> {
    const current = this.#current
    this.#current = undefined
    if (current) {
      this.#retired.add(current)
      if (!this.#leases.has(current)) this.#close(current)
    }
    const deadline = Date.now() + graceMs
    while (this.#retired.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    await Promise.all([...this.#retired].map((runtime) => runtime.close()))
    this.#retired.clear()
  }

  #close(runtime: Runtime): void {
    runtime.close().then(
      () => {
        this.#retired.delete(runtime)
        this.#onRetiredClosed(runtime)
      },
      (error: unknown) => {
        this.#retired.delete(runtime)
        this.#onRetiredClosed(runtime, error)
      },
    )
  }
}
