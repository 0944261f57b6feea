/**
 * What routing learns at run time and must keep across reloads: a circuit
 * breaker and a latency average per target, and the health of every key.
 */
import { type BreakerSettings, CircuitBreaker } from './circuit-breaker.js'
import { KeyHealth } from './key-health.js'
import { LatencyTracker } from './latency.js'

export class RoutingState {
  readonly keys = new KeyHealth()
  readonly latency = new LatencyTracker()
  readonly #breakers = new Map<string, CircuitBreaker>()

  /** The breaker of a target (`provider/model`), created closed on first use, with the current settings. */
  breaker(target: string, settings: BreakerSettings): CircuitBreaker {
    let breaker = this.#breakers.get(target)
    if (!breaker) {
      breaker = new CircuitBreaker(settings)
      this.#breakers.set(target, breaker)
    } else breaker.configure(settings)
    return breaker
  }

  breakers(): ReadonlyMap<string, CircuitBreaker> {
    return this.#breakers
  }
}
