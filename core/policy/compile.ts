/**
 * JSONata policies are compiled once per runtime (≈80 µs each), never per
 * request. An inline rule is a condition plus the actions it takes; a file
 * policy is a JSONata expression that returns the actions itself (or nothing).
 * Whatever does not compile is a config problem at its path.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { ConfigProblem } from '../config/problems.js'
import type { InlinePolicyConfig, PolicyConfig } from '../config/schema.js'
import { checkActions, hasAction, type PolicyActions, type PolicyPhase } from './actions.js'
import { type CompiledExpression, compileExpression } from './condition.js'

export interface CompiledPolicy {
  readonly name: string
  readonly phase: PolicyPhase
  readonly onError: 'deny' | 'skip'
  /** `inline`, or the policy file's path: where to look when it misbehaves. */
  readonly source: string
  /**
   * The actions to take for this input, or null when the policy does not
   * apply; synchronous when its expression runs compiled (./condition.ts).
   */
  decide(input: Record<string, unknown>): PolicyActions | null | Promise<PolicyActions | null>
}

export interface CompiledPolicies {
  policies: CompiledPolicy[]
  problems: ConfigProblem[]
  /** Policy files read, for the reloader to watch. */
  files: string[]
}

export function compilePolicies(policies: readonly PolicyConfig[], configDir: string): CompiledPolicies {
  const out: CompiledPolicies = { policies: [], problems: [], files: [] }
  policies.forEach((policy, i) => {
    if (typeof policy !== 'object' || policy === null) return // a shape problem, reported by the schema check
    if ('file' in policy && typeof policy.file === 'string') compileFile(policy, i, configDir, out)
    else if ('when' in policy && typeof policy.when === 'string') compileInline(policy, i, out)
  })
  return out
}

function compileInline(policy: InlinePolicyConfig, i: number, out: CompiledPolicies): void {
  const when = parse(policy.when, `/policies/${i}/when`, out.problems)
  const { name, when: _when, phase = 'request', onError = 'deny', ...actions } = policy
  if (!hasAction(actions)) {
    out.problems.push({
      path: `/policies/${i}`,
      message: `policy '${name}' has no action`,
      hint: 'add deny, set, unset, route, tag or require',
    })
  }
  out.problems.push(...phaseProblems(actions, phase, `/policies/${i}`))
  if (!when) return
  out.policies.push({
    name,
    phase,
    onError,
    source: 'inline',
    decide: (input) => {
      const matched = when.evaluate(input)
      if (!(matched instanceof Promise)) return matched ? actions : null
      return matched.then((result) => (result ? actions : null))
    },
  })
}

function compileFile(
  policy: Extract<PolicyConfig, { file: string }>,
  i: number,
  configDir: string,
  out: CompiledPolicies,
): void {
  const file = path.resolve(configDir, policy.file)
  out.files.push(file)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    out.problems.push({
      path: `/policies/${i}/file`,
      message: `cannot read '${policy.file}'`,
      hint: 'policy files are relative to the config file',
    })
    return
  }
  const expression = parse(text, `/policies/${i}/file`, out.problems, policy.file)
  if (!expression) return
  const name = policy.name ?? path.basename(file).replace(/\.jsonata$/, '')
  out.policies.push({
    name,
    phase: policy.phase ?? 'request',
    onError: policy.onError ?? 'deny',
    source: policy.file,
    decide: async (input) => {
      const result = await expression.evaluate(input)
      return result === undefined || result === null || result === false ? null : checkActions(result, name)
    },
  })
}

function parse(source: string, at: string, problems: ConfigProblem[], file?: string): CompiledExpression | undefined {
  try {
    return compileExpression(source)
  } catch (error) {
    const { message, position } = error as { message: string; position?: number }
    problems.push({
      path: at,
      message: `${file ? `${file}: ` : ''}JSONata does not compile: ${message}${position === undefined ? '' : ` (at character ${position})`}`,
      hint: 'try the expression at https://try.jsonata.org with a sample { body, caller, headers, time } input',
    })
    return undefined
  }
}

/** Request rules change the request, response rules the answer; `route` only makes sense before routing. */
function phaseProblems(actions: PolicyActions, phase: PolicyPhase, at: string): ConfigProblem[] {
  const prefix = phase === 'request' ? 'body.' : 'response.'
  const problems: ConfigProblem[] = []
  for (const key of Object.keys(actions.set ?? {})) {
    if (!key.startsWith(prefix)) {
      problems.push({
        path: `${at}/set/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        message: `a ${phase}-phase policy sets ${prefix}* fields`,
        hint: phase === 'request' ? "use phase: 'response' to change the answer" : 'the request has already been sent',
      })
    }
  }
  ;(actions.unset ?? []).forEach((key, j) => {
    if (!key.startsWith(prefix))
      problems.push({ path: `${at}/unset/${j}`, message: `a ${phase}-phase policy unsets ${prefix}* fields` })
  })
  if (actions.route && phase === 'response') {
    problems.push({ path: `${at}/route`, message: 'a response-phase policy cannot route: the request has been served' })
  }
  return problems
}
