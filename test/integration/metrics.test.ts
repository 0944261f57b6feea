import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

describe('metrics and routing health', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{
        admin: { token: 'metrics-admin' },
        routing: { breaker: { failures: 2, cooldownMs: 60000 } },
        providers: {
          broken: { type: 'mock', failures: [{ status: 503 }] },
          good: { type: 'mock', models: ['demo', 'extra'], reply: 'fine thanks' },
        },
        pricing: { overrides: { 'good/demo': { input: 1000000, output: 1000000 } } },
        routes: { resilient: { targets: ['broken/demo', 'good/demo'], retry: { attempts: 1 } } },
      }`),
    )
    const ask = (model: string) =>
      request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.body.dump())
    for (let i = 0; i < 3; i++) await ask('resilient')
    await ask('good/made-up-by-a-client')
  })
  afterAll(() => gateway.close())

  it('exposes requests, attempts, fallbacks, skips, tokens, cost, breaker state and reloads, with bounded labels', async () => {
    const res = await request(`${gateway.url}/metrics`)
    expect(res.headers['content-type']).toContain('text/plain')
    const text = await res.body.text()
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return line === undefined ? undefined : Number(line.slice(series.length + 1))
    }
    expect(
      value('gateway_requests_total{endpoint="chat",route="resilient",provider="good",model="demo",status="200"}'),
    ).toBe(3)
    // Two failures open the breaker; the third request skips the broken target without calling it.
    expect(value('gateway_upstream_attempts_total{provider="broken",model="demo",outcome="overloaded"}')).toBe(2)
    expect(value('gateway_fallbacks_total{route="resilient",from_provider="broken"}')).toBe(2)
    expect(value('gateway_targets_skipped_total{provider="broken",model="demo"}')).toBe(1)
    expect(value('gateway_upstream_attempts_total{provider="good",model="demo",outcome="ok"}')).toBe(3)
    expect(value('gateway_circuit_state{target="broken/demo"}')).toBe(2)
    expect(value('gateway_circuit_state{target="good/demo"}')).toBe(0)
    expect(value('gateway_config_reloads_total{trigger="start",result="success"}')).toBe(1)
    // "hi" + chat overhead: the mock's usage; $1 per token in and out.
    const prompt = value('gateway_tokens_total{provider="good",model="demo",kind="prompt"}') as number
    const completion = value('gateway_tokens_total{provider="good",model="demo",kind="completion"}') as number
    expect(prompt).toBeGreaterThan(0)
    expect(value('gateway_cost_usd_total{provider="good",model="demo"}')).toBe(prompt + completion)
    // A model the config does not name is not a label value of its own.
    expect(text).toContain('model="other"')
    expect(text).not.toContain('made-up-by-a-client')
    expect(value('gateway_requests_in_flight')).toBe(0)
  })

  it('GET /admin/routing shows the breakers (admin token)', async () => {
    expect((await request(`${gateway.url}/admin/routing`)).statusCode).toBe(401)
    const res = await request(`${gateway.url}/admin/routing`, { headers: { authorization: 'Bearer metrics-admin' } })
    const body = (await res.body.json()) as { breakers: Record<string, { state: string }>; keys: unknown[] }
    expect(body.breakers['broken/demo']?.state).toBe('open')
    expect(body.breakers['good/demo']?.state).toBe('closed')
    expect(body.keys).toEqual([])
  })
})
