/**
 * Policy actions through real HTTP requests, with the built-in mock provider
 * as upstream: deny, set, unset, route, tag (require is in plugins.test.ts),
 * the response phase (deny an answer, change it, tag a stream), evaluation
 * errors (onError), file policies, and a policy file edited on disk under
 * load.
 *
 * What the provider was sent is recorded by a plugin's onAttempt, which runs
 * right before each upstream call; the completion record by its onComplete.
 * Both reach the test through a probe on `globalThis`: the config module is
 * evaluated in this process.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CompletionRecord } from '../../core/plugins/types.js'
import type { ReloadOutcome } from '../../core/runtime/reload.js'
import { CORE_ENTRY, startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

interface Probe {
  /** The body each request's last upstream attempt was sent, by request id. */
  bodies: Record<string, Record<string, unknown>>
  records: Record<string, CompletionRecord>
}

const PROBE_KEY = '__gatewayPolicyActionsTestProbe'
const probe: Probe = { bodies: {}, records: {} }
;(globalThis as unknown as Record<string, Probe>)[PROBE_KEY] = probe

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  requestId: string
  body: {
    system_fingerprint?: string
    choices?: Array<{ message: { content: string | null }; finish_reason: string }>
    error?: { message: string; type: string; param: string | null; code: string | null }
  }
  content: string | null | undefined
}

async function chat(url: string, body: object, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], ...body }),
  })
  const answer = (await res.body.json()) as Answer['body']
  return {
    status: res.statusCode,
    headers: res.headers,
    requestId: String(res.headers['x-request-id']),
    body: answer,
    content: answer.choices?.[0]?.message.content,
  }
}

/** A stream request read whole: the text of its chunks, and whether it ended with [DONE]. */
async function chatStream(
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; requestId: string; text: string; done: boolean; errors: unknown[] }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
  })
  const frames = (await res.body.text())
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice('data: '.length))
  const chunks = frames.filter((f) => f !== '[DONE]').map((f) => JSON.parse(f) as Record<string, unknown>)
  const text = chunks
    .map((c) => (c.choices as Array<{ delta: { content?: string } }> | undefined)?.[0]?.delta.content ?? '')
    .join('')
  return {
    status: res.statusCode,
    requestId: String(res.headers['x-request-id']),
    text,
    done: frames.at(-1) === '[DONE]',
    errors: chunks.filter((c) => 'error' in c),
  }
}

type LogLine = Record<string, unknown> & { msg: string; requestId?: string; tags?: Record<string, string> }
const logLines = (gateway: TestGateway): LogLine[] => gateway.logs.map((line) => JSON.parse(line) as LogLine)
const requestLine = (gateway: TestGateway, requestId: string) =>
  logLines(gateway).find((l) => l.requestId === requestId && l.msg === 'request')

describe('policy actions', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      `import { defineConfig, definePlugin } from ${JSON.stringify(CORE_ENTRY)}
const probe = (globalThis as any)[${JSON.stringify(PROBE_KEY)}]
const recorder = definePlugin({
  name: 'recorder',
  setup: () => ({
    onAttempt: (ctx: any) => { probe.bodies[ctx.requestId] = structuredClone(ctx.body) },
    onComplete: (record: any) => { probe.records[record.requestId] = structuredClone(record) },
  }),
})
export default defineConfig({
  providers: { mock: { type: 'mock' }, premium: { type: 'mock', reply: 'a premium answer' } },
  routes: { echo: { targets: ['mock/demo'] }, premium: { targets: ['premium/demo'] } },
  policies: [
    { name: 'no-forbidden-topics', when: '$contains(body.messages[-1].content, "forbidden")',
      deny: { status: 451, message: 'That topic is off limits here.', code: 'topic_blocked' } },
    { name: 'tame', when: 'headers."x-case" = "set"', set: { 'body.temperature': 0.2, 'body.metadata.tamed': 'yes' } },
    { name: 'anonymize', when: 'headers."x-case" = "unset"', unset: ['body.user', 'body.logit_bias'] },
    { name: 'upgrade', when: 'headers."x-case" = "route"', route: 'premium' },
    { name: 'label', when: 'headers."x-case" = "tag"', tag: { feature: 'search', tier: 'gold' } },
    { name: 'fragile-skip', when: 'headers."x-case" = "fragile-skip" and $number("not a number") > 1',
      onError: 'skip', tag: { unreachable: 'yes' } },
    { name: 'fragile-strict', when: 'headers."x-case" = "fragile-strict" and $number("not a number") > 1',
      tag: { unreachable: 'yes' } },
    { file: 'policies/cap-output.jsonata' },
    { file: 'policies/misshapen.jsonata' },
    { name: 'no-secrets-out', phase: 'response', when: '$contains(response.choices[0].message.content, "secret")',
      deny: { status: 451, message: 'The answer was withheld.', code: 'answer_withheld' } },
    { name: 'stamp', phase: 'response', when: 'headers."x-case" = "stamp"',
      set: { 'response.system_fingerprint': 'stamped-by-policy', 'response.choices.0.message.content': 'rewritten by a policy' } },
    { name: 'stream-audit', phase: 'response', when: 'body.stream = true', tag: { audited: 'stream' } },
    { name: 'late-deny', phase: 'response', when: 'body.stream = true and headers."x-case" = "late-deny"',
      deny: { message: 'too late to deny a stream' }, tag: { lateDeny: 'tagged' } },
  ],
  plugins: [recorder()],
})
`,
      {
        files: {
          'policies/cap-output.jsonata': `/* Long answers cost: cap them, and say so in the log. */
body.max_tokens > 100 ? {
  "set": { "body.max_tokens": 100 },
  "tag": { "cappedFrom": $string(body.max_tokens) }
}
`,
          'policies/misshapen.jsonata': `headers."x-case" = "misshapen" ? { "deny": "no", "sett": { "body.n": 2 } }\n`,
        },
      },
    )
  })
  afterAll(() => gateway.close())

  const sent = (answer: Answer) => probe.bodies[answer.requestId] as Record<string, unknown>

  describe('request phase', () => {
    it('deny: the rule status, message and code in OpenAI shape, naming the rule in x-gateway-policy', async () => {
      const denied = await chat(gateway.url, { messages: [{ role: 'user', content: 'a forbidden topic' }] })
      expect(denied.status).toBe(451)
      expect(denied.body).toEqual({
        error: {
          message: 'That topic is off limits here.',
          type: 'invalid_request_error',
          param: null,
          code: 'topic_blocked',
        },
      })
      expect(denied.headers['x-gateway-policy']).toBe('no-forbidden-topics')
      expect(sent(denied)).toBeUndefined()
      expect((await chat(gateway.url, {})).status).toBe(200)
    })

    it('set: fields are set before the provider sees the request', async () => {
      const answer = await chat(gateway.url, { temperature: 1.5 }, { 'x-case': 'set' })
      expect(answer.status).toBe(200)
      expect(sent(answer)).toMatchObject({ temperature: 0.2, metadata: { tamed: 'yes' } })
      expect(sent(await chat(gateway.url, { temperature: 1.5 }))).toMatchObject({ temperature: 1.5 })
    })

    it('unset: fields are removed before the provider sees the request', async () => {
      const body = { user: 'alice@example.com', logit_bias: { '50256': -100 }, temperature: 0.7 }
      const kept = await chat(gateway.url, body)
      expect(sent(kept)).toMatchObject(body)

      const answer = await chat(gateway.url, body, { 'x-case': 'unset' })
      expect(answer.status).toBe(200)
      expect(sent(answer)).not.toHaveProperty('user')
      expect(sent(answer)).not.toHaveProperty('logit_bias')
      expect(sent(answer)).toMatchObject({ temperature: 0.7 })
    })

    it('route: the request is served by another route', async () => {
      const answer = await chat(gateway.url, { model: 'echo' }, { 'x-case': 'route' })
      expect(answer.status).toBe(200)
      expect(answer.headers['x-gateway-route']).toBe('premium')
      expect(answer.headers['x-gateway-provider']).toBe('premium')
      expect(answer.content).toBe('a premium answer')
      expect((await chat(gateway.url, { model: 'echo' })).headers['x-gateway-route']).toBe('echo')
    })

    it('tag: tags appear in the request log line and in the onComplete record', async () => {
      const answer = await chat(gateway.url, {}, { 'x-case': 'tag' })
      expect(answer.status).toBe(200)
      const tags = { feature: 'search', tier: 'gold', 'policy.label': 'matched' }
      await expect.poll(() => requestLine(gateway, answer.requestId)?.tags).toEqual(tags)
      await expect.poll(() => probe.records[answer.requestId]?.tags).toEqual(tags)
      const untagged = await chat(gateway.url, {})
      await expect.poll(() => requestLine(gateway, untagged.requestId)).toBeDefined()
      expect(requestLine(gateway, untagged.requestId)?.tags).toBeUndefined()
    })
  })

  describe('response phase', () => {
    it('deny: an answer containing a word is replaced by the rule’s error', async () => {
      const withheld = await chat(gateway.url, { messages: [{ role: 'user', content: 'tell me the secret' }] })
      expect(withheld.status).toBe(451)
      expect(withheld.body).toEqual({
        error: {
          message: 'The answer was withheld.',
          type: 'invalid_request_error',
          param: null,
          code: 'answer_withheld',
        },
      })
      expect(withheld.headers['x-gateway-policy']).toBe('no-secrets-out')
      // The provider did answer: the rule judged what it said.
      expect(sent(withheld)).toBeDefined()
      const fine = await chat(gateway.url, { messages: [{ role: 'user', content: 'tell me a joke' }] })
      expect(fine).toMatchObject({ status: 200, content: 'You said: tell me a joke' })
    })

    it('set: response fields are changed before the client gets them', async () => {
      const answer = await chat(gateway.url, {}, { 'x-case': 'stamp' })
      expect(answer.status).toBe(200)
      expect(answer.body.system_fingerprint).toBe('stamped-by-policy')
      expect(answer.content).toBe('rewritten by a policy')
    })

    it('on a stream, only tags: the stream is delivered whole and the tag is logged', async () => {
      const stream = await chatStream(gateway.url, {})
      expect(stream).toMatchObject({ status: 200, text: 'You said: hi', done: true, errors: [] })
      await expect
        .poll(() => requestLine(gateway, stream.requestId)?.tags)
        .toEqual({ audited: 'stream', 'policy.stream-audit': 'matched' })
    })

    it('on a stream, a matching deny cannot take the answer back: the stream is whole, the rule’s tags apply', async () => {
      const stream = await chatStream(gateway.url, {}, { 'x-case': 'late-deny' })
      expect(stream).toMatchObject({ status: 200, text: 'You said: hi', done: true, errors: [] })
      await expect
        .poll(() => requestLine(gateway, stream.requestId)?.tags)
        .toEqual({
          audited: 'stream',
          'policy.stream-audit': 'matched',
          lateDeny: 'tagged',
          'policy.late-deny': 'matched',
        })
      expect(logLines(gateway).find((l) => l.requestId === stream.requestId && l.policy === 'late-deny')).toMatchObject(
        { level: 40, msg: 'a policy denied an answer that was already sent; only its tags apply' },
      )
    })
  })

  describe('evaluation errors', () => {
    it("onError: 'skip' lets the request through when the rule throws, and logs it", async () => {
      const answer = await chat(gateway.url, {}, { 'x-case': 'fragile-skip' })
      expect(answer).toMatchObject({ status: 200, content: 'You said: hi' })
      expect(
        logLines(gateway).find((l) => l.requestId === answer.requestId && l.msg === 'policy failed to evaluate'),
      ).toMatchObject({ policy: 'fragile-skip', source: 'inline' })
      await expect.poll(() => probe.records[answer.requestId]?.tags).toEqual({})
    })

    it('by default a rule that throws refuses the request: 503 policy_error naming it', async () => {
      const refused = await chat(gateway.url, {}, { 'x-case': 'fragile-strict' })
      expect(refused.status).toBe(503)
      expect(refused.body.error).toEqual({
        message: "policy 'fragile-strict' could not be evaluated; the request was refused",
        type: 'api_error',
        param: null,
        code: 'policy_error',
      })
      expect((await chat(gateway.url, {})).status).toBe(200)
    })
  })

  describe('file policies', () => {
    it('apply the actions their expression returns, and nothing when it returns nothing', async () => {
      const capped = await chat(gateway.url, { max_tokens: 500 })
      expect(capped.status).toBe(200)
      expect(sent(capped)).toMatchObject({ max_tokens: 100 })
      await expect
        .poll(() => probe.records[capped.requestId]?.tags)
        .toEqual({ cappedFrom: '500', 'policy.cap-output': 'matched' })

      const modest = await chat(gateway.url, { max_tokens: 50 })
      expect(sent(modest)).toMatchObject({ max_tokens: 50 })
      await expect.poll(() => probe.records[modest.requestId]?.tags).toEqual({})
    })

    it('an invalid actions object is an evaluation error: 503 policy_error, logged with the file', async () => {
      const refused = await chat(gateway.url, {}, { 'x-case': 'misshapen' })
      expect(refused.status).toBe(503)
      expect(refused.body.error).toMatchObject({
        code: 'policy_error',
        message: "policy 'misshapen' could not be evaluated; the request was refused",
      })
      const logged = logLines(gateway).find(
        (l) => l.requestId === refused.requestId && l.msg === 'policy failed to evaluate',
      )
      expect(logged).toMatchObject({
        policy: 'misshapen',
        source: 'policies/misshapen.jsonata',
        err: { message: expect.stringMatching(/^policy 'misshapen' returned invalid actions/) },
      })
      expect(sent(refused)).toBeUndefined()
    })
  })
})

/** Polls until `check` passes; returns how long it took. Fails after `limitMs`. */
async function waitFor(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await check()) return performance.now() - started
    await sleep(10)
  }
  throw new Error(`condition not met within ${limitMs} ms`)
}

describe('policy file hot reload', () => {
  const REPLY = 'one two three four five six seven eight'
  /** What the mock answers when max_tokens is `n`: its first n words. */
  const capped = (n: number) =>
    REPLY.split(/(?<=\s)/)
      .slice(0, n)
      .join('')
  const rule = (n: number) => `{ "set": { "body.max_tokens": ${n} } }\n`

  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('applies a saved policy file within a second under load with zero failed requests; a syntax error is rejected', async () => {
    const outcomes: ReloadOutcome[] = []
    gateway = await startTestGateway(
      tsConfig(`{
        providers: { mock: { type: 'mock', reply: '${REPLY}' } },
        routes: { demo: { targets: ['mock/demo'] } },
        policies: [
          { name: 'no-premium', when: 'body.model = "premium"', deny: { message: 'no' } },
          { name: 'cap', file: 'policies/cap.jsonata' },
        ],
      }`),
      { watch: true, files: { 'policies/cap.jsonata': rule(2) }, onReload: (_t, o) => outcomes.push(o) },
    )
    const { url } = gateway
    const policyFile = path.join(gateway.dir, 'policies/cap.jsonata')
    const ask = async () => {
      const { status, content } = await chat(url, { model: 'demo' })
      return { status, content }
    }
    expect(await ask()).toEqual({ status: 200, content: capped(2) })

    // Clients send requests back to back for the whole test; every answer must be a 200 under some version of the rule.
    const allowed = new Set([2, 3, 4, 5, 6, 7].map(capped))
    let running = true
    let served = 0
    const failures: string[] = []
    const client = async () => {
      while (running) {
        const { status, content } = await ask()
        if (status !== 200 || !allowed.has(content as string)) failures.push(`${status} ${content}`)
        served++
      }
    }
    const clients = Array.from({ length: 4 }, client)

    const delays: number[] = []
    try {
      for (const n of [3, 4, 5, 2, 6, 3, 5]) {
        writeFileSync(policyFile, rule(n))
        delays.push(await waitFor(async () => (await ask()).content === capped(n), 1000))
      }

      // A syntax error: the reload is rejected at the file policy's path, and the last good rule keeps working.
      const reloadsBefore = outcomes.length
      writeFileSync(policyFile, '{ "set": { "body.max_tokens": \n')
      await waitFor(async () => outcomes.length > reloadsBefore, 1000)
      const rejected = outcomes.at(-1)
      expect(rejected?.ok).toBe(false)
      expect(rejected && !rejected.ok && rejected.problems.map((p) => p.path)).toEqual(['/policies/1/file'])
      expect(rejected && !rejected.ok && rejected.problems[0]?.message).toMatch(/JSONata does not compile/)
      expect(gateway.logs.some((line) => line.includes('config reload rejected'))).toBe(true)
      for (let i = 0; i < 5; i++) expect(await ask()).toEqual({ status: 200, content: capped(5) })

      // The file is still watched: fixing it applies at once.
      writeFileSync(policyFile, rule(7))
      delays.push(await waitFor(async () => (await ask()).content === capped(7), 1000))
    } finally {
      running = false
      await Promise.all(clients)
    }

    expect(failures).toEqual([])
    expect(served).toBeGreaterThan(20)
    expect(delays).toHaveLength(8)
    expect(Math.max(...delays)).toBeLessThan(1000)
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(1)
  })
})
