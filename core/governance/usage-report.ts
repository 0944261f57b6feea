/**
 * Spend and remaining budget per org, team and key for the current period:
 * what `GET /admin/usage` returns and `gateway usage` prints.
 */
import type { BudgetConfig } from '../config/schema.js'
import type { GovernedLevel } from './principal.js'
import { spendPeriod } from './store/periods.js'
import type { GovernanceStore } from './store/store.js'

export interface LevelUsage {
  budget: BudgetConfig | null
  spentUsd: number
  reservedUsd: number
  /** Null when the level has no budget. */
  remainingUsd: number | null
  resetsAt: string | null
}

export interface UsageReport {
  at: string
  orgs: Record<string, LevelUsage>
  teams: Record<string, LevelUsage>
  keys: Record<string, LevelUsage>
}

export async function usageReport(
  levels: readonly GovernedLevel[],
  store: GovernanceStore,
  now = Date.now(),
): Promise<UsageReport> {
  const spend = await store.spend(
    levels.map((level) => level.budget),
    now,
  )
  const report: UsageReport = { at: new Date(now).toISOString(), orgs: {}, teams: {}, keys: {} }
  levels.forEach((level, i) => {
    const { spentNanos, reservedNanos } = spend[i] ?? { spentNanos: 0, reservedNanos: 0 }
    const budget = level.budgetConfig ?? null
    const resetsAt = budget ? spendPeriod(level.budget, now).resetsAt : null
    const section = level.kind === 'org' ? report.orgs : level.kind === 'team' ? report.teams : report.keys
    section[level.name] = {
      budget,
      spentUsd: spentNanos / 1e9,
      reservedUsd: reservedNanos / 1e9,
      remainingUsd: budget ? Math.max(0, level.budget.limitNanos - spentNanos - reservedNanos) / 1e9 : null,
      resetsAt: resetsAt?.toISOString() ?? null,
    }
  })
  return report
}
