/**
 * Cross-reference checks of the governance part of a config: every key's
 * team and every team's org exist, key names and hashes are unique, model
 * allow-lists name something the gateway serves, expiry dates parse, and
 * `auth.mode: keys` has keys to accept.
 */
import { parseTargetRef } from '../routing/target-ref.js'
import { checkUniqueNames } from './cross-references.js'
import { asArray, asRecord, type Loose } from './loose.js'
import { type ConfigProblem, didYouMean, pointer } from './problems.js'

export function checkGovernanceReferences(config: unknown): ConfigProblem[] {
  const root = asRecord(config)
  const orgs = asRecord(root.orgs)
  const teams = asRecord(root.teams)
  const keys = asArray(root.keys)
  const servable = {
    routes: new Set(Object.keys(asRecord(root.routes))),
    providers: new Set(Object.keys(asRecord(root.providers))),
  }
  const problems: ConfigProblem[] = []

  for (const [name, org] of Object.entries(orgs)) problems.push(...checkGrant(asRecord(org), ['orgs', name], servable))
  for (const [name, raw] of Object.entries(teams)) {
    const team = asRecord(raw)
    problems.push(...checkGrant(team, ['teams', name], servable))
    if (typeof team.org === 'string' && !(team.org in orgs)) {
      problems.push(unknownParent(pointer('teams', name, 'org'), 'org', team.org, Object.keys(orgs)))
    }
  }
  keys.forEach((raw, i) => {
    const key = asRecord(raw)
    problems.push(...checkGrant(key, ['keys', i], servable))
    if (typeof key.team === 'string' && !(key.team in teams)) {
      problems.push(unknownParent(pointer('keys', i, 'team'), 'team', key.team, Object.keys(teams)))
    }
  })
  problems.push(...checkUniqueNames(keys, '/keys', 'key'))
  problems.push(...checkUniqueHashes(keys))

  if (asRecord(root.auth).mode === 'keys' && keys.length === 0) {
    problems.push({
      path: '/auth/mode',
      message: "is 'keys' but no keys are declared, so every request would be refused",
      hint: 'create one with `gateway keys new --name NAME` and paste its line into `keys`',
    })
  }
  return problems
}

function checkGrant(
  grant: Loose,
  at: Array<string | number>,
  servable: { routes: ReadonlySet<string>; providers: ReadonlySet<string> },
): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  asArray(grant.models).forEach((entry, i) => {
    if (typeof entry !== 'string' || entry === '*') return
    if (entry.endsWith('/*')) {
      const provider = entry.slice(0, -2)
      if (!servable.providers.has(provider)) {
        problems.push({
          path: pointer(...at, 'models', i),
          message: `unknown provider '${provider}' in '${entry}'`,
          hint: didYouMean(provider, servable.providers) ?? `declared providers: ${[...servable.providers].join(', ')}`,
        })
      }
      return
    }
    const ref = parseTargetRef(entry, servable.routes, servable.providers)
    if (ref.kind === 'unknown' || ref.kind === 'unknown-provider') {
      problems.push({
        path: pointer(...at, 'models', i),
        message: `'${entry}' is not a route or "provider/model" of this gateway`,
        hint:
          didYouMean(entry, servable.routes) ??
          (ref.kind === 'unknown-provider' ? didYouMean(ref.provider, servable.providers) : undefined) ??
          'list route names, "provider/model", "provider/*" or "*"',
      })
    }
  })
  if (typeof grant.expiresAt === 'string' && Number.isNaN(Date.parse(grant.expiresAt))) {
    problems.push({
      path: pointer(...at, 'expiresAt'),
      message: `'${grant.expiresAt}' is not a date`,
      hint: "write an ISO 8601 date-time, e.g. '2027-01-31T00:00:00Z'",
    })
  }
  return problems
}

function unknownParent(path: string, what: string, name: string, known: string[]): ConfigProblem {
  return {
    path,
    message: `unknown ${what} '${name}'`,
    hint:
      didYouMean(name, known) ??
      (known.length > 0 ? `declared ${what}s: ${known.join(', ')}` : `declare it under ${what}s`),
  }
}

function checkUniqueHashes(keys: unknown[]): ConfigProblem[] {
  const firstAt = new Map<string, number>()
  const problems: ConfigProblem[] = []
  keys.forEach((raw, i) => {
    const hash = asRecord(raw).hash
    if (typeof hash !== 'string') return
    const first = firstAt.get(hash)
    if (first === undefined) firstAt.set(hash, i)
    else
      problems.push({
        path: `/keys/${i}/hash`,
        message: `the same key as /keys/${first} (identical hash)`,
        hint: 'every key needs its own secret: create another with `gateway keys new`',
      })
  })
  return problems
}
