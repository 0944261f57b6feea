/** `gateway usage`: the running gateway's spend per org, team and key, as a table. */
import { request } from 'undici'
import type { LevelUsage, UsageReport } from '../governance/usage-report.js'

export async function fetchUsage(url: string, token: string): Promise<UsageReport> {
  const response = await request(new URL('/admin/usage', url), { headers: { authorization: `Bearer ${token}` } })
  const body = (await response.body.json()) as UsageReport | { error?: { message?: string } }
  if (response.statusCode !== 200) {
    throw new Error(
      `GET /admin/usage answered ${response.statusCode}: ${(body as { error?: { message?: string } }).error?.message ?? ''}`,
    )
  }
  return body as UsageReport
}

export function formatUsage(report: UsageReport): string {
  const rows = [['level', 'name', 'budget', 'spent', 'reserved', 'remaining', 'resets']]
  const money = (usd: number | null) => (usd === null ? '-' : `$${usd.toFixed(4)}`)
  const add = (kind: string, levels: Record<string, LevelUsage>) => {
    for (const [name, usage] of Object.entries(levels)) {
      const budget = usage.budget
        ? `$${usage.budget.usd} / ${usage.budget.period}${usage.budget.window === 'rolling' ? ' (rolling)' : ''}`
        : '-'
      rows.push([
        kind,
        name,
        budget,
        money(usage.spentUsd),
        money(usage.reservedUsd),
        money(usage.remainingUsd),
        usage.resetsAt ?? '-',
      ])
    }
  }
  add('org', report.orgs)
  add('team', report.teams)
  add('key', report.keys)
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] as string).length)),
  )
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd(),
  )
  return [`usage at ${report.at}`, ...lines].join('\n')
}
