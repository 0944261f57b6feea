/**
 * Routing strategies measured over many requests, with the built-in mock
 * provider as upstream (no network, no sockets beyond the gateway's own):
 * the weighted split, a soak over a target failing at random, least-latency
 * preferring the fast target while still exploring, and cheapest moving on
 * when the cheapest target's breaker opens. Requests run with bounded
 * concurrency; the bounds are statistical (several standard deviations wide),
 * never timed.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

const CONCURRENCY = 50

interface Answer {
  status: number
  provider: string | undefined
  attempts: number
}

/** Sends `count` chat requests for `model`, at most `concurrency` at a time; answers in completion order. */
async function send(
  gateway: TestGateway,
  model: string,
  count: number,
  { concurrency = CONCURRENCY, content = 'hi' } = {},
): Promise<Answer[]> {
  const answers: Answer[] = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      const res = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
      })
      await res.body.dump()
      answers.push({
        status: res.statusCode,
        provider: res.headers['x-gateway-provider'] as string | undefined,
        attempts: Number(res.headers['x-gateway-attempts']),
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return answers
}

function countBy(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { provider } of answers) counts[provider ?? 'none'] = (counts[provider ?? 'none'] ?? 0) + 1
  return counts
}

describe('routing strategies over many requests', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{
        // The soak must keep meeting the failing target, so its breaker never opens here.
        routing: { breaker: { failures: 1000000 } },
        providers: {
          w1: { type: 'mock', reply: 'one' },
          w3: { type: 'mock', reply: 'three' },
          w6: { type: 'mock', reply: 'six' },
          flaky: { type: 'mock', reply: 'flaky', failures: [{ status: 500, probability: 0.3 }] },
          steady: { type: 'mock', reply: 'steady' },
          fast: { type: 'mock', reply: 'fast', latencyMs: 5 },
          slow: { type: 'mock', reply: 'slow', latencyMs: 60 },
        },
        routes: {
          split: {
            strategy: 'weighted',
            targets: [{ to: 'w1/demo', weight: 1 }, { to: 'w3/demo', weight: 3 }, { to: 'w6/demo', weight: 6 }],
          },
          soak: { strategy: 'fallback', targets: ['flaky/demo', 'steady/demo'], retry: { attempts: 2, initialDelayMs: 5 } },
          fastest: { strategy: 'least-latency', targets: ['slow/demo', 'fast/demo'] },
        },
      }`),
      // 10,000 request lines at debug level would only slow the test down.
      { logLevel: 'warn' },
    )
  })
  afterAll(() => gateway?.close())

  it('weighted 1/3/6: 10,000 requests land within 2 points of 10% / 30% / 60%', async () => {
    const answers = await send(gateway, 'split', 10_000)
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    const counts = countBy(answers)
    const share = (provider: string) => (counts[provider] ?? 0) / answers.length
    console.info(`weighted split over ${answers.length}: ${JSON.stringify(counts)}`)
    // One standard deviation of the 60% share is 0.5 points: 2 points is four of them.
    expect(Math.abs(share('w1') - 0.1)).toBeLessThan(0.02)
    expect(Math.abs(share('w3') - 0.3)).toBeLessThan(0.02)
    expect(Math.abs(share('w6') - 0.6)).toBeLessThan(0.02)
  })

  it('soak: a target failing 30% of calls at random, with retries and fallback: 1,000 requests, 0 failures', async () => {
    const answers = await send(gateway, 'soak', 1_000)
    const failures = answers.filter((answer) => answer.status !== 200)
    const counts = countBy(answers)
    const retried = answers.filter((answer) => answer.attempts > 1).length
    console.info(`soak: ${failures.length} failures, served by ${JSON.stringify(counts)}, ${retried} needed >1 attempt`)
    expect(failures).toEqual([])
    // Failures really happened and were absorbed: ~30% retried (≥ 200 of 1,000 is 7 sd below), ~9% fell back.
    expect(retried).toBeGreaterThan(200)
    expect(counts.steady ?? 0).toBeGreaterThan(30)
    expect(counts.flaky ?? 0).toBeGreaterThan(800)
  })

  it('least-latency: after warm-up most requests go to the fast target, some still explore the slow one', async () => {
    await send(gateway, 'fastest', 20, { concurrency: 1 })
    const answers = await send(gateway, 'fastest', 500, { concurrency: 10 })
    const counts = countBy(answers)
    const fastShare = (counts.fast ?? 0) / answers.length
    console.info(`least-latency over ${answers.length}: ${JSON.stringify(counts)} (fast ${fastShare.toFixed(3)})`)
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    expect(fastShare).toBeGreaterThan(0.8)
    // Exploration leads with a random target 10% of the time: ~25 of 500 reach the slow one.
    expect(counts.slow ?? 0).toBeGreaterThan(0)
  })
})

describe('cheapest', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{
        routing: { breaker: { failures: 2, windowMs: 60000, cooldownMs: 60000 } },
        providers: {
          pricey: { type: 'mock', reply: 'pricey' },
          mid: { type: 'mock', reply: 'mid' },
          cheap: { type: 'mock', reply: 'cheap', failures: [{ status: 500, match: 'break the cheap one' }] },
        },
        pricing: {
          overrides: {
            'pricey/demo': { input: 10, output: 30 },
            'mid/demo': { input: 1, output: 3 },
            'cheap/demo': { input: 0.1, output: 0.3 },
          },
        },
        // Listed dearest first: the order is the price's, not the list's.
        routes: { thrifty: { strategy: 'cheapest', targets: ['pricey/demo', 'mid/demo', 'cheap/demo'] } },
      }`),
    )
  })
  afterAll(() => gateway?.close())

  it('the cheapest target serves; when its breaker is open, the next cheapest does', async () => {
    expect(countBy(await send(gateway, 'thrifty', 20, { concurrency: 5 }))).toEqual({ cheap: 20 })

    // Two failures (a try and its retry) open the cheap target's breaker; that request falls back to mid.
    const [broken] = await send(gateway, 'thrifty', 1, { content: 'break the cheap one' })
    expect(broken).toMatchObject({ status: 200, provider: 'mid', attempts: 3 })

    const after = await send(gateway, 'thrifty', 20, { concurrency: 5 })
    expect(countBy(after)).toEqual({ mid: 20 })
    expect(after.every((answer) => answer.attempts === 1)).toBe(true)
    expect(gateway.logs.some((line) => line.includes('target skipped') && line.includes('"provider":"cheap"'))).toBe(
      true,
    )
  })
})
