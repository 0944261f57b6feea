/**
 * The health of each provider key, across reloads: a key that got 429 rests
 * for that model until its Retry-After has passed (providers limit per model,
 * so the key keeps serving other models); a key the provider rejected
 * (401/403) is taken out until the config gives that provider a different
 * key. Keys are told apart by a hash of their value, never the value itself.
 */
import { createHash } from 'node:crypto'

export interface KeyStatus {
  provider: string
  key: string
  state: 'cooling' | 'rejected'
  until: string | null
  reason: string
}

export class KeyHealth {
  /** By `keyId|model`. */
  /** By `keyId|model`: providers limit per model, so a key resting for one model still serves the others. */
  readonly #coolingUntil = new Map<string, number>()
  readonly #rejected = new Map<string, { provider: string; label: string; reason: string }>()
  readonly #labels = new Map<string, { provider: string; label: string }>()

  static idOf(provider: string, keyValue: string): string {
    return `${provider}#${createHash('sha256').update(keyValue).digest('hex').slice(0, 16)}`
  }

  usable(id: string, model: string, now = Date.now()): boolean {
    return !this.#rejected.has(id) && (this.#coolingUntil.get(`${id}|${model}`) ?? 0) <= now
  }

  /** Milliseconds until the first cooling key of these is usable again for the model (Infinity when none will be). */
  soonestUsable(ids: readonly string[], model: string, now = Date.now()): number {
    const waits = ids
      .filter((id) => !this.#rejected.has(id))
      .map((id) => Math.max(0, (this.#coolingUntil.get(`${id}|${model}`) ?? 0) - now))
    return waits.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...waits)
  }

  coolDown(id: string, model: string, provider: string, label: string, ms: number, now = Date.now()): void {
    this.#labels.set(id, { provider, label })
    const key = `${id}|${model}`
    this.#coolingUntil.set(key, Math.max(this.#coolingUntil.get(key) ?? 0, now + ms))
  }

  reject(id: string, provider: string, label: string, reason: string): void {
    this.#rejected.set(id, { provider, label, reason })
  }

  /** What an operator needs to see: keys resting or taken out. */
  report(now = Date.now()): KeyStatus[] {
    const cooling = [...this.#coolingUntil]
      .filter(([, until]) => until > now)
      .map(([entry, until]) => {
        const [id = '', model = ''] = entry.split('|')
        return {
          provider: this.#labels.get(id)?.provider ?? '?',
          key: this.#labels.get(id)?.label ?? '?',
          state: 'cooling' as const,
          until: new Date(until).toISOString(),
          reason: `rate limited (429) on ${model}`,
        }
      })
    const rejected = [...this.#rejected.values()].map(({ provider, label, reason }) => ({
      provider,
      key: label,
      state: 'rejected' as const,
      until: null,
      reason,
    }))
    return [...rejected, ...cooling]
  }
}
