/**
 * Budgets and rate limits hold exactly across replicas: three real gateway
 * processes share one Redis, and the same scenarios run on the embedded
 * memory store in a single process.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { type CliProcess, startCli } from '../helpers/cli-process.js'
import { makeConfigDir, startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { deleteKeys, REDIS_URL, redisForTests, requireRedis } from '../helpers/redis.js'

const BUDGETED_KEY = 'gw-replica-budgeted-0123456789'
const LIMITED_KEY = 'gw-replica-limited-0123456789'
const ADMIN_TOKEN = 'replica-admin-token'
const BUDGET_USD = 100
/** Each request reserves max_tokens (5) x $1 and settles at the reply's 1 token: $1. */
const MAX_TOKENS = 5
const RPM = 60

function governedConfig(store: string): string {
  return tsConfig(`{
    auth: { mode: 'keys' },
    admin: { token: '${ADMIN_TOKEN}' },
    store: ${store},
    providers: { mock: { type: 'mock', reply: 'ok', latencyMs: 30 } },
    routes: { demo: { targets: ['mock/demo'] } },
    pricing: { overrides: { 'mock/demo': { input: 0, output: 1000000 } } },
    keys: [
      { name: 'budgeted', hash: '${hashKey(BUDGETED_KEY)}', budget: { usd: ${BUDGET_USD}, period: 'total' } },
      { name: 'limited', hash: '${hashKey(LIMITED_KEY)}', limits: { rpm: ${RPM} } },
    ],
  }`)
}

interface Outcome {
  status: number
  code: string | undefined
}

async function ask(url: string, key: string): Promise<Outcome> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'demo', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] }),
  })
  const body = (await res.body.json()) as { error?: { code?: string } }
  return { status: res.statusCode, code: body.error?.code }
}

async function spentUsd(url: string): Promise<number> {
  const res = await request(`${url}/admin/usage`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  const report = (await res.body.json()) as { keys: Record<string, { spentUsd: number; reservedUsd: number }> }
  expect(report.keys.budgeted?.reservedUsd).toBe(0)
  return report.keys.budgeted?.spentUsd ?? Number.NaN
}

/** Fixed one-minute windows: stay clear of a boundary so one burst lands in one window. */
async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000
  if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 200)
}

/** The scenarios, against any set of gateway URLs that share one store. */
function scenarios(urls: () => string[]) {
  it(`300 concurrent requests never settle more than the $${BUDGET_USD} budget; every refusal is the budget error`, async () => {
    const replicas = urls()
    const burst = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ask(replicas[i % replicas.length] as string, BUDGETED_KEY)),
    )
    const served = burst.filter((o) => o.status === 200).length
    expect(burst.filter((o) => o.status !== 200).every((o) => o.status === 429 && o.code === 'budget_exceeded')).toBe(
      true,
    )
    expect(served).toBeGreaterThan(0)
    // Reservations are the worst case and settle at the real cost, so spend can never pass the budget.
    expect(await spentUsd(replicas[0] as string)).toBe(served)
    expect(served).toBeLessThanOrEqual(BUDGET_USD)

    // Draining what is left, in turn across replicas: the budget is used up to the last whole reservation.
    let total = served
    for (let i = 0; ; i++) {
      const outcome = await ask(replicas[i % replicas.length] as string, BUDGETED_KEY)
      if (outcome.status !== 200) {
        expect(outcome).toEqual({ status: 429, code: 'budget_exceeded' })
        break
      }
      total++
    }
    const spent = await spentUsd(replicas[1 % replicas.length] as string)
    expect(spent).toBe(total)
    expect(spent).toBeLessThanOrEqual(BUDGET_USD)
    expect(spent).toBeGreaterThan(BUDGET_USD - MAX_TOKENS)
  })

  it(`an rpm limit of ${RPM} admits exactly ${RPM} in the window, whichever replica is asked`, async () => {
    await awayFromMinuteBoundary()
    const replicas = urls()
    const burst = await Promise.all(
      Array.from({ length: 150 }, (_, i) => ask(replicas[i % replicas.length] as string, LIMITED_KEY)),
    )
    expect(burst.filter((o) => o.status === 200)).toHaveLength(RPM)
    expect(burst.filter((o) => o.status === 429 && o.code === 'rate_limit_exceeded')).toHaveLength(150 - RPM)
  })
}

const redis = await redisForTests('the multi-replica governance tests')

describe.runIf(redis.run)('three gateway processes sharing Redis', () => {
  requireRedis()
  const prefix = `gw-test:${randomUUID()}:`
  const processes: CliProcess[] = []
  const urls: string[] = []

  beforeAll(async () => {
    const dir = makeConfigDir()
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(configPath, governedConfig(`{ kind: 'redis', url: '${REDIS_URL}', prefix: '${prefix}' }`))
    for (let i = 0; i < 3; i++) processes.push(startCli(['--config', configPath, '--port', '0', '--no-watch']))
    const listening = await Promise.all(processes.map((p) => p.next('gateway listening')))
    urls.push(...listening.map((line) => line.url as string))
  }, 60_000)

  afterAll(async () => {
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            p.child.once('exit', () => resolve())
            p.child.kill('SIGTERM')
          }),
      ),
    )
    await deleteKeys(`${prefix}*`)
  })

  scenarios(() => urls)
})

describe('the same scenarios on the memory store, one process', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(governedConfig(`{ kind: 'memory' }`))
  })
  afterAll(() => gateway.close())

  scenarios(() => [gateway.url])
})
