/**
 * The health of each provider key, across reloads: a key that got 429 rests
 * until its Retry-After has passed; a key the provider rejected (401/403) is
 * taken out until the config gives that provider a different key. Keys are
 * told apart by a hash of their value, never the value itself.
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
  readonly #coolingUntil = new Map<string, number>()
  readonly #rejected = new Map<string, { provider: string; label: string; reason: string }>()
  readonly #labels = new Map<string, { provider: string; label: string }>()

  static idOf(provider: string, keyValue: string): string {
    return `${provider}#${createHash('sha256').update(keyValue).digest('hex').slice(0, 16)}`
  }

  usable(id: string, now = Date.now()): boolean {
    return !this.#rejected.has(id) && (this.#coolingUntil.get(id) ?? 0) <= now
  }

  /** Milliseconds until the first cooling key of these is usable again (Infinity when none will be). */
  soonestUsable(ids: readonly string[], now = Date.now()): number {
    const waits = ids
      .filter((id) => !this.#rejected.has(id))
      .map((id) => Math.max(0, (this.#coolingUntil.get(id) ?? 0) - now))
    return waits.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...waits)
  }

  coolDown(id: string, provider: string, label: string, ms: number, now = Date.now()): void {
    this.#labels.set(id, { provider, label })
    this.#coolingUntil.set(id, Math.max(this.#coolingUntil.get(id) ?? 0, now + ms))
  }

  reject(id: string, provider: string, label: string, reason: string): void {
    this.#rejected.set(id, { provider, label, reason })
  }

  /** What an operator needs to see: keys resting or taken out. */
  report(now = Date.now()): KeyStatus[] {
    const cooling = [...this.#coolingUntil]
      .filter(([, until]) => until > now)
      .map(([id, until]) => ({
        provider: this.#labels.get(id)?.provider ?? '?',
        key: this.#labels.get(id)?.label ?? '?',
        state: 'cooling' as const,
        until: new Date(until).toISOString(),
        reason: 'rate limited (429)',
      }))
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
