/**
 * Provider keys go upstream and nowhere else: not into log lines, not into
 * error bodies (even when the upstream echoes the key back in its error
 * message), and not into `print-config`.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const run = promisify(execFile)

const KEY = 'sk-test-SECRET-123456789'
const HEADER_SECRET = 'org-SECRET-header-555'
const LITERAL_KEY = 'sk-literal-SECRET-987654321'
const SECRETS = [KEY, HEADER_SECRET, LITERAL_KEY]
const ENV = { TEST_OPENAI_KEY: KEY, TEST_ORG_TOKEN: HEADER_SECRET }
const PROJECT_ROOT = new URL('../..', import.meta.url).pathname

/** What a careless upstream does: quote the credentials it was sent back in its error message. */
const echoKey = (request: RecordedRequest) =>
  `Incorrect API key provided: ${String(request.headers.authorization).replace(/^Bearer /, '')} (org ${String(request.headers['x-org-token'])}).`

describe('provider secrets', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  let client: OpenAI
  /** Every body and header block the client received, raw. */
  const received: string[] = []

  beforeAll(async () => {
    upstream = await startMockUpstream()
    upstream.when('leaky-400', (request) => ({
      status: 400,
      error: { message: echoKey(request), type: 'invalid_request_error', code: 'invalid_api_key' },
    }))
    upstream.when('leaky-401', (request) => ({
      status: 401,
      error: { message: echoKey(request), type: 'invalid_request_error', code: 'invalid_api_key' },
    }))
    upstream.when('leaky-429', (request) => ({
      status: 429,
      retryAfter: '1',
      error: { message: echoKey(request), type: 'requests', code: 'rate_limit_exceeded' },
    }))
    upstream.when('leaky-500', (request) => ({ status: 500, error: { message: echoKey(request) } }))
    upstream.when('leaky-stream', (request) => ({
      streamErrorAfter: 2,
      error: { message: echoKey(request), type: 'server_error' },
    }))
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          openai: {
            type: 'openai',
            baseUrl: ${JSON.stringify(upstream.baseUrl)},
            keys: [{ value: env('TEST_OPENAI_KEY'), name: 'primary' }],
            headers: { 'x-org-token': env('TEST_ORG_TOKEN') },
          },
          literal: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: ${JSON.stringify(LITERAL_KEY)} }] },
          // A 401 takes a key out of its pool and a 429 rests it: those cases get providers of their own.
          revoked: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: env('TEST_OPENAI_KEY') }] },
          throttled: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: env('TEST_OPENAI_KEY') }] },
        },
        routes: { chat: { targets: ['openai/gpt-4o-mini'] }, 'literal-chat': { targets: ['literal/leaky-400'] } },
      }`),
      { env: ENV },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })

  async function rawChat(body: object): Promise<{ status: number; text: string }> {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    received.push(JSON.stringify([...response.headers]), text)
    return { status: response.status, text }
  }

  const ask = (model: string, extra: object = {}) =>
    rawChat({ model, messages: [{ role: 'user', content: 'hi' }], ...extra })

  it('sends the key and header to the upstream', async () => {
    const answer = await ask('chat')
    expect(answer.status).toBe(200)
    const sent = upstream.requests[upstream.requests.length - 1] as RecordedRequest
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(sent.headers['x-org-token']).toBe(HEADER_SECRET)
  })

  it('succeeds through the SDK, streamed and not', async () => {
    await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    for await (const _chunk of stream) {
      // drain
    }
  })

  it.each([
    ['openai/leaky-400', 400],
    ['revoked/leaky-401', 502],
    ['throttled/leaky-429', 429],
    ['openai/leaky-500', 502],
    ['literal-chat', 400],
  ])('scrubs the keys an upstream echoes back (%s -> %i)', async (model, status) => {
    const answer = await ask(model)
    expect(answer.status).toBe(status)
    const { error } = JSON.parse(answer.text) as { error: { message: string } }
    for (const secret of SECRETS) expect(error.message).not.toContain(secret)
  })

  it('relays the rest of an echoing upstream message with the key redacted', async () => {
    const { text } = await ask('openai/leaky-400')
    expect(JSON.parse(text).error.message).toBe('Incorrect API key provided: [redacted] (org [redacted]).')
  })

  it('scrubs the key from a mid-stream error frame', async () => {
    const answer = await ask('openai/leaky-stream', { stream: true })
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('"error"')
    expect(answer.text).toContain('[redacted]')

    const stream = await client.chat.completions.create({
      model: 'openai/leaky-stream',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    const thrown = await (async () => {
      try {
        for await (const _chunk of stream) {
          // drain until the error frame
        }
      } catch (error) {
        return error as Error
      }
      throw new Error('expected the stream to fail')
    })()
    for (const secret of SECRETS) expect(thrown.message).not.toContain(secret)
  })

  it('never wrote a secret to the logs, and did log the failures', () => {
    expect(gateway.logs.length).toBeGreaterThan(10)
    const all = gateway.logs.join('\n')
    for (const secret of SECRETS) expect(all).not.toContain(secret)
    // The echoed messages did reach the logs, redacted: the scrubber, not luck, kept the keys out.
    expect(all).toContain('Incorrect API key provided: [redacted]')
  })

  it('never sent a secret to the client', () => {
    expect(received.length).toBeGreaterThan(0)
    const all = received.join('\n')
    for (const secret of SECRETS) expect(all).not.toContain(secret)
  })

  it('print-config redacts every secret', async () => {
    const { stdout, stderr } = await run(
      'npx',
      ['tsx', 'core/cli/main.ts', 'print-config', '--config', gateway.configPath],
      { cwd: PROJECT_ROOT, env: { ...process.env, ...ENV }, timeout: 60_000 },
    )
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret)
      expect(stderr).not.toContain(secret)
    }
    expect(stdout).toContain('[redacted]')
    const printed = JSON.parse(stdout) as {
      providers: Record<string, { keys: Array<{ value: string; name?: string }>; headers?: Record<string, string> }>
    }
    expect(printed.providers.openai?.keys[0]).toEqual({ value: '[redacted] (env TEST_OPENAI_KEY)', name: 'primary' })
    expect(printed.providers.openai?.headers).toEqual({ 'x-org-token': '[redacted] (env TEST_ORG_TOKEN)' })
    expect(printed.providers.literal?.keys[0]?.value).toBe('[redacted]')
  }, 60_000)
})
