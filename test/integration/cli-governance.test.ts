import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

const run = promisify(execFile)
const repo = fileURLToPath(new URL('../..', import.meta.url))
const gatewayCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
  })

describe('gateway keys new', () => {
  it('prints a fresh key once and the config line holding only its hash', async () => {
    const { stdout } = await gatewayCli(['keys', 'new', '--name', 'ml-batch', '--team', 'ml'])
    const key = /^key:\s+(gw-\S+)$/m.exec(stdout)?.[1] as string
    expect(key).toMatch(/^gw-[A-Za-z0-9_-]{43}$/)
    expect(stdout).toContain(`{ name: 'ml-batch', hash: '${hashKey(key)}', team: 'ml' },`)
    const again = await gatewayCli(['keys', 'new', '--name', 'ml-batch'])
    expect(again.stdout).not.toContain(key)
  })
})

describe('gateway usage', () => {
  const key = 'gw-cli-usage-0123456789'
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{
        admin: { token: 'cli-admin-token' },
        providers: { mock: { type: 'mock', reply: 'one two three' } },
        routes: { demo: { targets: ['mock/demo'] } },
        pricing: { overrides: { 'mock/demo': { input: 0, output: 1000000 } } },
        teams: { ml: { budget: { usd: 10, period: 'month' } } },
        keys: [{ name: 'batch', hash: '${hashKey(key)}', team: 'ml' }],
      }`),
    )
    await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'demo', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    }).then((r) => r.text())
  })
  afterAll(() => gateway.close())

  it('prints spend and remaining budget per level from the running gateway', async () => {
    const { stdout } = await gatewayCli(['usage', '--url', gateway.url], { GATEWAY_ADMIN_TOKEN: 'cli-admin-token' })
    const lines = stdout.trim().split('\n')
    expect(lines[1]).toMatch(/^level\s+name\s+budget\s+spent\s+reserved\s+remaining\s+resets$/)
    // "one two three" is 4 mock tokens at $1 each.
    expect(lines.find((line) => line.startsWith('team'))).toMatch(
      /^team\s+ml\s+\$10 \/ month\s+\$4\.0000\s+\$0\.0000\s+\$6\.0000\s+\d{4}-\d\d-01T00:00:00\.000Z$/,
    )
    expect(lines.find((line) => line.startsWith('key'))).toMatch(/^key\s+batch\s+-\s+\$4\.0000\s+\$0\.0000\s+-\s+-$/)
  })

  it('fails with exit 1 on a wrong token and exit 2 without one', async () => {
    await expect(gatewayCli(['usage', '--url', gateway.url, '--token', 'wrong'])).rejects.toMatchObject({ code: 1 })
    await expect(gatewayCli(['usage', '--url', gateway.url], { GATEWAY_ADMIN_TOKEN: '' })).rejects.toMatchObject({
      code: 2,
    })
  })
})
