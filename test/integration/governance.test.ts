/**
 * Governance through the HTTP surface on the embedded memory store: keys,
 * allow-lists, the key -> team -> org hierarchy, rate limits, concurrency,
 * budgets with reservation and settlement, cost headers and the usage API.
 * The multi-replica Redis case is in governance-replicas.test.ts.
 */
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

const KEYS = {
  alice: 'gw-test-alice-0123456789',
  bob: 'gw-test-bob-0123456789',
  carol: 'gw-test-carol-0123456789',
  dave: 'gw-test-dave-0123456789',
  slow: 'gw-test-slow-0123456789',
  rationed: 'gw-test-rationed-0123456789',
  wordy: 'gw-test-wordy-0123456789',
  old: 'gw-test-old-0123456789',
  off: 'gw-test-off-0123456789',
  thrifty: 'gw-test-thrifty-0123456789',
}

/** Output at $1 per token and input free, so every cost in these tests is a whole number of dollars. */
const config = tsConfig(`{
  auth: { mode: 'keys' },
  admin: { token: 'admin-token-for-tests' },
  providers: {
    mock: { type: 'mock', models: ['demo', 'other'], reply: 'ok fine' },
    slow: { type: 'mock', models: ['demo'], latencyMs: 300, reply: 'ok' },
    dear: { type: 'mock', models: ['demo'], reply: 'ok' },
  },
  routes: {
    demo: { targets: ['mock/demo'] },
    premium: { targets: ['mock/other'] },
    slowpoke: { targets: ['slow/demo'] },
    dear: { targets: ['dear/demo'] },
  },
  pricing: {
    overrides: {
      'mock/demo': { input: 0, output: 1000000 },
      'slow/demo': { input: 0, output: 1000000 },
      'dear/demo': { input: 1000000, output: 0 },
    },
  },
  orgs: { acme: { budget: { usd: 1000, period: 'month' } } },
  teams: {
    ml: { org: 'acme', budget: { usd: 6, period: 'day' } },
    web: { org: 'acme', models: ['demo', 'slowpoke'] },
  },
  keys: [
    { name: 'alice', hash: '${hashKey(KEYS.alice)}', team: 'ml' },
    { name: 'bob', hash: '${hashKey(KEYS.bob)}', team: 'ml' },
    { name: 'carol', hash: '${hashKey(KEYS.carol)}', team: 'web', limits: { rpm: 3 } },
    { name: 'dave', hash: '${hashKey(KEYS.dave)}', team: 'web' },
    { name: 'slow', hash: '${hashKey(KEYS.slow)}', team: 'web', limits: { concurrent: 2 } },
    { name: 'rationed', hash: '${hashKey(KEYS.rationed)}', team: 'web', budget: { usd: 3, period: 'total' } },
    { name: 'wordy', hash: '${hashKey(KEYS.wordy)}', team: 'web', limits: { tpm: 15 } },
    { name: 'old', hash: '${hashKey(KEYS.old)}', expiresAt: '2020-01-01T00:00:00Z' },
    { name: 'off', hash: '${hashKey(KEYS.off)}', disabled: true },
    { name: 'thrifty', hash: '${hashKey(KEYS.thrifty)}', budget: { usd: 40, period: 'total' } },
  ],
}`)

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: { error?: { message: string; type: string; code: string; param: string | null }; choices?: unknown[] }
}

describe('governance (memory store)', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(config)
  })
  afterAll(() => gateway.close())

  const chat = async (key: string | null, body: object = {}, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }), ...headers },
      body: JSON.stringify({ model: 'demo', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }], ...body }),
    })
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Answer['body'] }
  }

  describe('authentication', () => {
    it('refuses a missing or unknown key with 401 in OpenAI shape, never echoing the key', async () => {
      const missing = await chat(null)
      expect(missing.status).toBe(401)
      expect(missing.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' })
      const wrong = await chat('gw-not-a-real-key')
      expect(wrong.status).toBe(401)
      expect(JSON.stringify(wrong.body)).not.toContain('gw-not-a-real-key')
    })

    it('accepts the key as Bearer, x-api-key or x-goog-api-key', async () => {
      expect((await chat(KEYS.dave)).status).toBe(200)
      expect((await chat(null, {}, { 'x-api-key': KEYS.dave })).status).toBe(200)
      expect((await chat(null, {}, { 'x-goog-api-key': KEYS.dave })).status).toBe(200)
    })

    it('refuses expired and disabled keys, saying which', async () => {
      expect((await chat(KEYS.old)).body.error).toMatchObject({ code: 'key_expired' })
      expect((await chat(KEYS.off)).body.error).toMatchObject({ code: 'key_disabled' })
    })

    it('the OpenAI SDK sees a typed AuthenticationError', async () => {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'gw-wrong', maxRetries: 0 })
      await expect(
        client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
    })
  })

  describe('allow-lists', () => {
    it('refuses a model outside the team allow-list with 403, and lists only allowed models', async () => {
      const refused = await chat(KEYS.dave, { model: 'premium' })
      expect(refused.status).toBe(403)
      expect(refused.body.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' })
      expect(refused.body.error?.message).toBe("Team 'web' may not use model 'premium'.")
      const models = await request(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${KEYS.dave}` } })
      const ids = ((await models.body.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)
      expect(ids).toEqual(['demo', 'slowpoke'])
    })
  })

  describe('rate limits', () => {
    it('admits exactly rpm requests in the window, then 429 with Retry-After naming the limit', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => chat(KEYS.carol)))
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429])
      const refused = answers.find((a) => a.status === 429) as Answer
      expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })
      expect(refused.body.error?.message).toBe("Rate limit reached: Key 'carol' allows 3 requests per minute.")
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
      // A sibling key of the same team is not affected.
      expect((await chat(KEYS.dave)).status).toBe(200)
    })

    it('counts tokens per minute: the prompt estimate at admission, corrected to the real usage after', async () => {
      // Admission takes the tokenizer's 8 prompt tokens; the mock then reports 6 in all (4 prompt + 2 completion),
      // so the window holds 6, then 12, and a third request (12 + 8 > 15) is refused.
      expect((await chat(KEYS.wordy)).status).toBe(200)
      expect((await chat(KEYS.wordy)).status).toBe(200)
      const refused = await chat(KEYS.wordy)
      expect(refused.status).toBe(429)
      expect(refused.body.error?.message).toBe("Rate limit reached: Key 'wordy' allows 15 tokens per minute.")
    })

    it('caps concurrent requests and frees the slot when a request ends', async () => {
      const burst = await Promise.all(Array.from({ length: 4 }, () => chat(KEYS.slow, { model: 'slowpoke' })))
      expect(burst.map((a) => a.status).sort()).toEqual([200, 200, 429, 429])
      expect(burst.find((a) => a.status === 429)?.body.error?.message).toBe(
        "Rate limit reached: Key 'slow' allows 2 concurrent requests.",
      )
      expect((await chat(KEYS.slow, { model: 'slowpoke' })).status).toBe(200)
    })
  })

  describe('budgets', () => {
    it('prices the answer: x-gateway-cost-usd from usage and the price table', async () => {
      // "ok fine" is 2 mock tokens at $1 each; max_tokens 2 reserves exactly that.
      const answer = await chat(KEYS.dave)
      expect(answer.status).toBe(200)
      expect(answer.headers['x-gateway-cost-usd']).toBe('2.000000000')
    })

    it('a key budget stops that key only, with the level, amount and reset in the error', async () => {
      const first = await chat(KEYS.rationed, { max_tokens: 1 })
      expect(first.status).toBe(200) // $1 (truncated to one token)
      const second = await chat(KEYS.rationed, { max_tokens: 2 })
      expect(second.status).toBe(200) // $2 -> $3 spent of $3
      const third = await chat(KEYS.rationed, { max_tokens: 1 })
      expect(third.status).toBe(429)
      expect(third.headers['x-should-retry']).toBe('false')
      expect(third.body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' })
      expect(third.body.error?.message).toBe("Budget exhausted: Key 'rationed' has used its $3.00 in total.")
      expect((await chat(KEYS.dave, { max_tokens: 1 })).status).toBe(200)
    })

    it('a team budget stops all of its keys; reservations refuse what could overrun it', async () => {
      // Team ml: $6 a day. Each request reserves max_tokens x $1 and settles at 2 tokens ("ok fine").
      expect((await chat(KEYS.alice)).status).toBe(200) // $2
      expect((await chat(KEYS.bob)).status).toBe(200) // $4
      // $4 spent + a $4 reservation would pass $6: refused before the call, though it would only cost $2.
      const tooBig = await chat(KEYS.alice, { max_tokens: 4 })
      expect(tooBig.status).toBe(429)
      expect((await chat(KEYS.bob)).status).toBe(200) // $6
      const refused = await chat(KEYS.alice, { max_tokens: 1 })
      expect(refused.status).toBe(429)
      expect(refused.body.error?.message).toMatch(
        /^Budget exhausted: Team 'ml' has used its \$6\.00 per day\. It resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\.$/,
      )
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect((await chat(KEYS.bob, { max_tokens: 1 })).status).toBe(429)
    })

    it('reserves the prompt by a byte ceiling, but refuses only on the exact token count', async () => {
      // Input at $1 per token. Eight words: 15 tokens ($15) by OpenAI's recipe, 57 bytes ($57) by the
      // ceiling a reservation starts from: $40 admits the exact count, so the request is served.
      const words = (n: number) => ({ model: 'dear', messages: [{ role: 'user', content: 'hello '.repeat(n).trim() }] })
      expect((await chat(KEYS.thrifty, words(8))).status).toBe(200)
      // Forty words are 47 tokens: more than the budget left, so refused on the exact count.
      const refused = await chat(KEYS.thrifty, words(40))
      expect(refused.status).toBe(429)
      expect(refused.body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' })
    })

    it('streams settle from the upstream usage even when the client did not ask for it', async () => {
      const res = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.dave}` },
        body: JSON.stringify({
          model: 'demo',
          stream: true,
          max_tokens: 2,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      })
      const text = await res.body.text()
      expect(text).not.toContain('"usage"')
      expect(text).toContain('data: [DONE]')
      const logged = gateway.logs
        .map(
          (line) =>
            JSON.parse(line) as { msg: string; key?: string; stream?: boolean; costUsd?: number; usage?: object },
        )
        .filter((line) => line.msg === 'request' && line.key === 'dave' && line.stream)
      expect(logged.at(-1)).toMatchObject({ costUsd: 2, usage: { completion_tokens: 2 } })
    })
  })

  describe('usage API', () => {
    it('reports spend and remaining budget per org, team and key (admin token)', async () => {
      const denied = await request(`${gateway.url}/admin/usage`)
      expect(denied.statusCode).toBe(401)
      await denied.body.dump()
      const res = await request(`${gateway.url}/admin/usage`, {
        headers: { authorization: 'Bearer admin-token-for-tests' },
      })
      expect(res.statusCode).toBe(200)
      const report = (await res.body.json()) as {
        teams: Record<string, { spentUsd: number; remainingUsd: number | null; budget: object | null }>
        keys: Record<string, { spentUsd: number; remainingUsd: number | null }>
        orgs: Record<string, { spentUsd: number }>
      }
      expect(report.keys.rationed).toMatchObject({ spentUsd: 3, remainingUsd: 0 })
      expect(report.teams.ml).toMatchObject({ spentUsd: 6, remainingUsd: 0, budget: { usd: 6, period: 'day' } })
      expect(report.teams.web?.remainingUsd).toBeNull()
      const everything = Object.values(report.teams).reduce((sum, team) => sum + team.spentUsd, 0)
      expect(report.orgs.acme?.spentUsd).toBeCloseTo(everything, 9)
    })
  })
})

describe('governance store unavailable', () => {
  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  const governed = (onUnavailable: string) =>
    tsConfig(`{
      auth: { mode: 'keys' },
      store: { kind: 'redis', url: 'redis://127.0.0.1:1', onUnavailable: '${onUnavailable}' },
      providers: { mock: { type: 'mock' } },
      routes: { demo: { targets: ['mock/demo'] } },
      keys: [{ name: 'k', hash: '${hashKey(KEYS.alice)}', limits: { rpm: 100 } }],
    }`)
  const ask = (url: string) =>
    request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Answer['body'] }))

  it('fails closed by default: 503 governance_unavailable, and the gateway keeps serving', async () => {
    gateway = await startTestGateway(governed('fail-closed'))
    const answer = await ask(gateway.url)
    expect(answer.status).toBe(503)
    expect(answer.body.error).toMatchObject({ code: 'governance_unavailable' })
    expect(gateway.logs.some((line) => line.includes('governance store unreachable'))).toBe(true)
    expect((await request(`${gateway.url}/health`)).statusCode).toBe(200)
  })

  it('fails open when configured: served unmetered, and reported', async () => {
    gateway = await startTestGateway(governed('fail-open'))
    expect((await ask(gateway.url)).status).toBe(200)
    expect(gateway.logs.some((line) => line.includes('governance store unreachable'))).toBe(true)
  })
})
