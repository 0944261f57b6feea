/**
 * `gateway test`: policy and routing cases written as data next to the
 * policies (`policies/*.test.yaml|.yml|.json`). Each case is a request and a
 * caller, and the decision expected: allowed (with the route, targets, fields
 * set and tags) or denied (with status and code). Runs without any provider;
 * a mismatch is printed as expected-versus-actual, field by field.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { Runtime } from '../runtime/runtime.js'
import { type Decision, dryRun } from './dry-run.js'

export interface TestCase {
  name: string
  request: unknown
  endpoint?: 'chat' | 'embeddings'
  key?: string
  headers?: Record<string, string>
  expect: Expectation
}

export interface Expectation {
  allowed?: boolean
  denied?: { status?: number; code?: string; policy?: string }
  route?: string
  targets?: string[]
  /** Dotted paths into the final request, e.g. `body.max_tokens`, and their expected values. */
  set?: Record<string, unknown>
  tags?: Record<string, string>
  plugins?: string[]
}

export interface CaseResult {
  file: string
  name: string
  mismatches: Array<{ field: string; expected: unknown; actual: unknown }>
}

const TEST_FILE = /\.test\.(ya?ml|json)$/

/** The files given, or every test file in `policies/` next to the config. */
export function findTestFiles(configDir: string, given: readonly string[]): string[] {
  if (given.length > 0) return given.map((file) => path.resolve(file))
  const dir = path.join(configDir, 'policies')
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => TEST_FILE.test(name))
    .sort()
    .map((name) => path.join(dir, name))
}

export function readCases(file: string): TestCase[] {
  const text = readFileSync(file, 'utf8')
  const data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  const cases = Array.isArray(data) ? data : (data as { cases?: unknown })?.cases
  if (!Array.isArray(cases)) throw new Error(`${file}: expected a list of cases (or { cases: [...] })`)
  return cases.map((entry, i) => {
    const c = entry as Partial<TestCase>
    if (typeof c.name !== 'string' || !c.expect || c.request === undefined) {
      throw new Error(`${file}: case ${i + 1} needs name, request and expect`)
    }
    return c as TestCase
  })
}

export async function runCase(runtime: Runtime, file: string, testCase: TestCase): Promise<CaseResult> {
  const decision = await dryRun(runtime, testCase)
  return { file, name: testCase.name, mismatches: compare(testCase.expect, decision) }
}

function compare(expect: Expectation, decision: Decision): CaseResult['mismatches'] {
  const out: CaseResult['mismatches'] = []
  const check = (field: string, expected: unknown, actual: unknown) => {
    if (expected !== undefined && JSON.stringify(expected) !== JSON.stringify(actual))
      out.push({ field, expected, actual })
  }
  const outcome = (d: Decision) =>
    d.allowed ? 'allowed' : `denied ${d.denied?.status} ${d.denied?.code ?? ''}: ${d.denied?.message}`
  if (expect.allowed !== undefined && expect.allowed !== decision.allowed) {
    out.push({ field: 'allowed', expected: expect.allowed, actual: outcome(decision) })
  }
  if (expect.denied) {
    if (decision.allowed) out.push({ field: 'denied', expected: expect.denied, actual: 'allowed' })
    else {
      check('denied.status', expect.denied.status, decision.denied?.status)
      check('denied.code', expect.denied.code, decision.denied?.code)
      check('denied.policy', expect.denied.policy, decision.denied?.policy)
    }
  }
  check('route', expect.route, decision.route?.name)
  check('targets', expect.targets, decision.targets)
  for (const [field, value] of Object.entries(expect.set ?? {})) check(field, value, valueAt(decision, field))
  for (const [tag, value] of Object.entries(expect.tags ?? {})) check(`tags.${tag}`, value, decision.tags[tag])
  check('plugins', expect.plugins, decision.plugins)
  return out
}

function valueAt(decision: Decision, dotted: string): unknown {
  const [root, ...rest] = dotted.split('.')
  let node: unknown = root === 'body' ? decision.body : undefined
  for (const key of rest) node = (node as Record<string, unknown> | undefined)?.[key]
  return node
}

export function formatResults(results: readonly CaseResult[]): string {
  const lines: string[] = []
  for (const result of results) {
    const where = path.relative(process.cwd(), result.file)
    if (result.mismatches.length === 0) {
      lines.push(`✓ ${result.name}  (${where})`)
      continue
    }
    lines.push(`✗ ${result.name}  (${where})`)
    for (const { field, expected, actual } of result.mismatches) {
      lines.push(`    ${field}`, `      - expected: ${show(expected)}`, `      + actual:   ${show(actual)}`)
    }
  }
  const failed = results.filter((r) => r.mismatches.length > 0).length
  lines.push('', `${results.length - failed} passed, ${failed} failed`)
  return lines.join('\n')
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))
