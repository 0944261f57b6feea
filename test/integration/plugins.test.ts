/**
 * Plugins through real HTTP requests, with the built-in mock provider as
 * upstream: every hook, the order of the chain, failures (fail closed, fail
 * open, time budgets), scopes, and what outlives a reload (store, metrics).
 *
 * The plugins live in the TS config itself. The config loader evaluates it in
 * this process, so plugins report what they saw through a probe object on
 * `globalThis` (a module variable would not survive a reload: the config is
 * re-evaluated each time).
 */
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import type { CompletionRecord } from '../../core/plugins/types.js'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'

interface Probe {
  /** onAttempt calls: request id, provider, model, attempt number. */
  attempts: Array<{ requestId: string; provider: string; model: string; attempt: number }>
  completions: CompletionRecord[]
  /** Hook calls per request, as "plugin.hook". */
  calls: Record<string, string[]>
  closed: string[]
}

const PROBE_KEY = '__gatewayPluginsTestProbe'
const probe: Probe = { attempts: [], completions: [], calls: {}, closed: [] }
;(globalThis as unknown as Record<string, Probe>)[PROBE_KEY] = probe

/** The head of every config in this file: the public API and the shared probe. */
const HEAD = `import { defineConfig, definePlugin, GatewayError } from ${JSON.stringify(CORE_ENTRY)}
const probe = (globalThis as any)[${JSON.stringify(PROBE_KEY)}]
const call = (ctx: any, entry: string) => { (probe.calls[ctx.requestId] ??= []).push(entry) }
`

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: {
    choices?: Array<{ message: { content: string | null }; finish_reason: string }>
    error?: { message: string; type: string; param: string | null; code: string | null }
  }
}

async function chat(
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<Answer & { requestId: string; content: string | null | undefined }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  })
  const answer = (await res.body.json()) as Answer['body']
  return {
    status: res.statusCode,
    headers: res.headers,
    body: answer,
    requestId: String(res.headers['x-request-id']),
    content: answer.choices?.[0]?.message.content,
  }
}

/** One series' value from GET /metrics, or undefined when it is absent. */
async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await request(`${url}/metrics`)).body.text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

type LogLine = Record<string, unknown> & { msg: string; requestId?: string }
const logLines = (gateway: TestGateway): LogLine[] => gateway.logs.map((line) => JSON.parse(line) as LogLine)

async function streamText(client: OpenAI, model: string, headers: Record<string, string> = {}): Promise<string> {
  const stream = await client.chat.completions.create(
    { model, stream: true, messages: [{ role: 'user', content: 'hi' }] },
    { headers },
  )
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  return text
}

describe('plugin hooks', () => {
  let gateway: TestGateway
  let client: OpenAI
  beforeAll(async () => {
    gateway = await startTestGateway(
      `${HEAD}
const mode = (ctx: any) => ctx.headers['x-test']
const hooks = definePlugin({
  name: 'hooks',
  setup: () => ({
    onRequest(ctx: any) {
      ctx.tags.seenBy = 'hooks'
      switch (mode(ctx)) {
        case 'rewrite':
          ctx.body.messages.at(-1).content = 'rewritten by a plugin'
          return
        case 'reject':
          throw new GatewayError({ status: 402, type: 'insufficient_quota', code: 'prepaid_credit_exhausted', message: 'Top up your prepaid credit first.' })
        case 'direct':
          return { respond: {
            id: 'chatcmpl-from-cache', object: 'chat.completion', created: 0, model: ctx.body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'from the cache' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          } }
      }
    },
    onAttempt(ctx: any, target: any) {
      probe.attempts.push({ requestId: ctx.requestId, ...target })
    },
    onResponse(ctx: any, response: any) {
      if (mode(ctx) !== 'shout') return
      const [choice] = response.choices
      return { ...response, choices: [{ ...choice, message: { ...choice.message, content: choice.message.content.toUpperCase() } }] }
    },
    onChunk(ctx: any, chunk: any) {
      if (mode(ctx) !== 'censor') return
      const [choice] = chunk.choices
      const text = choice?.delta.content
      if (text === 'secret ') return null
      if (text) return { ...chunk, choices: [{ ...choice, delta: { ...choice.delta, content: text.toUpperCase() } }] }
    },
    async onComplete(record: any, ctx: any) {
      probe.completions.push(structuredClone(record))
      if (mode(ctx) === 'complete-throws') throw new Error('onComplete exploded')
    },
  }),
})
export default defineConfig({
  providers: {
    mock: { type: 'mock' },
    canned: { type: 'mock', reply: 'alpha secret beta gamma' },
    // Any call to these fails: a request that reaches them shows it.
    never: { type: 'mock', failures: [{ status: 500 }] },
    broken: { type: 'mock', failures: [{ status: 500 }] },
  },
  routes: {
    echo: { targets: ['mock/demo'] },
    canned: { targets: ['canned/demo'] },
    guarded: { targets: ['never/demo'], retry: { attempts: 1 } },
    flaky: { targets: ['broken/demo', 'mock/demo'], retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 } },
  },
  // $1 per token in and out: costs are whole numbers of dollars.
  pricing: { overrides: { 'mock/demo': { input: 1000000, output: 1000000 } } },
  plugins: [hooks()],
})
`,
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  })
  afterAll(() => gateway.close())

  it('onRequest modifies the body: the provider sees the new message', async () => {
    expect((await chat(gateway.url, { model: 'echo' })).content).toBe('You said: hi')
    const rewritten = await chat(gateway.url, { model: 'echo' }, { 'x-test': 'rewrite' })
    expect(rewritten.status).toBe(200)
    expect(rewritten.content).toBe('You said: rewritten by a plugin')
  })

  it('onRequest rejects with a GatewayError: its status, type and code reach the client in OpenAI shape', async () => {
    const rejected = await chat(gateway.url, { model: 'echo' }, { 'x-test': 'reject' })
    expect(rejected.status).toBe(402)
    expect(rejected.body).toEqual({
      error: {
        message: 'Top up your prepaid credit first.',
        type: 'insufficient_quota',
        param: null,
        code: 'prepaid_credit_exhausted',
      },
    })
    expect(probe.attempts.some((a) => a.requestId === rejected.requestId)).toBe(false)
  })

  it('onRequest answers directly: the provider is never called', async () => {
    // Without the plugin's answer, the route's only target fails.
    expect((await chat(gateway.url, { model: 'guarded' })).status).toBeGreaterThanOrEqual(500)
    const attemptsBefore = await metric(
      gateway.url,
      'gateway_upstream_attempts_total{provider="never",model="demo",outcome="server_error"}',
    )
    expect(attemptsBefore).toBe(1)

    const direct = await chat(gateway.url, { model: 'guarded' }, { 'x-test': 'direct' })
    expect(direct.status).toBe(200)
    expect(direct.content).toBe('from the cache')
    expect(direct.headers['x-gateway-answered-by']).toBe('plugin')
    expect(direct.headers['x-gateway-provider']).toBeUndefined()
    expect(probe.attempts.some((a) => a.requestId === direct.requestId)).toBe(false)
    expect(
      await metric(
        gateway.url,
        'gateway_upstream_attempts_total{provider="never",model="demo",outcome="server_error"}',
      ),
    ).toBe(1)
  })

  it('onRequest answers a stream request directly as a stream the SDK reads', async () => {
    expect(await streamText(client, 'guarded', { 'x-test': 'direct' })).toBe('from the cache')
    expect(
      await metric(
        gateway.url,
        'gateway_upstream_attempts_total{provider="never",model="demo",outcome="server_error"}',
      ),
    ).toBe(1)
  })

  it('onAttempt is called once per attempt with provider, model and attempt number (retry, then fallback)', async () => {
    const answer = await chat(gateway.url, { model: 'flaky' })
    expect(answer.status).toBe(200)
    expect(answer.headers['x-gateway-provider']).toBe('mock')
    expect(answer.headers['x-gateway-attempts']).toBe('3')
    expect(probe.attempts.filter((a) => a.requestId === answer.requestId)).toEqual([
      { requestId: answer.requestId, provider: 'broken', model: 'demo', attempt: 1 },
      { requestId: answer.requestId, provider: 'broken', model: 'demo', attempt: 2 },
      { requestId: answer.requestId, provider: 'mock', model: 'demo', attempt: 3 },
    ])
  })

  it('onResponse replaces the answer', async () => {
    const answer = await chat(gateway.url, { model: 'echo' }, { 'x-test': 'shout' })
    expect(answer.status).toBe(200)
    expect(answer.content).toBe('YOU SAID: HI')
  })

  it('onChunk modifies chunks and drops them: the streamed text changes accordingly', async () => {
    expect(await streamText(client, 'canned')).toBe('alpha secret beta gamma')
    expect(await streamText(client, 'canned', { 'x-test': 'censor' })).toBe('ALPHA BETA GAMMA')
  })

  it('onComplete receives the record after the answer: status, route, provider, model, usage, cost, tags', async () => {
    const answer = await chat(gateway.url, { model: 'echo' })
    await expect.poll(() => probe.completions.find((r) => r.requestId === answer.requestId)).toBeDefined()
    const record = probe.completions.find((r) => r.requestId === answer.requestId) as CompletionRecord
    expect(record).toMatchObject({
      endpoint: 'chat',
      stream: false,
      status: 200,
      route: 'echo',
      provider: 'mock',
      model: 'demo',
      attempts: 1,
      error: null,
      tags: { seenBy: 'hooks' },
    })
    const usage = record.usage as NonNullable<CompletionRecord['usage']>
    expect(usage.prompt_tokens).toBeGreaterThan(0)
    expect(usage.completion_tokens).toBeGreaterThan(0)
    // $1 per token: the cost is the token count, and the same as the client was told.
    expect(record.costUsd).toBe(usage.prompt_tokens + usage.completion_tokens)
    expect(Number(answer.headers['x-gateway-cost-usd'])).toBe(record.costUsd)
  })

  it('onComplete also sees refusals and streams', async () => {
    const rejected = await chat(gateway.url, { model: 'echo' }, { 'x-test': 'reject' })
    await expect
      .poll(() => probe.completions.find((r) => r.requestId === rejected.requestId))
      .toMatchObject({
        status: 402,
        provider: null,
        error: { type: 'insufficient_quota', code: 'prepaid_credit_exhausted' },
      })
    const before = probe.completions.length
    expect(await streamText(client, 'canned')).toBe('alpha secret beta gamma')
    await expect
      .poll(() => probe.completions.slice(before).find((r) => r.stream))
      .toMatchObject({
        status: 200,
        route: 'canned',
        provider: 'canned',
      })
  })

  it('an onComplete that throws does not affect the client; it is logged and counted', async () => {
    const answer = await chat(gateway.url, { model: 'echo' }, { 'x-test': 'complete-throws' })
    expect(answer.status).toBe(200)
    expect(answer.content).toBe('You said: hi')
    await expect
      .poll(() =>
        logLines(gateway).find((l) => l.requestId === answer.requestId && l.msg === 'plugin onComplete failed'),
      )
      .toMatchObject({ plugin: 'hooks', err: { message: 'onComplete exploded' } })
    expect(
      await metric(gateway.url, 'gateway_plugin_failures_total{plugin="hooks",hook="onComplete",reason="error"}'),
    ).toBe(1)
    expect((await chat(gateway.url, { model: 'echo' })).status).toBe(200)
  })
})

describe('plugin chain order', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      `${HEAD}
const recorder = (name: string) => definePlugin({
  name,
  setup: () => ({
    onRequest: (ctx: any) => call(ctx, name + '.onRequest'),
    onAttempt: (ctx: any) => call(ctx, name + '.onAttempt'),
    onResponse: (ctx: any) => call(ctx, name + '.onResponse'),
    onChunk: (ctx: any) => call(ctx, name + '.onChunk'),
    onComplete: (_record: any, ctx: any) => call(ctx, name + '.onComplete'),
  }),
})
const [first, second, third] = ['first', 'second', 'third'].map(recorder)
export default defineConfig({
  providers: { mock: { type: 'mock', reply: 'one two three' } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [first(), second(), third()],
})
`,
    )
  })
  afterAll(() => gateway.close())

  it('runs request hooks in declared order and response hooks (onResponse, onComplete) in reverse', async () => {
    const { requestId, status } = await chat(gateway.url, { model: 'demo' })
    expect(status).toBe(200)
    await expect.poll(() => probe.calls[requestId]?.length).toBe(12)
    expect(probe.calls[requestId]).toEqual([
      'first.onRequest',
      'second.onRequest',
      'third.onRequest',
      'first.onAttempt',
      'second.onAttempt',
      'third.onAttempt',
      'third.onResponse',
      'second.onResponse',
      'first.onResponse',
      'third.onComplete',
      'second.onComplete',
      'first.onComplete',
    ])
  })

  it('runs onChunk in reverse for every chunk of a stream', async () => {
    const res = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    })
    const requestId = String(res.headers['x-request-id'])
    const frames = (await res.body.text()).split('\n\n').filter((f) => f.startsWith('data: {'))
    await expect.poll(() => probe.calls[requestId]?.at(-1)).toBe('first.onComplete')
    const calls = probe.calls[requestId] as string[]
    expect(calls.slice(0, 6)).toEqual([
      'first.onRequest',
      'second.onRequest',
      'third.onRequest',
      'first.onAttempt',
      'second.onAttempt',
      'third.onAttempt',
    ])
    const chunkCalls = calls.filter((c) => c.endsWith('.onChunk'))
    expect(frames.length).toBeGreaterThan(3)
    // Plus one: hooks also see the usage-only chunk, which this client (no include_usage) is not shown.
    expect(chunkCalls).toEqual(
      Array.from({ length: frames.length + 1 }, () => ['third.onChunk', 'second.onChunk', 'first.onChunk']).flat(),
    )
    expect(calls.slice(-3)).toEqual(['third.onComplete', 'second.onComplete', 'first.onComplete'])
    expect(calls).not.toContain('first.onResponse')
  })
})

describe('plugin failures', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      `${HEAD}
const faulty = (name: string) => definePlugin({
  name,
  setup: () => ({
    async onRequest(ctx: any) {
      if (ctx.headers['x-fault'] !== name) return
      if (name.startsWith('crashy')) throw new Error('boom from ' + name)
      await new Promise((resolve) => setTimeout(resolve, 1500))
    },
  }),
})
export default defineConfig({
  providers: { mock: { type: 'mock' } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [
    faulty('crashy')(),
    { ...faulty('sluggish')(), timeoutMs: 100 },
    { ...faulty('crashy-open')(), failOpen: true },
    { ...faulty('sluggish-open')(), failOpen: true, timeoutMs: 100 },
  ],
})
`,
    )
  })
  afterAll(() => gateway.close())

  const failures = (plugin: string, reason: string) =>
    metric(gateway.url, `gateway_plugin_failures_total{plugin="${plugin}",hook="onRequest",reason="${reason}"}`)
  const logOf = (requestId: string) =>
    logLines(gateway).find((l) => l.requestId === requestId && typeof l.plugin === 'string')

  it('fails closed: a plugin that throws refuses the request with 503 plugin_error naming it, logged and counted', async () => {
    const refused = await chat(gateway.url, { model: 'demo' }, { 'x-fault': 'crashy' })
    expect(refused.status).toBe(503)
    expect(refused.body.error).toEqual({
      message: "plugin 'crashy' failed; the request was refused",
      type: 'api_error',
      param: null,
      code: 'plugin_error',
    })
    expect(logOf(refused.requestId)).toMatchObject({
      plugin: 'crashy',
      hook: 'onRequest',
      reason: 'error',
      failOpen: false,
      err: { message: 'boom from crashy' },
      msg: 'plugin failed; refusing the request',
    })
    expect(await failures('crashy', 'error')).toBe(1)
    expect((await chat(gateway.url, { model: 'demo' })).status).toBe(200)
  })

  it('fails closed on time: a plugin slower than its timeoutMs refuses the request at the budget', async () => {
    const started = performance.now()
    const refused = await chat(gateway.url, { model: 'demo' }, { 'x-fault': 'sluggish' })
    const elapsed = performance.now() - started
    expect(refused.status).toBe(503)
    expect(refused.body.error).toMatchObject({
      code: 'plugin_error',
      message: "plugin 'sluggish' did not finish within 100 ms; the request was refused",
    })
    // Refused at the 100 ms budget, not after the plugin's 1500 ms.
    expect(elapsed).toBeLessThan(1000)
    expect(logOf(refused.requestId)).toMatchObject({ plugin: 'sluggish', reason: 'timeout' })
    expect(await failures('sluggish', 'timeout')).toBe(1)
    expect((await chat(gateway.url, { model: 'demo' })).status).toBe(200)
  })

  it('fails open when told to: the same failures let the request through, still logged and counted', async () => {
    const crashed = await chat(gateway.url, { model: 'demo' }, { 'x-fault': 'crashy-open' })
    expect(crashed.status).toBe(200)
    expect(crashed.content).toBe('You said: hi')
    expect(logOf(crashed.requestId)).toMatchObject({
      plugin: 'crashy-open',
      reason: 'error',
      failOpen: true,
      msg: 'plugin failed; continuing without it (fail open)',
    })
    expect(await failures('crashy-open', 'error')).toBe(1)

    const started = performance.now()
    const slow = await chat(gateway.url, { model: 'demo' }, { 'x-fault': 'sluggish-open' })
    expect(slow.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(logOf(slow.requestId)).toMatchObject({ plugin: 'sluggish-open', reason: 'timeout', failOpen: true })
    expect(await failures('sluggish-open', 'timeout')).toBe(1)
    expect((await chat(gateway.url, { model: 'demo' })).status).toBe(200)
  })
})

describe('plugin scope', () => {
  const KEYS = { alice: 'gw-test-scope-alice-0123456789', bob: 'gw-test-scope-bob-0123456789' }
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      `${HEAD}
const marker = (name: string) => definePlugin({ name, setup: () => ({ onRequest: (ctx: any) => call(ctx, name) }) })
export default defineConfig({
  auth: { mode: 'keys' },
  providers: { mock: { type: 'mock' } },
  routes: { a: { targets: ['mock/demo'] }, b: { targets: ['mock/demo'] } },
  teams: { ml: {}, web: {} },
  keys: [
    { name: 'alice', hash: '${hashKey(KEYS.alice)}', team: 'ml' },
    { name: 'bob', hash: '${hashKey(KEYS.bob)}', team: 'web' },
  ],
  policies: [{ name: 'audit', when: 'headers."x-audit" = "yes"', require: ['on-demand'] }],
  plugins: [
    marker('everywhere')(),
    { ...marker('route-a')(), scope: { routes: ['a'] } },
    { ...marker('team-ml')(), scope: { teams: ['ml'] } },
    { ...marker('key-bob')(), scope: { keys: ['bob'] } },
    { ...marker('on-demand')(), scope: { required: true } },
  ],
})
`,
    )
  })
  afterAll(() => gateway.close())

  const ran = async (key: keyof typeof KEYS, model: string, headers: Record<string, string> = {}) => {
    const answer = await chat(gateway.url, { model }, { authorization: `Bearer ${KEYS[key]}`, ...headers })
    expect(answer.status).toBe(200)
    return probe.calls[answer.requestId] ?? []
  }

  it('runs a plugin scoped to routes only for those routes', async () => {
    expect(await ran('bob', 'a')).toContain('route-a')
    expect(await ran('bob', 'b')).not.toContain('route-a')
  })

  it('runs plugins scoped to teams and keys only for those callers', async () => {
    expect(await ran('alice', 'a')).toEqual(['everywhere', 'route-a', 'team-ml'])
    expect(await ran('alice', 'b')).toEqual(['everywhere', 'team-ml'])
    expect(await ran('bob', 'a')).toEqual(['everywhere', 'route-a', 'key-bob'])
    expect(await ran('bob', 'b')).toEqual(['everywhere', 'key-bob'])
  })

  it('runs a { required: true } plugin only when a policy requires it', async () => {
    expect(await ran('alice', 'b', { 'x-audit': 'no' })).not.toContain('on-demand')
    expect(await ran('alice', 'b', { 'x-audit': 'yes' })).toEqual(['everywhere', 'team-ml', 'on-demand'])
    expect(await ran('bob', 'a', { 'x-audit': 'yes' })).toEqual(['everywhere', 'route-a', 'key-bob', 'on-demand'])
  })
})

describe('what outlives a reload: api.store and api.metrics; close on reload', () => {
  let gateway: TestGateway
  const config = (version: string) => `${HEAD}
const counter = definePlugin({
  name: 'req-counter',
  setup: (_options: any, api: any) => {
    const seen = api.metrics.counter('requests_total', 'Requests the plugin saw', ['route'])
    // A module or closure variable would start again at 0 after a reload: the store does not.
    let sinceSetup = 0
    return {
      async onRequest(ctx: any) {
        const count = ((await api.store.get('count')) ?? 0) + 1
        await api.store.set('count', count)
        sinceSetup++
        ctx.tags.count = String(count)
        seen.inc({ route: ctx.route })
      },
      onResponse(ctx: any, response: any) {
        const [choice] = response.choices
        const content = 'request #' + ctx.tags.count + ' (' + sinceSetup + ' since ${version} started)'
        return { ...response, choices: [{ ...choice, message: { ...choice.message, content } }] }
      },
      close() {
        probe.closed.push('${version}')
      },
    }
  },
})
export default defineConfig({
  providers: { mock: { type: 'mock' } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [counter()],
})
`
  beforeAll(async () => {
    gateway = await startTestGateway(config('v1'))
  })
  afterAll(() => gateway.close())

  it('keeps the store across a reload, keeps counting the plugin metric, and closes the old hooks', async () => {
    for (let i = 1; i <= 3; i++)
      expect((await chat(gateway.url, { model: 'demo' })).content).toBe(`request #${i} (${i} since v1 started)`)
    expect(await metric(gateway.url, 'gateway_plugin_req_counter_requests_total{route="demo"}')).toBe(3)

    gateway.writeConfig(config('v2'))
    expect(await gateway.reloader.reload('admin')).toMatchObject({ ok: true, version: 2 })
    await expect.poll(() => probe.closed).toEqual(['v1'])

    expect((await chat(gateway.url, { model: 'demo' })).content).toBe('request #4 (1 since v2 started)')
    expect(await metric(gateway.url, 'gateway_plugin_req_counter_requests_total{route="demo"}')).toBe(4)
    const text = await (await request(`${gateway.url}/metrics`)).body.text()
    expect(text).toContain('# HELP gateway_plugin_req_counter_requests_total Requests the plugin saw')
  })
})
