import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { renderExplainDoc } from '../../scripts/explain-examples.js'
import { makeConfigDir, tsConfig } from '../helpers/gateway.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)

/** Runs the CLI; resolves with the exit code and output whether it succeeded or not. */
async function gateway(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', ...args], {
      cwd: repo,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('gateway test', () => {
  it("passes on the repo's own policies and their cases", async () => {
    const result = await gateway(['test'])
    expect(result.stdout).toContain('6 passed, 0 failed')
    expect(result.code).toBe(0)
  })

  it('fails with exit 1 and a readable expected/actual diff on a wrong expectation', async () => {
    const dir = makeConfigDir()
    const file = path.join(dir, 'wrong.test.yaml')
    writeFileSync(
      file,
      [
        '- name: capped output, expected wrongly',
        '  request: { model: demo, max_tokens: 100000, messages: [{ role: user, content: hi }] }',
        '  expect: { set: { body.max_tokens: 1000 }, route: fast }',
      ].join('\n'),
    )
    const result = await gateway(['test', file])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('✗ capped output, expected wrongly')
    expect(result.stdout).toContain('    route\n      - expected: fast\n      + actual:   demo')
    expect(result.stdout).toContain('    body.max_tokens\n      - expected: 1000\n      + actual:   4096')
    expect(result.stdout).toContain('0 passed, 1 failed')
  })
})

describe('gateway explain', () => {
  it('docs/EXPLAIN.md is what the command prints today (npm run docs:explain)', () => {
    expect(readFileSync(path.join(repo, 'docs/EXPLAIN.md'), 'utf8')).toBe(renderExplainDoc())
  }, 30_000)

  it('prints the decision as JSON on request', async () => {
    const result = await gateway([
      'explain',
      '--config',
      'examples/team-routing.config.ts',
      '--key',
      'intern-1',
      '--request',
      'examples/requests/intern-smart.json',
      '--json',
    ])
    expect(JSON.parse(result.stdout)).toMatchObject({
      allowed: false,
      denied: { status: 403, code: 'model_reserved', policy: 'no-smart-for-interns' },
      caller: { key: 'intern-1', team: 'interns', org: 'acme' },
    })
  })
})

describe('gateway diff', () => {
  it('names what changed between two configs, section by section', async () => {
    const dir = makeConfigDir()
    const before = path.join(dir, 'before.config.ts')
    const after = path.join(dir, 'after.config.ts')
    writeFileSync(
      before,
      tsConfig(`{ providers: { mock: { type: 'mock' } }, routes: { a: { targets: ['mock/demo'] }, b: { targets: ['mock/demo'] } },
        policies: [{ name: 'cap', when: 'true', set: { 'body.max_tokens': 10 } }] }`),
    )
    writeFileSync(
      after,
      tsConfig(`{ providers: { mock: { type: 'mock' }, extra: { type: 'mock' } },
        routes: { a: { targets: ['mock/demo'], retry: { attempts: 3 } }, c: { targets: ['extra/demo'] } },
        teams: { ml: { limits: { rpm: 10 } } },
        policies: [{ name: 'cap', when: 'true', set: { 'body.max_tokens': 20 } }] }`),
    )
    const result = await gateway(['diff', before, after])
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual([
      'providers  + extra',
      'routes     + c   - b   ~ a',
      'teams      + ml',
      'policies   ~ cap',
    ])
  })
})
