/**
 * Where each piece of governance state lives, named alike in both stores
 * (Redis puts its prefix in front). Ids may contain `:` and nothing after them
 * does, so a name read from the right is never ambiguous.
 */
import { EXPIRY_MARGIN_MS, rateWindow, spendPeriod } from './periods.js'
import type { BudgetCheck, RateCheck } from './store.js'

export interface BudgetKeys {
  /** In-flight reservations at the level, per period so two periods of one level never share a counter. */
  reserved: string
  /** The spend buckets summed for the period, oldest first; the last one takes new spend. */
  spend: string[]
  /** When the newest spend bucket may go; null for `total`, whose spend is the budget itself. */
  expiresAt: number | null
  resetsAt: Date | null
}

export function budgetKeys(check: BudgetCheck, now: number): BudgetKeys {
  const period = spendPeriod(check, now)
  const level = `${check.id}:${period.name}`
  return {
    reserved: `reserved:${level}`,
    spend: period.buckets.map((bucket) => `spend:${level}:${bucket}`),
    expiresAt: period.keepUntil === null ? null : period.keepUntil + EXPIRY_MARGIN_MS,
    resetsAt: period.resetsAt,
  }
}

export interface RateKey {
  key: string
  /** End of the current window: a refused request may retry then. */
  endsAt: number
  expiresAt: number
}

export function rateKey(check: RateCheck, now: number): RateKey {
  const window = rateWindow(check.windowMs, now)
  return {
    key: `rate:${check.id}:${check.windowMs}:${window.id}`,
    endsAt: window.endsAt,
    expiresAt: window.endsAt + EXPIRY_MARGIN_MS,
  }
}

export function slotKey(id: string): string {
  return `slots:${id}`
}

/** The newest spend bucket: where spend booked now goes. */
export function currentSpendKey(keys: BudgetKeys): string {
  return keys.spend[keys.spend.length - 1]!
}
