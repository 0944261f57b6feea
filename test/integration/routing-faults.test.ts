/**
 * Routing under faults, end to end: the official openai SDK as client, the
 * gateway's `openai` providers pointed at a mock upstream speaking OpenAI's
 * wire format, and every fault the router must handle made real on the wire
 * (500, 429 with Retry-After, 529, hangs, resets, broken streams, 400, 401,
 * context_length_exceeded). What the upstream saw (requests per model, the
 * key in each, aborted calls) is asserted, not only what the client got.
 *
 * Each scenario has its own models, and its own providers where keys are
 * involved: key health and breakers belong to the process and outlive a test.
 * Time bounds are generous: "waited at least ~Retry-After", "finished long
 * before the hang would have".
 */
import OpenAI from 'openai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { DEFAULT_TEXT, type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const ADMIN_TOKEN = 'routing-faults-admin'
const KEYS = {
  main: 'sk-main-0123456789',
  first: 'sk-pool-first-0123456789',
  second: 'sk-pool-second-0123456789',
  solo: 'sk-solo-0123456789',
  soloLong: 'sk-solo-long-0123456789',
  good: 'sk-good-0123456789',
  revoked: 'sk-revoked-0123456789',
}
const HI = [{ role: 'user' as const, content: 'hi' }]
const SERVER_ERROR = { status: 500, error: { message: 'The server had an error', type: 'server_error' } }
const HANG_MS = 10_000

describe('routing under faults', () => {
  let upstream: MockUpstream
  beforeAll(async () => {
    upstream = await startMockUpstream()
  })
  afterAll(() => upstream?.close())
  beforeEach(() => upstream.reset())

  /** Requests the upstream received for a model, in order. */
  const sentTo = (model: string): RecordedRequest[] =>
    upstream.requests.filter((r) => (r.body as { model?: unknown } | null)?.model === model)
  const keysSentTo = (model: string) => sentTo(model).map((r) => r.headers.authorization)

  describe('retries, fallback and timeouts', () => {
    let gateway: TestGateway
    let client: OpenAI
    const openai = (keys: string[], extra = '') =>
      `{ type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [${keys.map((k) => `{ value: '${k}' }`).join(', ')}]${extra} }`

    beforeAll(async () => {
      gateway = await startTestGateway(
        tsConfig(`{
          admin: { token: '${ADMIN_TOKEN}' },
          // Breakers have their own test; here every request meets closed ones.
          routing: { breaker: { failures: 1000 } },
          providers: {
            up: ${openai([KEYS.main])},
            pool: ${openai([KEYS.first, KEYS.second])},
            solo: ${openai([KEYS.solo])},
            'solo-long': ${openai([KEYS.soloLong])},
            // The revoked key is picked first almost always, so the 401 happens on the first request.
            guarded: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [
              { value: '${KEYS.revoked}', name: 'revoked', weight: 1000 },
              { value: '${KEYS.good}', name: 'good', weight: 1 },
            ] },
          },
          routes: {
            'retry-500': { targets: ['up/err500', 'up/ok-500'], retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 } },
            'rl-two-keys': { targets: ['pool/rl', 'up/never-rl'] },
            'rl-wait': { targets: ['solo/rl-wait', 'up/never-wait'], retry: { attempts: 2, maxDelayMs: 3000 } },
            'rl-long': { targets: ['solo-long/rl-long', 'up/ok-long'], retry: { attempts: 2, maxDelayMs: 1000 } },
            'overloaded-529': { targets: ['up/o529', 'up/ok-529'], retry: { initialDelayMs: 10 } },
            hung: { targets: ['up/hung', 'up/ok-hung'], retry: { attempts: 1 }, timeouts: { attemptMs: 300 } },
            'all-hung': {
              targets: ['up/hung-1', 'up/hung-2', 'up/hung-3'],
              retry: { initialDelayMs: 10 },
              timeouts: { attemptMs: 400, totalMs: 1000 },
            },
            reset: { targets: ['up/reset', 'up/ok-reset'], retry: { initialDelayMs: 10 } },
            'mid-stream': { targets: ['up/mid-stream', 'up/never-mid'], retry: { attempts: 3, initialDelayMs: 10 } },
            'slow-first-token': {
              targets: ['up/slow-first', 'up/ok-stream'],
              retry: { attempts: 1 },
              timeouts: { firstTokenMs: 300, attemptMs: ${HANG_MS * 2} },
            },
            'bad-request': { targets: ['up/bad', 'up/never-bad'] },
            'one-key-revoked': { targets: ['guarded/gpt-4o-mini'] },
            'long-prompts': { targets: ['up/small-ctx', 'up/other-small'], onContextLength: 'up/large-ctx' },
            'short-prompts': { targets: ['up/small-ctx-2', 'up/other-small-2'] },
            'long-prompts-bounded': {
              targets: ['up/small-ctx-3'],
              onContextLength: 'up/large-ctx-hung',
              timeouts: { totalMs: 1000 },
            },
            pinnable: {
              targets: ['up/pin-a', 'up/pin-b'],
              retry: { attempts: 1 },
              overrides: { target: true, noFallback: true },
            },
            fixed: { targets: ['up/pin-a', 'up/pin-b'], retry: { attempts: 1 } },
          },
        }`),
      )
      client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
    })
    afterAll(() => gateway?.close())

    const chat = (model: string, headers: Record<string, string> = {}) =>
      client.chat.completions.create({ model, messages: HI }, { headers }).withResponse()

    const routingReport = async () => {
      const res = await request(`${gateway.url}/admin/routing`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      expect(res.statusCode).toBe(200)
      return (await res.body.json()) as {
        breakers: Record<string, { state: string }>
        keys: Array<{ provider: string; key: string; state: string }>
      }
    }

    it('500: retries the target as the route says, then falls back to the next one', async () => {
      upstream.when('err500', SERVER_ERROR)
      const { data, response } = await chat('retry-500')

      expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      expect(sentTo('err500')).toHaveLength(3)
      expect(sentTo('ok-500')).toHaveLength(1)
      expect(response.headers.get('x-gateway-attempts')).toBe('4')
      expect(response.headers.get('x-gateway-model')).toBe('ok-500')
      expect(gateway.logs.filter((line) => line.includes('attempt failed') && line.includes('err500'))).toHaveLength(3)
    })

    describe('429 with Retry-After', () => {
      const rateLimited = (retryAfter: string) => ({
        status: 429,
        retryAfter,
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      })

      it('with two keys, retries at once on the other key; the next requests skip the resting key', async () => {
        let calls = 0
        upstream.when('rl', () => (calls++ === 0 ? rateLimited('20') : {}))
        const started = Date.now()
        const { data, response } = await chat('rl-two-keys')

        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
        expect(Date.now() - started).toBeLessThan(5_000)
        const [limited, other] = keysSentTo('rl')
        expect(keysSentTo('rl')).toHaveLength(2)
        expect(new Set([limited, other])).toEqual(new Set([`Bearer ${KEYS.first}`, `Bearer ${KEYS.second}`]))
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
        expect(sentTo('never-rl')).toHaveLength(0)

        // The 429'd key rests for its Retry-After: the next requests all go out with the other one.
        for (let i = 0; i < 8; i++) await chat('rl-two-keys')
        expect(keysSentTo('rl').slice(2)).toEqual(Array(8).fill(other))
        const resting = (await routingReport()).keys.filter((key) => key.provider === 'pool')
        expect(resting).toEqual([expect.objectContaining({ state: 'cooling' })])
      })

      it('with one key and Retry-After within retry.maxDelayMs, waits that long, then succeeds', async () => {
        let calls = 0
        upstream.when('rl-wait', () => (calls++ === 0 ? rateLimited('1') : {}))
        const started = Date.now()
        const { data, response } = await chat('rl-wait')

        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
        const elapsed = Date.now() - started
        expect(elapsed).toBeGreaterThanOrEqual(950)
        expect(elapsed).toBeLessThan(5_000)
        expect(keysSentTo('rl-wait')).toEqual([`Bearer ${KEYS.solo}`, `Bearer ${KEYS.solo}`])
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
        expect(sentTo('never-wait')).toHaveLength(0)
      })

      it('with Retry-After beyond retry.maxDelayMs, falls back to the next target instead of waiting', async () => {
        upstream.when('rl-long', rateLimited('30'))
        const started = Date.now()
        const { data, response } = await chat('rl-long')

        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
        expect(Date.now() - started).toBeLessThan(5_000)
        expect(sentTo('rl-long')).toHaveLength(1)
        expect(sentTo('ok-long')).toHaveLength(1)
        expect(response.headers.get('x-gateway-model')).toBe('ok-long')
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
      })
    })

    it('529 (overloaded, as Anthropic says it): retried, then falls back', async () => {
      upstream.when('o529', { status: 529, error: { message: 'Overloaded', type: 'overloaded_error' } })
      const { data, response } = await chat('overloaded-529')

      expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      expect(sentTo('o529')).toHaveLength(2)
      expect(sentTo('ok-529')).toHaveLength(1)
      expect(response.headers.get('x-gateway-attempts')).toBe('3')
      expect(gateway.logs.some((line) => line.includes('"errorClass":"overloaded"') && line.includes('o529'))).toBe(
        true,
      )
    })

    describe('timeouts', () => {
      it('a hung upstream: attemptMs fires, the hung call is aborted, the next target answers', async () => {
        upstream.when('hung', { delayMs: HANG_MS })
        const started = Date.now()
        const { data, response } = await chat('hung')
        const elapsed = Date.now() - started

        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
        expect(response.headers.get('x-gateway-model')).toBe('ok-hung')
        expect(elapsed).toBeGreaterThanOrEqual(290)
        expect(elapsed).toBeLessThan(HANG_MS / 2)
        const [hung] = sentTo('hung')
        expect(sentTo('hung')).toHaveLength(1)
        await expect(hung?.settled).resolves.toBe('aborted')
      })

      it('totalMs bounds the whole request: every target hanging answers 504 within about totalMs', async () => {
        for (const model of ['hung-1', 'hung-2', 'hung-3']) upstream.when(model, { delayMs: HANG_MS })
        const started = Date.now()
        const error = await rejection(chat('all-hung'))
        const elapsed = Date.now() - started

        expect(error.status).toBe(504)
        expect(error.code).toBe('upstream_timeout')
        expect(elapsed).toBeGreaterThanOrEqual(950)
        expect(elapsed).toBeLessThan(HANG_MS / 2)
        // 0-400 ms hung-1, a retry until ~800 ms, then hung-2 until the 1000 ms deadline cuts it.
        expect(sentTo('hung-1')).toHaveLength(2)
        expect(sentTo('hung-2').length).toBeLessThanOrEqual(1)
        const outcomes = await Promise.all(upstream.requests.map((r) => r.settled))
        expect(outcomes.every((outcome) => outcome === 'aborted')).toBe(true)
      })
    })

    it('a connection reset before any response byte: retried, then falls back', async () => {
      upstream.when('reset', { reset: true })
      const { data, response } = await chat('reset')

      expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      expect(sentTo('reset')).toHaveLength(2)
      expect(sentTo('ok-reset')).toHaveLength(1)
      expect(response.headers.get('x-gateway-attempts')).toBe('3')
      expect(gateway.logs.some((line) => line.includes('"errorClass":"connection"') && line.includes('reset'))).toBe(
        true,
      )
    })

    describe('streams', () => {
      const TEXT = 'abcdefghijklmnopqrstuvwxyz'

      /** Reads a stream to its end or its error: the content received and what was thrown. */
      async function drain(stream: AsyncIterable<ChatCompletionChunk>) {
        let content = ''
        try {
          for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? ''
          return { content, error: undefined }
        } catch (error) {
          return { content, error: error as InstanceType<typeof OpenAI.APIError> }
        }
      }

      it('an error frame after bytes went out reaches the client as an error; nothing is replayed', async () => {
        // Frames: role, "ab", "cd", then the upstream's error frame.
        upstream.when('mid-stream', {
          text: TEXT,
          pieceSize: 2,
          streamErrorAfter: 3,
          error: { message: 'The server had an error while processing your request.', type: 'server_error' },
        })
        const { data: stream, response } = await client.chat.completions
          .create({ model: 'mid-stream', messages: HI, stream: true })
          .withResponse()
        const { content, error } = await drain(stream)

        expect(error).toBeInstanceOf(OpenAI.APIError)
        expect(error?.message).toContain('The server had an error while processing your request.')
        expect(content).toBe('abcd')
        expect(response.headers.get('x-gateway-attempts')).toBe('1')
        expect(sentTo('mid-stream')).toHaveLength(1)
        expect(sentTo('never-mid')).toHaveLength(0)
      })

      it('a connection dropped mid-stream: an error frame, the exact prefix, one upstream request', async () => {
        // Frames: role, "abc", "def", "ghi", then the connection drops.
        upstream.when('mid-stream', { text: TEXT, pieceSize: 3, streamDropAfter: 4 })
        const stream = await client.chat.completions.create({ model: 'mid-stream', messages: HI, stream: true })
        const { content, error } = await drain(stream)

        expect(error).toBeInstanceOf(OpenAI.APIError)
        expect(error?.code).toBe('upstream_connection_lost')
        expect(content).toBe('abcdefghi')
        expect(sentTo('mid-stream')).toHaveLength(1)
        expect(sentTo('never-mid')).toHaveLength(0)
      })

      it('a slow first token: firstTokenMs falls back before any byte, and the client gets a whole stream', async () => {
        upstream.when('slow-first', { text: 'never seen', firstChunkDelayMs: HANG_MS })
        upstream.when('ok-stream', { text: TEXT, pieceSize: 5 })
        const started = Date.now()
        const { data: stream, response } = await client.chat.completions
          .create({ model: 'slow-first-token', messages: HI, stream: true })
          .withResponse()
        const { content, error } = await drain(stream)

        expect(error).toBeUndefined()
        expect(content).toBe(TEXT)
        expect(Date.now() - started).toBeLessThan(HANG_MS / 2)
        expect(response.headers.get('x-gateway-model')).toBe('ok-stream')
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
        const [slow] = sentTo('slow-first')
        expect(sentTo('slow-first')).toHaveLength(1)
        await expect(slow?.settled).resolves.toBe('aborted')
      })
    })

    it('400: returned at once, no retry and no fallback', async () => {
      upstream.when('bad', {
        status: 400,
        error: { message: "Invalid value for 'temperature'", type: 'invalid_request_error', param: 'temperature' },
      })
      const error = await rejection(chat('bad-request'))

      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      expect(error.param).toBe('temperature')
      expect(sentTo('bad')).toHaveLength(1)
      expect(sentTo('never-bad')).toHaveLength(0)
    })

    it('401 on one of two keys: the request succeeds on the other key, and the rejected key is out', async () => {
      upstream.when('gpt-4o-mini', (request) =>
        request.headers.authorization === `Bearer ${KEYS.revoked}`
          ? { status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }
          : {},
      )
      // The revoked key weighs 1000 to 1: it is almost surely the first pick; keep asking until it was.
      for (let i = 0; i < 20 && !keysSentTo('gpt-4o-mini').includes(`Bearer ${KEYS.revoked}`); i++) {
        const { data } = await chat('one-key-revoked')
        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      }
      const used = keysSentTo('gpt-4o-mini')
      expect(used.filter((key) => key === `Bearer ${KEYS.revoked}`)).toHaveLength(1)
      expect(used[used.length - 1]).toBe(`Bearer ${KEYS.good}`)
      expect(gateway.logs.some((line) => line.includes('provider rejected a key') && line.includes('revoked'))).toBe(
        true,
      )

      upstream.reset()
      upstream.when('gpt-4o-mini', {})
      for (let i = 0; i < 10; i++) await chat('one-key-revoked')
      expect(keysSentTo('gpt-4o-mini')).toEqual(Array(10).fill(`Bearer ${KEYS.good}`))
      const guarded = (await routingReport()).keys.filter((key) => key.provider === 'guarded')
      expect(guarded).toEqual([expect.objectContaining({ key: 'revoked', state: 'rejected' })])
      expect(JSON.stringify(await routingReport())).not.toContain(KEYS.revoked)
    })

    describe('context_length_exceeded', () => {
      const tooLong = {
        status: 400,
        error: {
          message:
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      }

      it('goes to the route’s onContextLength target, not down the fallback list', async () => {
        upstream.when('small-ctx', tooLong)
        const { data, response } = await chat('long-prompts')

        expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
        expect(response.headers.get('x-gateway-model')).toBe('large-ctx')
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
        expect(sentTo('small-ctx')).toHaveLength(1)
        expect(sentTo('other-small')).toHaveLength(0)
        expect(sentTo('large-ctx')).toHaveLength(1)
      })

      it('the onContextLength target gets what is left of totalMs, not a new totalMs', async () => {
        upstream.when('small-ctx-3', { ...tooLong, delayMs: 500 })
        upstream.when('large-ctx-hung', { delayMs: HANG_MS })
        const error = await rejection(chat('long-prompts-bounded'))

        expect(error.status).toBe(504)
        // The larger target started at least 500 ms into the request's 1000 ms: it had at most 500 left.
        const allowed = Number(/no answer within (\d+) ms/.exec(error.message)?.[1])
        expect(allowed).toBeGreaterThan(0)
        expect(allowed).toBeLessThanOrEqual(500)
        expect(sentTo('large-ctx-hung')).toHaveLength(1)
      })

      it('without onContextLength: the 400 is returned at once', async () => {
        upstream.when('small-ctx-2', tooLong)
        const error = await rejection(chat('short-prompts'))

        expect(error).toBeInstanceOf(OpenAI.BadRequestError)
        expect(error.code).toBe('context_length_exceeded')
        expect(error.param).toBe('messages')
        expect(sentTo('small-ctx-2')).toHaveLength(1)
        expect(sentTo('other-small-2')).toHaveLength(0)
      })
    })

    describe('per-request overrides', () => {
      it('x-gateway-target picks one of the route’s targets', async () => {
        const { response } = await chat('pinnable', { 'x-gateway-target': 'up/pin-b' })
        expect(response.headers.get('x-gateway-model')).toBe('pin-b')
        expect(sentTo('pin-a')).toHaveLength(0)
        expect(sentTo('pin-b')).toHaveLength(1)
      })

      it('400 override_not_allowed when the route does not allow it, 400 unknown_target for a stranger', async () => {
        const notAllowed = await rejection(chat('fixed', { 'x-gateway-target': 'up/pin-b' }))
        expect(notAllowed).toBeInstanceOf(OpenAI.BadRequestError)
        expect(notAllowed.code).toBe('override_not_allowed')
        expect(notAllowed.param).toBe('x-gateway-target')

        const noFallbackNotAllowed = await rejection(chat('fixed', { 'x-gateway-fallback': 'off' }))
        expect(noFallbackNotAllowed.code).toBe('override_not_allowed')
        expect(noFallbackNotAllowed.param).toBe('x-gateway-fallback')

        const unknown = await rejection(chat('pinnable', { 'x-gateway-target': 'up/not-a-target' }))
        expect(unknown).toBeInstanceOf(OpenAI.BadRequestError)
        expect(unknown.code).toBe('unknown_target')
        expect(unknown.message).toContain('up/pin-a, up/pin-b')
        expect(upstream.requests).toHaveLength(0)
      })

      it('x-gateway-fallback: off returns the first target’s error instead of falling back', async () => {
        upstream.when('pin-a', SERVER_ERROR)
        const error = await rejection(chat('pinnable', { 'x-gateway-fallback': 'off' }))
        expect(error.status).toBe(502)
        expect(error.code).toBe('upstream_error')
        expect(sentTo('pin-a')).toHaveLength(1)
        expect(sentTo('pin-b')).toHaveLength(0)

        // Without the header the same route falls back.
        const { response } = await chat('pinnable')
        expect(response.headers.get('x-gateway-model')).toBe('pin-b')
      })
    })
  })

  describe('circuit breaker', () => {
    let gateway: TestGateway
    let client: OpenAI
    beforeAll(async () => {
      gateway = await startTestGateway(
        tsConfig(`{
          admin: { token: '${ADMIN_TOKEN}' },
          routing: { breaker: { failures: 3, windowMs: 60000, cooldownMs: 500 } },
          providers: { up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: '${KEYS.main}' }] } },
          routes: { guarded: { targets: ['up/flaky', 'up/steady'], retry: { attempts: 1 } } },
        }`),
      )
      client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
    })
    afterAll(() => gateway?.close())

    const chat = () => client.chat.completions.create({ model: 'guarded', messages: HI }).withResponse()
    const flakyState = async () => {
      const res = await request(`${gateway.url}/admin/routing`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      const report = (await res.body.json()) as { breakers: Record<string, { state: string }> }
      return report.breakers['up/flaky']?.state
    }

    it('opens after 3 failures, skips the target, probes once after cooldownMs, and closes on recovery', async () => {
      upstream.when('flaky', SERVER_ERROR)
      for (let i = 0; i < 3; i++) {
        const { response } = await chat()
        expect(response.headers.get('x-gateway-model')).toBe('steady')
        expect(response.headers.get('x-gateway-attempts')).toBe('2')
      }
      expect(sentTo('flaky')).toHaveLength(3)

      // Open: the next request does not call the broken target at all.
      const skipped = await chat()
      expect(skipped.response.headers.get('x-gateway-model')).toBe('steady')
      expect(skipped.response.headers.get('x-gateway-attempts')).toBe('1')
      expect(sentTo('flaky')).toHaveLength(3)
      expect(gateway.logs.some((line) => line.includes('target skipped') && line.includes('flaky'))).toBe(true)
      expect(await flakyState()).toBe('open')

      // Half-open after cooldownMs: of several requests at once, exactly one probes (and fails: open again).
      upstream.when('flaky', { ...SERVER_ERROR, delayMs: 300 })
      await expect.poll(flakyState, { interval: 50, timeout: 5_000 }).toBe('half-open')
      const burst = await Promise.all(Array.from({ length: 5 }, () => chat()))
      expect(burst.map(({ response }) => response.headers.get('x-gateway-model'))).toEqual(Array(5).fill('steady'))
      expect(sentTo('flaky')).toHaveLength(4)

      // The upstream recovers: the next probe succeeds, the breaker closes and traffic returns.
      upstream.when('flaky', {})
      await expect.poll(flakyState, { interval: 50, timeout: 5_000 }).toBe('half-open')
      const probe = await chat()
      expect(probe.response.headers.get('x-gateway-model')).toBe('flaky')
      expect(await flakyState()).toBe('closed')
      for (let i = 0; i < 5; i++) {
        const { response } = await chat()
        expect(response.headers.get('x-gateway-model')).toBe('flaky')
      }
      expect(sentTo('flaky')).toHaveLength(10)
    })
  })

  describe('with virtual keys: conditional routing and cost', () => {
    const CALLERS = { ml: 'gw-ml-0123456789', web: 'gw-web-0123456789', payer: 'gw-payer-0123456789' }
    let gateway: TestGateway
    beforeAll(async () => {
      gateway = await startTestGateway(
        tsConfig(`{
          auth: { mode: 'keys' },
          admin: { token: '${ADMIN_TOKEN}' },
          providers: { up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: '${KEYS.main}' }] } },
          teams: { ml: {}, web: {} },
          keys: [
            { name: 'ml-caller', hash: '${hashKey(CALLERS.ml)}', team: 'ml' },
            { name: 'web-caller', hash: '${hashKey(CALLERS.web)}', team: 'web' },
            { name: 'payer', hash: '${hashKey(CALLERS.payer)}', team: 'web' },
          ],
          // Whole dollars per token, so the cost is exact: $1 per prompt token, $2 per completion token.
          pricing: { overrides: { 'up/priced': { input: 1000000, output: 2000000 } } },
          routes: {
            'by-caller': {
              strategy: 'conditional',
              targets: [
                { to: 'up/for-ml', when: "caller.team = 'ml'" },
                { to: 'up/for-search', when: "metadata.feature = 'search'" },
                'up/for-everyone',
              ],
            },
            priced: { targets: ['up/priced'], retry: { attempts: 2, initialDelayMs: 10 } },
          },
        }`),
      )
    })
    afterAll(() => gateway?.close())

    const clientFor = (key: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 })

    it("routes by the caller's team and by x-gateway-metadata, with a default", async () => {
      const servedBy = async (key: string, metadata?: object) => {
        const headers = metadata ? { 'x-gateway-metadata': JSON.stringify(metadata) } : {}
        const { response } = await clientFor(key)
          .chat.completions.create({ model: 'by-caller', messages: HI }, { headers })
          .withResponse()
        return response.headers.get('x-gateway-model')
      }
      expect(await servedBy(CALLERS.ml)).toBe('for-ml')
      expect(await servedBy(CALLERS.web, { feature: 'search' })).toBe('for-search')
      expect(await servedBy(CALLERS.web)).toBe('for-everyone')
      expect(await servedBy(CALLERS.web, { feature: 'chat' })).toBe('for-everyone')
      // The first matching target wins.
      expect(await servedBy(CALLERS.ml, { feature: 'search' })).toBe('for-ml')
      expect(upstream.requests.map((r) => (r.body as { model: string }).model)).toEqual([
        'for-ml',
        'for-search',
        'for-everyone',
        'for-everyone',
        'for-ml',
      ])
    })

    it('a retried request costs one answer: in x-gateway-cost-usd and in /admin/usage', async () => {
      let calls = 0
      upstream.when('priced', () => (calls++ === 0 ? SERVER_ERROR : {}))
      const { data, response } = await clientFor(CALLERS.payer)
        .chat.completions.create({ model: 'priced', messages: HI })
        .withResponse()

      expect(response.headers.get('x-gateway-attempts')).toBe('2')
      expect(sentTo('priced')).toHaveLength(2)
      const usage = data.usage as NonNullable<typeof data.usage>
      const oneAnswer = usage.prompt_tokens * 1 + usage.completion_tokens * 2
      expect(oneAnswer).toBeGreaterThan(0)
      expect(Number(response.headers.get('x-gateway-cost-usd'))).toBe(oneAnswer)

      const res = await request(`${gateway.url}/admin/usage`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      const report = (await res.body.json()) as { keys: Record<string, { spentUsd: number; reservedUsd: number }> }
      expect(report.keys.payer).toMatchObject({ spentUsd: oneAnswer, reservedUsd: 0 })
    })
  })
})

async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}
