/**
 * Shared governance state: budgets, rate windows and concurrency counters.
 * Every operation is atomic where it must be (all-or-nothing across the
 * levels it names), so concurrent requests on any number of replicas cannot
 * race past a limit. Money is integer nanodollars (1e-9 USD) so that every
 * sum is exact, in JavaScript and in Redis alike.
 */

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total'
export type BudgetWindow = 'calendar' | 'rolling'

/** One budget to check: a level (e.g. `team:ml`) and its limit for a period. */
export interface BudgetCheck {
  /** Stable id of the level, e.g. `org:acme`, `team:ml`, `key:ml-batch`. */
  id: string
  limitNanos: number
  period: BudgetPeriod
  /** `calendar`: UTC day / ISO week (Monday) / month; `rolling`: the last 24 h / 7 d / 30 d. Ignored for `total`. */
  window: BudgetWindow
}

export type ReserveResult =
  | { ok: true }
  | {
      ok: false
      /** The first level (in the order given) that could not take the reservation. */
      failed: string
      spentNanos: number
      reservedNanos: number
      limitNanos: number
      /** When the period starts afresh; null for `total` and for rolling windows. */
      resetsAt: Date | null
    }

/** A fixed-window counter: `limit` units per `windowMs`, windows aligned to the epoch. */
export interface RateCheck {
  /** e.g. `rpm:key:ml-batch`, `tpm:team:ml`. */
  id: string
  limit: number
  windowMs: number
  /** Units this request takes (1 for requests, estimated tokens for tpm). */
  amount: number
}

export type ConsumeResult = { ok: true } | { ok: false; failed: string; limit: number; retryAfterMs: number }

export type AcquireResult = { ok: true } | { ok: false; failed: string; limit: number }

export interface SpendReport {
  id: string
  spentNanos: number
  reservedNanos: number
}

export interface GovernanceStore {
  /** Reserves `amountNanos` at every level, or at none if any would go over its limit. */
  reserve(checks: readonly BudgetCheck[], amountNanos: number, now: number): Promise<ReserveResult>
  /** Releases a reservation and books the real cost in the current period, at every level. */
  settle(checks: readonly BudgetCheck[], reservedNanos: number, actualNanos: number, now: number): Promise<void>
  /** Takes `amount` from every window, or from none if any is full. */
  consume(checks: readonly RateCheck[], now: number): Promise<ConsumeResult>
  /** Corrects windows after the fact (e.g. real tokens minus the estimate); `amount` may be negative. Never refuses. */
  adjust(checks: readonly RateCheck[], now: number): Promise<void>
  /** Takes one concurrency slot at every level, or none if any is full; returns the id that was full. */
  acquire(slots: ReadonlyArray<{ id: string; limit: number }>): Promise<AcquireResult>
  release(ids: readonly string[]): Promise<void>
  /** Current period's spend and in-flight reservations per level. */
  spend(checks: readonly BudgetCheck[], now: number): Promise<SpendReport[]>
  close(): Promise<void>
}

/** The store could not be reached; what happens then is configured (fail closed by default). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}
