/**
 * The exact cache plugin (plugins/cache): keys that ignore key order and
 * fields that do not change the answer, the x-gateway-cache controls, TTLs,
 * streams replayed exactly, nothing cached that did not succeed, and hits
 * shared by two gateway processes on Redis.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { cacheKey } from '../../plugins/cache/key.js'
import { type CliProcess, startCli } from '../helpers/cli-process.js'
import { CORE_ENTRY, makeConfigDir, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { deleteKeys, REDIS_URL, redisForTests, requireRedis } from '../helpers/redis.js'
import { DEFAULT_TEXT, type MockUpstream, startMockUpstream } from '../mocks/openai-upstream.js'

const CACHE_ENTRY = fileURLToPath(new URL('../../plugins/cache/index.ts', import.meta.url))

function config(upstream: MockUpstream, pluginOptions = '{ ttlSeconds: 60 }', extra = ''): string {
  return `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import cache from ${JSON.stringify(CACHE_ENTRY)}
export default defineConfig({
  providers: {
    up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: 'sk-cache-test' }] },
    mock: { type: 'mock' },
  },
  routes: {
    chat: { targets: ['up/gpt-4o-mini'] },
    other: { targets: ['up/gpt-4o'] },
    mocked: { targets: ['mock/demo'] },
  },
  plugins: [cache(${pluginOptions})],
  ${extra}
})
`
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

const frames = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => frame.slice('data: '.length))

/** Content deltas and finish reasons of a stream, in order. */
function streamed(text: string): { content: string; finish: Array<string | null>; usage: unknown } {
  let content = ''
  const finish: Array<string | null> = []
  let usage: unknown = null
  for (const frame of frames(text)) {
    if (frame === '[DONE]') continue
    const chunk = JSON.parse(frame) as {
      choices: Array<{ delta: { content?: string }; finish_reason: string | null }>
      usage?: unknown
    }
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? ''
      if (choice.finish_reason) finish.push(choice.finish_reason)
    }
    if (chunk.usage) usage = chunk.usage
  }
  return { content, finish, usage }
}

describe('exact cache', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  const calls = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length
  const unique = () => `question ${randomUUID()}`

  beforeAll(async () => {
    upstream = await startMockUpstream()
    gateway = await startTestGateway(config(upstream))
  })
  afterAll(async () => {
    await gateway.close()
    await upstream.close()
  })
  beforeEach(() => upstream.reset())

  it('hits on a reordered request whose irrelevant fields changed, without calling the upstream, at no cost', async () => {
    const content = unique()
    const first = await post(gateway.url, {
      model: 'chat',
      messages: [{ role: 'user', content }],
      temperature: 0.2,
      user: 'alice',
      n: 1,
    })
    expect(first.status).toBe(200)
    expect(first.headers['x-gateway-cache']).toBe('miss')
    expect(calls()).toBe(1)

    // Same meaning: keys in another order, another user, metadata, defaults spelled out, nulls.
    const second = await post(
      gateway.url,
      `{"user":"bob","metadata":{"feature":"x"},"top_p":1,"presence_penalty":0,"max_tokens":null,` +
        `"messages":[{"content":${JSON.stringify(content)},"role":"user"}],"temperature":0.2,"model":"chat"}`,
    )
    expect(second.status).toBe(200)
    expect(second.headers['x-gateway-cache']).toBe('hit')
    expect(second.headers['x-gateway-answered-by']).toBe('plugin')
    expect(second.headers['x-gateway-cost-usd']).toBe('0.000000000')
    expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text))
    expect(calls()).toBe(1)
  })

  it('treats a default value as absent (temperature 1, n 1)', async () => {
    const content = unique()
    await post(gateway.url, { model: 'chat', messages: [{ role: 'user', content }] })
    const again = await post(gateway.url, {
      model: 'chat',
      n: 1,
      temperature: 1,
      messages: [{ role: 'user', content }],
    })
    expect(again.headers['x-gateway-cache']).toBe('hit')
    expect(calls()).toBe(1)
  })

  it('misses when the message, the temperature or the model changes', async () => {
    const content = unique()
    const base = { model: 'chat', temperature: 0, messages: [{ role: 'user', content }] }
    expect((await post(gateway.url, base)).headers['x-gateway-cache']).toBe('miss')
    const changed = [
      { ...base, messages: [{ role: 'user', content: `${content}!` }] },
      { ...base, temperature: 0.7 },
      { ...base, model: 'other' },
      { ...base, messages: [{ role: 'system', content: 'be brief' }, ...base.messages] },
    ]
    for (const body of changed) expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('miss')
    expect(calls()).toBe(1 + changed.length)
    // Each of them is cached on its own now.
    for (const body of changed) expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('hit')
    expect(calls()).toBe(1 + changed.length)
  })

  it('honours x-gateway-cache: no-cache (bypass, refreshes), no-store, and rejects unknown directives', async () => {
    const content = unique()
    const body = { model: 'chat', messages: [{ role: 'user', content }] }

    const noStore = await post(gateway.url, body, { 'x-gateway-cache': 'no-store' })
    expect(noStore.headers['x-gateway-cache']).toBe('miss')
    expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('miss') // nothing was stored
    expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('hit')
    expect(calls()).toBe(2)

    // no-cache: the upstream is asked even though an entry exists, and the fresh answer replaces it.
    upstream.when('gpt-4o-mini', { text: 'a fresher answer' })
    const noCache = await post(gateway.url, body, { 'x-gateway-cache': 'no-cache' })
    expect(noCache.headers['x-gateway-cache']).toBe('bypass')
    expect(calls()).toBe(3)
    const refreshed = await post(gateway.url, body)
    expect(refreshed.headers['x-gateway-cache']).toBe('hit')
    expect(JSON.parse(refreshed.text).choices[0].message.content).toBe('a fresher answer')

    // Both: neither read nor written.
    const both = await post(gateway.url, body, { 'x-gateway-cache': 'no-cache, no-store' })
    expect(both.headers['x-gateway-cache']).toBe('bypass')
    expect(calls()).toBe(4)

    const bad = await post(gateway.url, body, { 'x-gateway-cache': 'forever' })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.text).error).toMatchObject({ code: 'invalid_cache_directive', param: 'x-gateway-cache' })
  })

  it('expires entries after their TTL (ttl=N per request)', async () => {
    const body = { model: 'chat', messages: [{ role: 'user', content: unique() }] }
    expect((await post(gateway.url, body, { 'x-gateway-cache': 'ttl=1' })).headers['x-gateway-cache']).toBe('miss')
    expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('hit')
    await sleep(1200)
    expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('miss')
    expect(calls()).toBe(2)
  })

  it('replays a stream exactly, serves the usage chunk only to clients that ask, and answers JSON from it', async () => {
    upstream.when('gpt-4o-mini', { text: 'Streamed and then replayed, piece by piece.', pieceSize: 5 })
    const content = unique()
    const body = { model: 'chat', stream: true, messages: [{ role: 'user', content }] }
    const live = await post(gateway.url, body)
    expect(live.headers['x-gateway-cache']).toBe('miss')
    expect(calls()).toBe(1)

    const replay = await post(gateway.url, body)
    expect(replay.headers['x-gateway-cache']).toBe('hit')
    expect(replay.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(replay.headers['x-gateway-cost-usd']).toBe('0.000000000')
    expect(frames(replay.text)).toEqual(frames(live.text))
    const liveContent = streamed(live.text)
    expect(streamed(replay.text)).toEqual(liveContent)
    expect(liveContent).toMatchObject({ content: 'Streamed and then replayed, piece by piece.', finish: ['stop'] })
    expect(liveContent.usage).toBeNull()

    const withUsage = await post(gateway.url, { ...body, stream_options: { include_usage: true } })
    expect(withUsage.headers['x-gateway-cache']).toBe('hit')
    const replayedWithUsage = streamed(withUsage.text)
    expect(replayedWithUsage.content).toBe(liveContent.content)
    expect(replayedWithUsage.usage).toMatchObject({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
    })

    const json = await post(gateway.url, { model: 'chat', messages: [{ role: 'user', content }] })
    expect(json.headers['x-gateway-cache']).toBe('hit')
    expect(JSON.parse(json.text).choices[0]).toMatchObject({
      message: { role: 'assistant', content: liveContent.content },
      finish_reason: 'stop',
    })
    expect(calls()).toBe(1)
  })

  it('answers a stream request from a JSON answer as a stream', async () => {
    const content = unique()
    await post(gateway.url, { model: 'chat', messages: [{ role: 'user', content }] })
    const stream = await post(gateway.url, { model: 'chat', stream: true, messages: [{ role: 'user', content }] })
    expect(stream.headers['x-gateway-cache']).toBe('hit')
    expect(streamed(stream.text)).toMatchObject({ content: DEFAULT_TEXT, finish: ['stop'] })
    expect(calls()).toBe(1)
  })

  it('does not cache a stream that failed midway, nor an answer cut short by max_tokens', async () => {
    upstream.when('gpt-4o-mini', { streamErrorAfter: 3 })
    const body = { model: 'chat', stream: true, messages: [{ role: 'user', content: unique() }] }
    const failed = await post(gateway.url, body)
    expect(failed.text).toContain('"error"')
    upstream.reset()
    expect((await post(gateway.url, body)).headers['x-gateway-cache']).toBe('miss')
    expect(calls()).toBe(1)

    const truncated = { model: 'mocked', max_tokens: 1, messages: [{ role: 'user', content: `${unique()} and more` }] }
    const cut = await post(gateway.url, truncated)
    expect(JSON.parse(cut.text).choices[0].finish_reason).toBe('length')
    expect((await post(gateway.url, truncated)).headers['x-gateway-cache']).toBe('miss')
  })
})

describe('exact cache options', () => {
  let upstream: MockUpstream
  beforeAll(async () => {
    upstream = await startMockUpstream()
  })
  afterAll(() => upstream.close())

  it('caches truncated answers with cacheTruncated, and bypasses teams not on the allow-list', async () => {
    const gateway = await startTestGateway(
      config(
        upstream,
        `{ ttlSeconds: 60, cacheTruncated: true, teams: ['research'] }`,
        `auth: { mode: 'keys' },
  teams: { research: {}, sales: {} },
  keys: [
    { name: 'r', team: 'research', hash: '${hashKey('gw-research-key-0123456789')}' },
    { name: 's', team: 'sales', hash: '${hashKey('gw-sales-key-0123456789')}' },
  ],`,
      ),
    )
    try {
      const body = { model: 'mocked', max_tokens: 1, messages: [{ role: 'user', content: 'several words here' }] }
      const research = { authorization: 'Bearer gw-research-key-0123456789' }
      const sales = { authorization: 'Bearer gw-sales-key-0123456789' }
      const first = await post(gateway.url, body, research)
      expect(first.status).toBe(200)
      expect(first.headers['x-gateway-cache']).toBe('miss')
      expect((await post(gateway.url, body, research)).headers['x-gateway-cache']).toBe('hit')
      expect((await post(gateway.url, body, sales)).headers['x-gateway-cache']).toBe('bypass')
    } finally {
      await gateway.close()
    }
  })

  it("chargeHits: true bills a hit at the original answer's cost; by default a hit costs nothing", async () => {
    const pricing = "pricing: { overrides: { 'up/gpt-4o-mini': { input: 1000000, output: 1000000 } } },"
    const charged = await startTestGateway(config(upstream, '{ chargeHits: true }', pricing))
    const free = await startTestGateway(config(upstream, '{}', pricing))
    try {
      for (const [gateway, hitCost] of [
        [charged, 'same'],
        [free, '0.000000000'],
      ] as const) {
        const body = { model: 'chat', messages: [{ role: 'user', content: `question ${randomUUID()}` }] }
        const miss = await post(gateway.url, body)
        const cost = miss.headers['x-gateway-cost-usd'] as string
        expect(Number(cost)).toBeGreaterThan(0)
        const hit = await post(gateway.url, body)
        expect(hit.headers['x-gateway-cache']).toBe('hit')
        expect(hit.headers['x-gateway-cost-usd']).toBe(hitCost === 'same' ? cost : hitCost)
      }
    } finally {
      await charged.close()
      await free.close()
    }
  })
})

const redis = await redisForTests('the shared-cache tests')

describe.runIf(redis.run)('two gateway processes sharing the cache on Redis', () => {
  requireRedis()
  const prefix = `gw-cache-test:${randomUUID()}:`
  const processes: CliProcess[] = []
  const urls: string[] = []
  const content = `shared ${randomUUID()}`

  beforeAll(async () => {
    const dir = makeConfigDir()
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(
      configPath,
      `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import cache from ${JSON.stringify(CACHE_ENTRY)}
export default defineConfig({
  store: { kind: 'redis', url: ${JSON.stringify(REDIS_URL)}, prefix: ${JSON.stringify(prefix)} },
  providers: { mock: { type: 'mock' } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [cache({ ttlSeconds: 60 })],
})
`,
    )
    for (let i = 0; i < 2; i++) processes.push(startCli(['--config', configPath, '--port', '0', '--no-watch']))
    const listening = await Promise.all(processes.map((p) => p.next('gateway listening')))
    urls.push(...listening.map((line) => line.url as string))
  }, 60_000)

  afterAll(async () => {
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null) return resolve()
            p.child.once('exit', () => resolve())
            p.child.kill('SIGTERM')
          }),
      ),
    )
    await deleteKeys(`${prefix}*`)
    // The plugin store is namespaced per plugin, not by the governance prefix: remove this test's entry by its key.
    await deleteKeys(`*${cacheKey({ model: 'demo', messages: [{ role: 'user', content }] }, 'demo')}*`)
  })

  const upstreamAttempts = async (url: string): Promise<number> => {
    const text = await (await request(`${url}/metrics`)).body.text()
    return text
      .split('\n')
      .filter((line) => line.startsWith('gateway_upstream_attempts_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
  }

  it('a miss on one replica is a hit on the other, which never calls an upstream', async () => {
    const [a, b] = urls as [string, string]
    const body = { model: 'demo', messages: [{ role: 'user', content }] }
    const first = await post(a, body)
    expect(first.headers['x-gateway-cache']).toBe('miss')
    // The entry is written after the answer went out: give the write a moment.
    let second: Answer | undefined
    for (let i = 0; i < 20; i++) {
      second = await post(b, body)
      if (second.headers['x-gateway-cache'] === 'hit') break
      await sleep(50)
    }
    expect(second?.headers['x-gateway-cache']).toBe('hit')
    expect(JSON.parse(second?.text ?? '{}')).toEqual(JSON.parse(first.text))
    expect(await upstreamAttempts(a)).toBe(1)
    // b may have missed while a's write was in flight; after that it served from Redis.
    const before = await upstreamAttempts(b)
    expect((await post(b, { ...body, messages: [{ content, role: 'user' }] })).headers['x-gateway-cache']).toBe('hit')
    expect(await upstreamAttempts(b)).toBe(before)
  })
})
