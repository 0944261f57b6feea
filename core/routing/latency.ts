/**
 * Recent latency per target as an exponentially weighted moving average:
 * recent calls count most, and one slow call does not condemn a target.
 */
const SMOOTHING = 0.3

export class LatencyTracker {
  readonly #averages = new Map<string, number>()

  record(target: string, ms: number): void {
    const previous = this.#averages.get(target)
    this.#averages.set(target, previous === undefined ? ms : previous + SMOOTHING * (ms - previous))
  }

  /** Undefined for a target never measured. */
  average(target: string): number | undefined {
    return this.#averages.get(target)
  }
}
