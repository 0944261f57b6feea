/**
 * A circuit breaker for one target. Closed: calls go through and failures
 * are counted in a sliding window; `failures` of them within `windowMs` open
 * it. Open: the target is skipped without a call for `cooldownMs`. Then
 * half-open: exactly one probe goes through; its success closes the breaker,
 * its failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerSettings {
  failures: number
  windowMs: number
  cooldownMs: number
}

export const DEFAULT_BREAKER: BreakerSettings = { failures: 5, windowMs: 60_000, cooldownMs: 30_000 }

export class CircuitBreaker {
  #settings: BreakerSettings
  #failures: number[] = []
  #openedAt: number | null = null
  #probing = false

  constructor(settings: BreakerSettings) {
    this.#settings = settings
  }

  /** A reload may change the settings; the breaker keeps its history. */
  configure(settings: BreakerSettings): void {
    this.#settings = settings
  }

  state(now = Date.now()): BreakerState {
    if (this.#openedAt === null) return 'closed'
    return now - this.#openedAt >= this.#settings.cooldownMs ? 'half-open' : 'open'
  }

  /** Whether a call may go through now; in half-open, only the first caller gets to probe. */
  tryAcquire(now = Date.now()): boolean {
    const state = this.state(now)
    if (state === 'closed') return true
    if (state === 'open' || this.#probing) return false
    this.#probing = true
    return true
  }

  success(): void {
    this.#failures = []
    this.#openedAt = null
    this.#probing = false
  }

  failure(now = Date.now()): void {
    if (this.#probing || this.state(now) !== 'closed') {
      this.#openedAt = now
      this.#probing = false
      return
    }
    const since = now - this.#settings.windowMs
    this.#failures = this.#failures.filter((at) => at > since)
    this.#failures.push(now)
    if (this.#failures.length >= this.#settings.failures) {
      this.#openedAt = now
      this.#failures = []
    }
  }

  /** A probe that ended without a verdict (the client left, a bad request): let another probe try. */
  release(): void {
    this.#probing = false
  }

  snapshot(now = Date.now()): { state: BreakerState; recentFailures: number; openedAt: string | null } {
    const since = now - this.#settings.windowMs
    return {
      state: this.state(now),
      recentFailures: this.#failures.filter((at) => at > since).length,
      openedAt: this.#openedAt === null ? null : new Date(this.#openedAt).toISOString(),
    }
  }
}
