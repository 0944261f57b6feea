/**
 * JSONata policies are compiled once per runtime (≈80 µs each), never per
 * request. A rule that does not compile is a config problem at its path.
 */
import jsonata from 'jsonata'
import type { ConfigProblem } from '../config/problems.js'
import type { PolicyConfig } from '../config/schema.js'

export interface CompiledPolicy {
  readonly name: string
  readonly when: jsonata.Expression
  readonly deny?: { status: number; message: string; code: string | null }
  /** Dotted paths under `body`, without the `body.` prefix, split once here. */
  readonly set: ReadonlyArray<{ path: readonly string[]; value: unknown }>
}

export function compilePolicies(policies: readonly PolicyConfig[]): {
  policies: CompiledPolicy[]
  problems: ConfigProblem[]
} {
  const problems: ConfigProblem[] = []
  const compiled: CompiledPolicy[] = []
  policies.forEach((policy, i) => {
    if (typeof policy?.when !== 'string') return // a shape problem, reported by the schema check
    let when: jsonata.Expression
    try {
      when = jsonata(policy.when)
    } catch (error) {
      const { message, position } = error as { message: string; position?: number }
      problems.push({
        path: `/policies/${i}/when`,
        message: `JSONata does not compile: ${message}${position === undefined ? '' : ` (at character ${position})`}`,
        hint: 'try the expression at https://try.jsonata.org with a sample { body, caller, headers, time } input',
      })
      return
    }
    if (!policy.deny && !policy.set) {
      problems.push({
        path: `/policies/${i}`,
        message: `policy '${policy.name}' has no action`,
        hint: 'add `deny: { message }` or `set: { "body.field": value }`',
      })
    }
    compiled.push({
      name: policy.name,
      when,
      ...(policy.deny && {
        deny: { status: policy.deny.status ?? 403, message: policy.deny.message, code: policy.deny.code ?? null },
      }),
      set: Object.entries(policy.set ?? {}).map(([path, value]) => ({ path: path.split('.').slice(1), value })),
    })
  })
  return { policies: compiled, problems }
}
