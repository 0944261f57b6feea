/**
 * What a reload changed, by name: the line an operator reads to confirm that
 * the edit they saved is the edit that took effect.
 */
import type { UserConfig } from '../config/define.js'

export interface SectionDiff {
  added: string[]
  removed: string[]
  modified: string[]
}

export type ConfigDiff = Record<
  'providers' | 'routes' | 'orgs' | 'teams' | 'keys' | 'policies' | 'plugins' | 'settings',
  SectionDiff
>

/** Policy files are named after the file unless they say otherwise. */
const policyName = (policy: NonNullable<UserConfig['policies']>[number]): string =>
  policy.name ?? ('file' in policy ? policy.file : '')

export function diffConfigs(before: UserConfig, after: UserConfig): ConfigDiff {
  const settings = (config: UserConfig) => ({
    server: config.server,
    admin: config.admin,
    log: config.log,
    telemetry: config.telemetry,
    auth: config.auth,
    store: config.store,
    pricing: config.pricing,
    routing: config.routing,
  })
  return {
    providers: diffNamed(before.providers, after.providers),
    routes: diffNamed(before.routes ?? {}, after.routes ?? {}),
    orgs: diffNamed(before.orgs ?? {}, after.orgs ?? {}),
    teams: diffNamed(before.teams ?? {}, after.teams ?? {}),
    keys: diffNamed(
      byName(before.keys ?? [], (k) => k.name),
      byName(after.keys ?? [], (k) => k.name),
    ),
    policies: diffNamed(byName(before.policies ?? [], policyName), byName(after.policies ?? [], policyName)),
    plugins: diffNamed(byName(before.plugins ?? [], pluginName), byName(after.plugins ?? [], pluginName)),
    settings: diffNamed(settings(before), settings(after)),
  }
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return Object.values(diff).every((s) => s.added.length + s.removed.length + s.modified.length === 0)
}

/** `{ routes: { added: ['x'] } }` with empty parts left out, for a compact log line. */
export function summarizeDiff(diff: ConfigDiff): Record<string, Partial<SectionDiff>> {
  const summary: Record<string, Partial<SectionDiff>> = {}
  for (const [section, change] of Object.entries(diff)) {
    const parts = Object.fromEntries(Object.entries(change).filter(([, names]) => names.length > 0))
    if (Object.keys(parts).length > 0) summary[section] = parts
  }
  return summary
}

function diffNamed(before: Record<string, unknown>, after: Record<string, unknown>): SectionDiff {
  const added = Object.keys(after).filter((name) => !(name in before))
  const removed = Object.keys(before).filter((name) => !(name in after))
  const modified = Object.keys(after).filter(
    (name) => name in before && fingerprint(before[name]) !== fingerprint(after[name]),
  )
  return { added, removed, modified }
}

function byName<T>(items: readonly T[], nameOf: (item: T) => string): Record<string, T> {
  return Object.fromEntries(items.map((item) => [nameOf(item), item]))
}

function pluginName(entry: NonNullable<UserConfig['plugins']>[number]): string {
  return 'use' in entry ? entry.use : entry.plugin.name
}

/** Functions (plugin hooks) are compared by source text; key order does not matter. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'function') return v.toString()
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
    }
    return v
  })
}
