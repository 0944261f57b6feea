/**
 * A provider's keys as a weighted pool: each attempt takes one key, chosen at
 * random in proportion to its weight, among the keys allowed for the model
 * that are not resting after a 429 or taken out after a 401/403.
 */
import type { KeyHealth } from './key-health.js'
import { pickWeighted } from './weighted-pick.js'

export interface PoolKey {
  /** KeyHealth id: the provider and a hash of the value. */
  id: string
  value: string
  /** Safe to log: the configured name, or the key's position. */
  label: string
  weight: number
  models?: readonly string[]
}

export type KeyChoice =
  | { kind: 'key'; key: PoolKey }
  /** No key may serve this model at all. */
  | { kind: 'none-allowed' }
  /** Every allowed key is resting; the first is usable again in `waitMs`. */
  | { kind: 'all-cooling'; waitMs: number }
  /** Every allowed key was rejected by the provider. */
  | { kind: 'all-rejected' }

export class KeyPool {
  readonly #keys: readonly PoolKey[]
  readonly #health: KeyHealth

  constructor(keys: readonly PoolKey[], health: KeyHealth) {
    this.#keys = keys
    this.#health = health
  }

  get size(): number {
    return this.#keys.length
  }

  choose(model: string, random: () => number = Math.random, now = Date.now()): KeyChoice {
    const allowed = this.#keys.filter((key) => !key.models || key.models.includes(model))
    if (allowed.length === 0) return { kind: 'none-allowed' }
    const usable = allowed.filter((key) => this.#health.usable(key.id, model, now))
    if (usable.length === 0) {
      const waitMs = this.#health.soonestUsable(
        allowed.map((key) => key.id),
        model,
        now,
      )
      return Number.isFinite(waitMs) ? { kind: 'all-cooling', waitMs } : { kind: 'all-rejected' }
    }
    return { kind: 'key', key: pickWeighted(usable, random) }
  }

  /** Whether another key than `except` could serve the model right now. */
  hasOther(model: string, except: PoolKey, now = Date.now()): boolean {
    return this.#keys.some(
      (key) =>
        key.id !== except.id && (!key.models || key.models.includes(model)) && this.#health.usable(key.id, model, now),
    )
  }
}
