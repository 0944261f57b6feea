/**
 * A provider's keys as a weighted pool: each request takes one key, chosen at
 * random in proportion to its weight, among the keys allowed for the model.
 */
export interface PoolKey {
  value: string
  /** Safe to log: the configured name, or the key's position. */
  label: string
  weight: number
  models?: readonly string[]
}

export class KeyPool {
  readonly #keys: readonly PoolKey[]

  constructor(keys: readonly PoolKey[]) {
    this.#keys = keys
  }

  get size(): number {
    return this.#keys.length
  }

  /** A key for `model`, or undefined when no key may serve it. */
  pick(model: string, random: () => number = Math.random): PoolKey | undefined {
    const eligible = this.#keys.filter((key) => !key.models || key.models.includes(model))
    const total = eligible.reduce((sum, key) => sum + key.weight, 0)
    let point = random() * total
    for (const key of eligible) {
      point -= key.weight
      if (point < 0) return key
    }
    return eligible[eligible.length - 1]
  }
}
