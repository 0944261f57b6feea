/**
 * Who is calling, compiled from config: each virtual key with the chain of
 * levels above it (key -> team -> org). Every level carries its budget check,
 * limits, model allow-list and state; a request must satisfy all of them.
 */
import type { BudgetConfig, LimitsConfig, OrgConfig, TeamConfig, VirtualKeyConfig } from '../config/schema.js'
import { compileModelMatcher, type ModelMatcher } from './model-matcher.js'
import type { BudgetCheck } from './store/store.js'

export type LevelKind = 'org' | 'team' | 'key'

export interface GovernedLevel {
  /** `org:acme`, `team:ml`, `key:ml-batch`: the id the store counts under. */
  readonly id: string
  readonly kind: LevelKind
  readonly name: string
  /** Always present: a level with no budget is tracked against an unbounded one, so its spend is still reported. */
  readonly budget: BudgetCheck
  readonly budgetConfig: BudgetConfig | undefined
  readonly limits: LimitsConfig
  readonly allows: ModelMatcher | null
  readonly disabled: boolean
  readonly expiresAt: number | null
  readonly metadata: Readonly<Record<string, string>>
}

export interface Principal {
  readonly key: string | null
  readonly team: string | null
  readonly org: string | null
  /** Most specific first: key, team, org. Empty for an anonymous caller. */
  readonly levels: readonly GovernedLevel[]
  /** Metadata of all levels, the more specific winning. */
  readonly metadata: Readonly<Record<string, string>>
}

export const ANONYMOUS: Principal = Object.freeze({ key: null, team: null, org: null, levels: [], metadata: {} })

/** Large enough never to bind, small enough to stay an exact integer in JS and Redis. */
const UNBOUNDED_NANOS = Number.MAX_SAFE_INTEGER

type Grant = OrgConfig | TeamConfig | VirtualKeyConfig

function compileLevel(kind: LevelKind, name: string, grant: Grant): GovernedLevel {
  const id = `${kind}:${name}`
  const budget = grant.budget
  const check: BudgetCheck = budget
    ? { id, limitNanos: Math.round(budget.usd * 1e9), period: budget.period, window: budget.window ?? 'calendar' }
    : { id, limitNanos: UNBOUNDED_NANOS, period: 'month', window: 'calendar' }
  return Object.freeze({
    id,
    kind,
    name,
    budget: check,
    budgetConfig: budget,
    limits: grant.limits ?? {},
    allows: grant.models ? compileModelMatcher(grant.models) : null,
    disabled: grant.disabled === true,
    expiresAt: grant.expiresAt ? Date.parse(grant.expiresAt) : null,
    metadata: grant.metadata ?? {},
  })
}

export class KeyRegistry {
  /** Hash -> principal. */
  readonly #byHash: ReadonlyMap<string, Principal>
  /** Key name -> principal, for tools that act as a named caller (`gateway test`, `gateway explain`). */
  readonly #byName: ReadonlyMap<string, Principal>
  readonly #levels: readonly GovernedLevel[]

  constructor(config: {
    orgs?: Record<string, OrgConfig>
    teams?: Record<string, TeamConfig>
    keys?: readonly VirtualKeyConfig[]
  }) {
    const orgs = new Map(Object.entries(config.orgs ?? {}).map(([name, org]) => [name, compileLevel('org', name, org)]))
    const teams = new Map(
      Object.entries(config.teams ?? {}).map(([name, team]) => [name, compileLevel('team', name, team)]),
    )
    const byHash = new Map<string, Principal>()
    const keyLevels: GovernedLevel[] = []
    for (const key of config.keys ?? []) {
      const level = compileLevel('key', key.name, key)
      keyLevels.push(level)
      const teamName = key.team ?? null
      const orgName = (teamName && config.teams?.[teamName]?.org) || null
      const levels = [
        level,
        teamName ? teams.get(teamName) : undefined,
        orgName ? orgs.get(orgName) : undefined,
      ].filter((l): l is GovernedLevel => l !== undefined)
      const metadata = Object.assign({}, ...[...levels].reverse().map((l) => l.metadata))
      byHash.set(key.hash, Object.freeze({ key: key.name, team: teamName, org: orgName, levels, metadata }))
    }
    this.#byHash = byHash
    this.#byName = new Map([...byHash.values()].map((principal) => [principal.key as string, principal]))
    this.#levels = [...orgs.values(), ...teams.values(), ...keyLevels]
  }

  /**
   * The principal for a key's hash. Looking up the hash rather than the key
   * is what makes this safe against timing: what a timing difference could
   * reveal is how much of a SHA-256 digest matched, which says nothing
   * usable about any key.
   */
  find(hash: string): Principal | undefined {
    return this.#byHash.get(hash)
  }

  named(key: string): Principal | undefined {
    return this.#byName.get(key)
  }

  get size(): number {
    return this.#byHash.size
  }

  /** Every level, orgs first, for usage reports. */
  levels(): readonly GovernedLevel[] {
    return this.#levels
  }
}
