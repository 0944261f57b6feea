/**
 * Time arithmetic the stores share: which buckets make up a budget period at a
 * moment, when a calendar period starts afresh, and which fixed rate window a
 * moment falls in. Pure and UTC throughout. The stores (and Redis's Lua, which
 * does no date math) only ever see the ids computed here, so every replica and
 * both stores agree on every boundary.
 */
import type { BudgetCheck } from './store.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/**
 * State outlives the moment it stops mattering by this much: replicas' clocks
 * differ a little, and one running behind must still find what it believes is
 * the current period or window.
 */
export const EXPIRY_MARGIN_MS = 60_000

export interface SpendPeriod {
  /** Names the period in keys: `day`, `week`, `month`, `total`, `24h`, `7d` or `30d`. */
  name: string
  /** The buckets whose sum is the period's spend, oldest first; the last one takes new spend. */
  buckets: string[]
  /** When the newest bucket stops counting for any moment, now or later; null for `total`, which counts forever. */
  keepUntil: number | null
  /** When the period starts afresh: calendar periods only. */
  resetsAt: Date | null
}

export function spendPeriod(check: Pick<BudgetCheck, 'period' | 'window'>, now: number): SpendPeriod {
  if (check.period === 'total') return { name: 'total', buckets: ['total'], keepUntil: null, resetsAt: null }
  if (check.window === 'rolling') return rollingPeriod(ROLLING[check.period], now)
  const { id, endsAt } = CALENDAR[check.period](now)
  return { name: check.period, buckets: [id], keepUntil: endsAt, resetsAt: new Date(endsAt) }
}

/** The fixed window holding `now`. Windows are aligned to the epoch, so every replica agrees on them. */
export function rateWindow(windowMs: number, now: number): { id: string; endsAt: number } {
  const index = Math.floor(now / windowMs)
  return { id: String(index), endsAt: (index + 1) * windowMs }
}

interface Rolling {
  name: string
  spanMs: number
  bucketMs: number
}

const ROLLING: Record<'day' | 'week' | 'month', Rolling> = {
  day: { name: '24h', spanMs: DAY_MS, bucketMs: HOUR_MS },
  week: { name: '7d', spanMs: 7 * DAY_MS, bucketMs: DAY_MS },
  month: { name: '30d', spanMs: 30 * DAY_MS, bucketMs: DAY_MS },
}

/**
 * Every bucket that overlaps [now - span, now], so spend always counts for the
 * whole span and drops out within one bucket after it (24-25 h for `24h`).
 * Erring that way keeps a budget a true ceiling for any span-long stretch.
 */
function rollingPeriod({ name, spanMs, bucketMs }: Rolling, now: number): SpendPeriod {
  const first = Math.floor((now - spanMs) / bucketMs)
  const last = Math.floor(now / bucketMs)
  const buckets: string[] = []
  for (let index = first; index <= last; index++) buckets.push(bucketId(index, bucketMs))
  return { name, buckets, keepUntil: (last + 1) * bucketMs + spanMs, resetsAt: null }
}

/** Hourly buckets read `2026-11-26T13`, daily ones `2026-11-26`. */
function bucketId(index: number, bucketMs: number): string {
  return isoDate(index * bucketMs).slice(0, bucketMs < DAY_MS ? 13 : 10)
}

type CalendarPeriod = (now: number) => { id: string; endsAt: number }

const CALENDAR: Record<'day' | 'week' | 'month', CalendarPeriod> = {
  day: (now) => {
    const start = Math.floor(now / DAY_MS) * DAY_MS
    return { id: isoDate(start).slice(0, 10), endsAt: start + DAY_MS }
  },
  week: (now) => {
    const start = mondayOf(now)
    return { id: isoWeekId(start), endsAt: start + 7 * DAY_MS }
  },
  month: (now) => {
    const date = new Date(now)
    const year = date.getUTCFullYear()
    const month = date.getUTCMonth()
    return { id: `${year}-${pad(month + 1)}`, endsAt: Date.UTC(year, month + 1, 1) }
  },
}

/** Start of the ISO week (Monday 00:00 UTC) holding `now`; the epoch fell on a Thursday. */
function mondayOf(now: number): number {
  const day = Math.floor(now / DAY_MS)
  const sinceMonday = (((day + 3) % 7) + 7) % 7
  return (day - sinceMonday) * DAY_MS
}

/** `2026-W48`: an ISO week belongs to the year of its Thursday and is numbered from that year's first one. */
function isoWeekId(monday: number): string {
  const thursday = monday + 3 * DAY_MS
  const year = new Date(thursday).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1
  return `${year}-W${pad(week)}`
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString()
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
