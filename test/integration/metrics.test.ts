import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORE_ENTRY, startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

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
      value(
        'gateway_requests_total{surface="openai",endpoint="chat",route="resilient",provider="good",model="demo",status="200"}',
      ),
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

describe('latency, stream and plugin-reported metrics', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      `import { defineConfig, definePlugin } from ${JSON.stringify(CORE_ENTRY)}
const guard = definePlugin({
  name: 'guard',
  setup: (_options, api) => ({
    onRequest: async (ctx) => {
      api.cacheLookup('miss')
      api.verdict(JSON.stringify(ctx.body).includes('forbidden') ? 'flag' : 'allow')
    },
  }),
})
export default defineConfig({
  providers: { mock: { type: 'mock', chunkSize: 1, chunkDelayMs: 5 } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [guard()],
})
`,
    )
    for (const content of ['one two three four', 'a forbidden word']) {
      await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content }] }),
      }).then((r) => r.body.text())
    }
  })
  afterAll(() => gateway.close())

  it('measures time to first token, gaps between chunks and the gateway overhead; counts verdicts and cache lookups', async () => {
    const text = await (await request(`${gateway.url}/metrics`)).body.text()
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return line === undefined ? undefined : Number(line.slice(series.length + 1))
    }
    expect(value('gateway_time_to_first_token_seconds_count{route="demo"}')).toBe(2)
    // "You said: one two three four": 7 chunks of content plus role and finish, 5 ms apart.
    expect(value('gateway_inter_chunk_seconds_count')).toBeGreaterThanOrEqual(10)
    expect(value('gateway_overhead_seconds_count{endpoint="chat",stream="true"}')).toBe(2)
    expect(value('gateway_guardrail_verdicts_total{plugin="guard",verdict="allow"}')).toBe(1)
    expect(value('gateway_guardrail_verdicts_total{plugin="guard",verdict="flag"}')).toBe(1)
    expect(value('gateway_cache_lookups_total{plugin="guard",result="miss"}')).toBe(2)
  })

  it('logs time to first token and upstream time in the request line', () => {
    const lines = gateway.logs.map((line) => JSON.parse(line) as { msg: string; ttftMs?: number; upstreamMs?: number })
    const requests = lines.filter((line) => line.msg === 'request')
    expect(requests).toHaveLength(2)
    for (const line of requests) {
      expect(line.ttftMs).toBeGreaterThanOrEqual(0)
      expect(line.upstreamMs).toBeGreaterThanOrEqual(0)
    }
  })
})
