/**
 * Requests a gateway must refuse cleanly: a 4xx (or a 502 for a dead
 * upstream) in OpenAI's error shape, with a request id, never a 500, and the
 * server keeps serving afterwards. Plain fetch, so the bodies can be broken
 * in ways the SDK would never send.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

interface Answer {
  status: number
  headers: Headers
  body: unknown
  text: string
}

interface OpenAIErrorShape {
  error: { message: string; type: string; param: string | null; code: string | null }
}

const GOOD_CHAT = { model: 'demo', messages: [{ role: 'user', content: 'hi' }] }

describe('bad input', () => {
  let gateway: TestGateway
  let closedPort: number

  beforeAll(async () => {
    closedPort = await findClosedPort()
    gateway = await startTestGateway(
      tsConfig(`{
        server: { bodyLimit: '1kb' },
        providers: {
          mock: { type: 'mock' },
          dead: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:${closedPort}/v1', models: ['gone'] },
        },
        routes: { demo: { targets: ['mock/demo'] }, unreachable: { targets: ['dead/gone'] } },
      }`),
    )
  })
  afterAll(() => gateway?.close())

  /** Every refusal must leave the server able to serve the next request. */
  afterEach(async () => {
    const answer = await post('/v1/chat/completions', JSON.stringify(GOOD_CHAT))
    expect(answer.status).toBe(200)
    expect((answer.body as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe(
      'You said: hi',
    )
  })

  async function request(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body,
    })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: response.status, headers: response.headers, body: parsed, text } satisfies Answer
  }

  const post = (path: string, body: string, headers?: Record<string, string>) => request('POST', path, body, headers)

  /** The checks every refusal shares; returns the error object for the test's own assertions. */
  function expectRefusal(answer: Answer, status: number): OpenAIErrorShape['error'] {
    expect(answer.status, answer.text).toBe(status)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]+$/)
    const { error } = answer.body as OpenAIErrorShape
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type'])
    expect(typeof error.message).toBe('string')
    expect(error.message.length).toBeGreaterThan(0)
    expect(typeof error.type).toBe('string')
    return error
  }

  it('answers malformed JSON with 400 invalid_json', async () => {
    const error = expectRefusal(await post('/v1/chat/completions', '{"model": "demo", "messages": ['), 400)
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null })
  })

  it('answers a body that is not an object with 400', async () => {
    for (const body of ['[]', '"hello"', '42', 'null']) {
      const error = expectRefusal(await post('/v1/chat/completions', body), 400)
      expect(error.type).toBe('invalid_request_error')
    }
  })

  it('answers an empty body with 400', async () => {
    const error = expectRefusal(await post('/v1/chat/completions', ''), 400)
    expect(error.type).toBe('invalid_request_error')
  })

  it("names 'messages' when they are missing", async () => {
    const error = expectRefusal(await post('/v1/chat/completions', JSON.stringify({ model: 'demo' })), 400)
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages',
      code: 'missing_required_parameter',
    })
  })

  it("names 'messages[0].role' for a role OpenAI does not know", async () => {
    const body = JSON.stringify({ model: 'demo', messages: [{ role: 'wizard', content: 'hi' }] })
    const error = expectRefusal(await post('/v1/chat/completions', body), 400)
    expect(error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role', code: 'invalid_value' })
    expect(error.message).toBe(
      "Invalid value for 'messages[0].role': must be one of 'system', 'developer', 'user', 'assistant', 'tool', 'function'.",
    )
  })

  it('names the field for other invalid values', async () => {
    const cases: Array<[object, string]> = [
      [{ model: 'demo', messages: 'hi' }, 'messages'],
      [{ model: 'demo', messages: [] }, 'messages'],
      [{ ...GOOD_CHAT, temperature: 5 }, 'temperature'],
      [{ ...GOOD_CHAT, stream: 'yes' }, 'stream'],
      [{ messages: GOOD_CHAT.messages }, 'model'],
      [{ model: 'demo', messages: [{ role: 'user', content: 'hi' }, { content: 'no role' }] }, 'messages[1].role'],
    ]
    for (const [body, param] of cases) {
      const error = expectRefusal(await post('/v1/chat/completions', JSON.stringify(body)), 400)
      expect(error.param, JSON.stringify(body)).toBe(param)
    }
  })

  it('validates embeddings requests the same way', async () => {
    const error = expectRefusal(await post('/v1/embeddings', JSON.stringify({ model: 'demo' })), 400)
    expect(error).toMatchObject({ type: 'invalid_request_error', param: 'input' })
  })

  it('answers a body over server.bodyLimit with 413', async () => {
    const big = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'x'.repeat(2048) }] })
    const error = expectRefusal(await post('/v1/chat/completions', big), 413)
    expect(error.code).toBe('request_too_large')
  })

  it('answers a much larger body with 413 too, without breaking the connection', async () => {
    const huge = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'x'.repeat(4 * 1024 * 1024) }] })
    expectRefusal(await post('/v1/chat/completions', huge), 413)
  })

  it('answers an unsupported charset with 415', async () => {
    const answer = await post('/v1/chat/completions', JSON.stringify(GOOD_CHAT), {
      'content-type': 'application/json; charset=klingon',
    })
    expect(expectRefusal(answer, 415).code).toBe('unsupported_encoding')
  })

  it('accepts a JSON body sent without a JSON content type', async () => {
    const answer = await post('/v1/chat/completions', JSON.stringify(GOOD_CHAT), { 'content-type': 'text/plain' })
    expect(answer.status).toBe(200)
  })

  it('answers an unknown model with 404 model_not_found', async () => {
    const body = JSON.stringify({ ...GOOD_CHAT, model: 'gpt-17-ultra' })
    const error = expectRefusal(await post('/v1/chat/completions', body), 404)
    expect(error).toMatchObject({ type: 'not_found_error', code: 'model_not_found', param: 'model' })
    expect(error.message).toContain('gpt-17-ultra')
  })

  it('answers an unknown provider in "provider/model" with 404 model_not_found', async () => {
    const body = JSON.stringify({ ...GOOD_CHAT, model: 'nobody/some-model' })
    expect(expectRefusal(await post('/v1/chat/completions', body), 404).code).toBe('model_not_found')
  })

  it('answers unknown endpoints and methods with 404', async () => {
    for (const [method, path] of [
      ['POST', '/v1/completions-but-not'],
      ['GET', '/v1/chat/completions'],
      ['POST', '/v2/chat/completions'],
      ['DELETE', '/v1/models'],
    ] as const) {
      const body = method === 'POST' ? JSON.stringify(GOOD_CHAT) : undefined
      const error = expectRefusal(await request(method, path, body), 404)
      expect(error).toMatchObject({ type: 'not_found_error', code: 'unknown_endpoint' })
    }
  })

  it('answers an unreachable upstream with 502 upstream_unreachable', async () => {
    const body = JSON.stringify({ ...GOOD_CHAT, model: 'unreachable' })
    const error = expectRefusal(await post('/v1/chat/completions', body), 502)
    expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_unreachable' })
    expect(error.message).toContain("provider 'dead'")
  })

  it('answers an unreachable upstream with 502 before a stream starts', async () => {
    const body = JSON.stringify({ ...GOOD_CHAT, model: 'unreachable', stream: true })
    const answer = await post('/v1/chat/completions', body)
    expect(expectRefusal(answer, 502).code).toBe('upstream_unreachable')
  })

  it('answers an unreachable upstream with 502 for embeddings', async () => {
    const body = JSON.stringify({ model: 'dead/gone', input: 'hi' })
    expect(expectRefusal(await post('/v1/embeddings', body), 502).code).toBe('upstream_unreachable')
  })

  it("keeps a caller's request id and makes one up for a bad one", async () => {
    const kept = await post('/v1/chat/completions', '{', { 'x-request-id': 'trace-abc.123' })
    expect(kept.headers.get('x-request-id')).toBe('trace-abc.123')
    const replaced = await post('/v1/chat/completions', '{', { 'x-request-id': 'not ok/<script>' })
    expect(replaced.headers.get('x-request-id')).not.toBe('not ok/<script>')
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('logged no 500 and no unhandled error for any of it', () => {
    const lines = gateway.logs.map((line) => JSON.parse(line) as { status?: number; msg?: string })
    expect(lines.filter((line) => (line.status ?? 0) >= 500 && line.status !== 502)).toEqual([])
    expect(lines.filter((line) => /unhandled|unexpected error/.test(line.msg ?? ''))).toEqual([])
  })
})

/** A port on 127.0.0.1 that nothing listens on: bound once, then released. */
async function findClosedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
