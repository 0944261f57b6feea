/**
 * Governance state for a single process. JavaScript runs one callback at a
 * time and no method awaits part-way, so every check-then-update below is
 * atomic without locks. Key names and period math are the ones the Redis store
 * uses, so both behave alike to the bucket.
 */
import { assertWholeAmount } from './amounts.js'
import { budgetKeys, currentSpendKey, rateKey, slotKey } from './keys.js'
import type {
  AcquireResult,
  BudgetCheck,
  ConsumeResult,
  GovernanceStore,
  RateCheck,
  ReserveResult,
  SpendReport,
} from './store.js'

/**
 * Expired state is dropped at most this often, measured on the callers' clock
 * (the `now` they pass), so there is no timer to stop and tests that pass
 * explicit timestamps see the same expiry a live gateway does.
 */
const SWEEP_EVERY_MS = 60_000

interface Counter {
  value: number
  /** Infinity for state that lives until released (reservations, slots) or forever (`total` spend). */
  expiresAt: number
}

export class MemoryStore implements GovernanceStore {
  private readonly counters = new Map<string, Counter>()
  private nextSweepAt = Number.NEGATIVE_INFINITY

  /** Counters held; tells tests (and anyone curious) that old periods and windows are let go. */
  get size(): number {
    return this.counters.size
  }

  async reserve(checks: readonly BudgetCheck[], amountNanos: number, now: number): Promise<ReserveResult> {
    assertWholeAmount('amountNanos', amountNanos)
    this.sweep(now)
    const levels = checks.map((check) => ({ check, keys: budgetKeys(check, now) }))
    for (const { check, keys } of levels) {
      const spentNanos = this.sum(keys.spend)
      const reservedNanos = this.read(keys.reserved)
      if (spentNanos + reservedNanos + amountNanos > check.limitNanos) {
        return {
          ok: false,
          failed: check.id,
          spentNanos,
          reservedNanos,
          limitNanos: check.limitNanos,
          resetsAt: keys.resetsAt,
        }
      }
    }
    for (const { keys } of levels) this.add(keys.reserved, amountNanos, Number.POSITIVE_INFINITY)
    return { ok: true }
  }

  async settle(checks: readonly BudgetCheck[], reservedNanos: number, actualNanos: number, now: number): Promise<void> {
    assertWholeAmount('reservedNanos', reservedNanos)
    assertWholeAmount('actualNanos', actualNanos)
    this.sweep(now)
    for (const check of checks) {
      const keys = budgetKeys(check, now)
      this.add(keys.reserved, -reservedNanos, Number.POSITIVE_INFINITY)
      this.add(currentSpendKey(keys), actualNanos, keys.expiresAt ?? Number.POSITIVE_INFINITY)
    }
  }

  async consume(checks: readonly RateCheck[], now: number): Promise<ConsumeResult> {
    for (const check of checks) assertWholeAmount('amount', check.amount)
    this.sweep(now)
    const windows = checks.map((check) => ({ check, window: rateKey(check, now) }))
    for (const { check, window } of windows) {
      if (this.read(window.key) + check.amount > check.limit) {
        return { ok: false, failed: check.id, limit: check.limit, retryAfterMs: window.endsAt - now }
      }
    }
    for (const { check, window } of windows) this.add(window.key, check.amount, window.expiresAt)
    return { ok: true }
  }

  async adjust(checks: readonly RateCheck[], now: number): Promise<void> {
    for (const check of checks) assertWholeAmount('amount', check.amount, { negative: true })
    this.sweep(now)
    for (const check of checks) {
      const window = rateKey(check, now)
      this.add(window.key, check.amount, window.expiresAt)
    }
  }

  async acquire(slots: ReadonlyArray<{ id: string; limit: number }>): Promise<AcquireResult> {
    for (const slot of slots) {
      if (this.read(slotKey(slot.id)) >= slot.limit) return { ok: false, failed: slot.id, limit: slot.limit }
    }
    for (const slot of slots) this.add(slotKey(slot.id), 1, Number.POSITIVE_INFINITY)
    return { ok: true }
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.add(slotKey(id), -1, Number.POSITIVE_INFINITY)
  }

  async spend(checks: readonly BudgetCheck[], now: number): Promise<SpendReport[]> {
    this.sweep(now)
    return checks.map((check) => {
      const keys = budgetKeys(check, now)
      return { id: check.id, spentNanos: this.sum(keys.spend), reservedNanos: this.read(keys.reserved) }
    })
  }

  async close(): Promise<void> {
    this.counters.clear()
  }

  private read(key: string): number {
    return this.counters.get(key)?.value ?? 0
  }

  private sum(keys: readonly string[]): number {
    let total = 0
    for (const key of keys) total += this.read(key)
    return total
  }

  /** Counters never go below zero, and one at zero is simply absent. */
  private add(key: string, delta: number, expiresAt: number): void {
    const value = Math.max(0, this.read(key) + delta)
    if (value === 0) this.counters.delete(key)
    else this.counters.set(key, { value, expiresAt })
  }

  /**
   * Reads never meet expired state (a new period or window has new keys), so
   * expiry only bounds memory: old periods and windows are dropped in bulk.
   */
  private sweep(now: number): void {
    if (now < this.nextSweepAt) return
    this.nextSweepAt = now + SWEEP_EVERY_MS
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt <= now) this.counters.delete(key)
    }
  }
}
