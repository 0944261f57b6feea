/**
 * The gateway's OpenAI surface, byte for byte, against OpenAI's official
 * OpenAPI schemas (test/fixtures/openai-openapi/): chat completions (text and
 * tool calls), every stream chunk with and without usage, embeddings, the
 * model list and error bodies, served by the built-in mock provider and
 * translated from an Anthropic upstream. Raw HTTP, so nothing an SDK would
 * forgive goes unseen.
 */
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { assertOpenAISchema, openAISchemaErrors, openAISchemaSource } from '../helpers/openai-schema.js'
import {
  type AnthropicMockUpstream,
  type AnthropicToolUse,
  startAnthropicUpstream,
} from '../mocks/anthropic-upstream.js'

const KEY = 'gw-test-schema-0123456789'
const RATIONED_KEY = 'gw-test-schema-rationed-0123456789'
const ANTHROPIC_KEY = 'sk-ant-test-0123456789'
const CLAUDE = 'claude-sonnet-4'

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
]
const TWO_TOOLS: AnthropicToolUse[] = [
  { id: 'toolu_01', name: 'get_weather', input: { city: 'Zürich' } },
  { id: 'toolu_02', name: 'get_time', input: { timezone: 'Europe/Zurich' } },
]

interface Raw {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** The `data:` payloads of an SSE body, parsed, up to (not including) `[DONE]`; fails if `[DONE]` is missing. */
function sseChunks(text: string): unknown[] {
  const payloads = text
    .split(/\r?\n\r?\n/)
    .map((frame) =>
      frame
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
  expect(payloads.at(-1)).toBe('[DONE]')
  return payloads.slice(0, -1).map((data) => JSON.parse(data))
}

describe('OpenAI surface output conforms to OpenAI’s OpenAPI schemas', () => {
  let upstream: AnthropicMockUpstream
  let gateway: TestGateway

  beforeAll(async () => {
    upstream = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        providers: {
          mock: {
            type: 'mock',
            models: ['demo'],
            reply: 'one two three four five',
            embeddingDimensions: 16,
            failures: [{ status: 429, match: 'PLEASE_THROTTLE', retryAfterSeconds: 1 }],
          },
          anthropic: { type: 'anthropic', baseUrl: ${JSON.stringify(upstream.origin)}, keys: [{ value: env('TEST_ANTHROPIC_KEY') }] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          demo: { targets: ['mock/demo'], retry: { attempts: 1 } },
          claude: { targets: ['anthropic/${CLAUDE}'], retry: { attempts: 1 } },
        },
        keys: [
          { name: 'tester', hash: '${hashKey(KEY)}' },
          { name: 'rationed', hash: '${hashKey(RATIONED_KEY)}', limits: { rpm: 1 } },
        ],
      }`),
      { env: { TEST_ANTHROPIC_KEY: ANTHROPIC_KEY } },
    )
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const call = async (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    key: string | null = KEY,
    rawBody?: string,
  ): Promise<Raw> => {
    const res = await request(`${gateway.url}${path}`, {
      method,
      headers: {
        ...(method === 'POST' && { 'content-type': 'application/json' }),
        ...(key && { authorization: `Bearer ${key}` }),
      },
      ...(method === 'POST' && { body: rawBody ?? JSON.stringify(body) }),
    })
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
  }
  const chat = (body: Record<string, unknown>, key?: string | null) =>
    call('POST', '/v1/chat/completions', { messages: [{ role: 'user', content: 'hello there' }], ...body }, key)

  const expectJson = (raw: Raw, status: number): unknown => {
    expect(raw.status, raw.text).toBe(status)
    expect(String(raw.headers['content-type'])).toMatch(/^application\/json/)
    return JSON.parse(raw.text)
  }
  const expectStream = (raw: Raw): unknown[] => {
    expect(raw.status, raw.text).toBe(200)
    expect(String(raw.headers['content-type'])).toMatch(/^text\/event-stream/)
    const chunks = sseChunks(raw.text)
    expect(chunks.length).toBeGreaterThan(1)
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk)
    return chunks
  }

  it('uses a recorded copy of the official spec', () => {
    expect(openAISchemaSource()).toMatchObject({ repository: 'openai/openai-openapi', commit: expect.any(String) })
  })

  describe('negative controls: the validator can fail', () => {
    const good = {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'demo',
      choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }],
    }

    it('accepts a well-formed chunk', () => {
      expect(openAISchemaErrors('CreateChatCompletionStreamResponse', good)).toEqual([])
    })

    it('rejects a chunk with an unknown finish_reason', () => {
      const broken = { ...good, choices: [{ index: 0, delta: {}, finish_reason: 'finished' }] }
      const errors = openAISchemaErrors('CreateChatCompletionStreamResponse', broken)
      expect(errors.join('\n')).toMatch(/finish_reason must be equal to one of the allowed values/)
      expect(() => assertOpenAISchema('CreateChatCompletionStreamResponse', broken)).toThrow(/finish_reason/)
    })

    it('rejects a chunk with a bad role, wrong object type or string usage', () => {
      expect(
        openAISchemaErrors('CreateChatCompletionStreamResponse', {
          ...good,
          choices: [{ index: 0, delta: { role: 'robot' }, finish_reason: null }],
        }),
      ).not.toEqual([])
      expect(
        openAISchemaErrors('CreateChatCompletionStreamResponse', { ...good, object: 'chat.completion' }),
      ).not.toEqual([])
      expect(openAISchemaErrors('CreateChatCompletionStreamResponse', { ...good, usage: '3 tokens' })).not.toEqual([])
    })

    it('rejects an error body without param and code, and a completion choice without logprobs', () => {
      expect(
        openAISchemaErrors('ErrorResponse', { error: { message: 'x', type: 'invalid_request_error' } }),
      ).toHaveLength(2)
      expect(
        openAISchemaErrors('CreateChatCompletionResponse', {
          id: 'c',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }],
        }).join('\n'),
      ).toMatch(/logprobs/)
    })
  })

  describe('mock provider', () => {
    it('chat completion', async () => {
      const body = expectJson(await chat({ model: 'demo' }), 200)
      assertOpenAISchema('CreateChatCompletionResponse', body)
      expect(body).toMatchObject({
        choices: [{ finish_reason: 'stop', message: { content: 'one two three four five' } }],
      })
    })

    it('chat completion cut by max_tokens (finish_reason length)', async () => {
      const body = expectJson(await chat({ model: 'demo', max_tokens: 2 }), 200)
      assertOpenAISchema('CreateChatCompletionResponse', body)
      expect(body).toMatchObject({ choices: [{ finish_reason: 'length' }] })
    })

    it('chat completion with a tool call', async () => {
      const body = expectJson(await chat({ model: 'demo', tools: TOOLS }), 200)
      assertOpenAISchema('CreateChatCompletionResponse', body)
      expect(body).toMatchObject({
        choices: [
          {
            finish_reason: 'tool_calls',
            message: { content: null, tool_calls: [{ type: 'function', function: { name: 'get_weather' } }] },
          },
        ],
      })
    })

    it('stream without stream_options: every chunk valid, no usage field', async () => {
      const chunks = expectStream(await chat({ model: 'demo', stream: true }))
      for (const chunk of chunks) expect(chunk).not.toHaveProperty('usage')
      expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'stop' }] })
    })

    it('stream with include_usage: usage null on content chunks, a final choices:[] chunk with totals', async () => {
      const chunks = expectStream(await chat({ model: 'demo', stream: true, stream_options: { include_usage: true } }))
      const last = chunks.at(-1) as { choices: unknown[]; usage: Record<string, number> }
      expect(last.choices).toEqual([])
      expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) })
      for (const chunk of chunks.slice(0, -1)) expect(chunk).toHaveProperty('usage', null)
    })

    it('stream of a tool call, with and without include_usage', async () => {
      const plain = expectStream(await chat({ model: 'demo', stream: true, tools: TOOLS }))
      expect(plain.at(-1)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }] })
      expectStream(await chat({ model: 'demo', stream: true, tools: TOOLS, stream_options: { include_usage: true } }))
    })

    it('embeddings (float)', async () => {
      const body = expectJson(
        await call('POST', '/v1/embeddings', { model: 'demo', input: ['a', 'b'], encoding_format: 'float' }),
        200,
      )
      assertOpenAISchema('CreateEmbeddingResponse', body)
      expect((body as { data: Array<{ embedding: number[] }> }).data[0]!.embedding).toHaveLength(16)
    })

    it('embeddings (base64)', async () => {
      const body = expectJson(
        await call('POST', '/v1/embeddings', { model: 'demo', input: 'a', encoding_format: 'base64' }),
        200,
      )
      assertOpenAISchema('CreateEmbeddingResponse', body)
    })

    it('GET /v1/models', async () => {
      const body = expectJson(await call('GET', '/v1/models'), 200)
      assertOpenAISchema('ListModelsResponse', body)
      expect((body as { data: unknown[] }).data.length).toBeGreaterThan(0)
    })
  })

  describe('error bodies', () => {
    it('400 for a body that is not a chat request', async () => {
      const body = expectJson(
        await call('POST', '/v1/chat/completions', { model: 'demo', messages: 'not a list' }),
        400,
      )
      assertOpenAISchema('ErrorResponse', body)
    })

    it('400 for malformed JSON', async () => {
      const raw = await call('POST', '/v1/chat/completions', undefined, KEY, '{"model": "demo", ')
      assertOpenAISchema('ErrorResponse', expectJson(raw, 400))
    })

    it('401 for a wrong key and for no key', async () => {
      assertOpenAISchema('ErrorResponse', expectJson(await chat({ model: 'demo' }, 'gw-not-a-real-key'), 401))
      assertOpenAISchema('ErrorResponse', expectJson(await chat({ model: 'demo' }, null), 401))
      assertOpenAISchema('ErrorResponse', expectJson(await call('GET', '/v1/models', undefined, 'gw-wrong'), 401))
    })

    it('404 for an unknown model', async () => {
      assertOpenAISchema('ErrorResponse', expectJson(await chat({ model: 'no-such-model' }), 404))
      const embeddings = await call('POST', '/v1/embeddings', { model: 'no-such-model', input: 'a' })
      assertOpenAISchema('ErrorResponse', expectJson(embeddings, 404))
    })

    it('429 from the gateway’s own rate limit, with Retry-After', async () => {
      expectJson(await chat({ model: 'demo' }, RATIONED_KEY), 200)
      const raw = await chat({ model: 'demo' }, RATIONED_KEY)
      assertOpenAISchema('ErrorResponse', expectJson(raw, 429))
      expect(raw.headers['retry-after']).toBeDefined()
    })

    it('429 from the upstream', async () => {
      const raw = await call('POST', '/v1/chat/completions', {
        model: 'demo',
        messages: [{ role: 'user', content: 'PLEASE_THROTTLE' }],
      })
      assertOpenAISchema('ErrorResponse', expectJson(raw, 429))
    })
  })

  describe('translated from an Anthropic upstream', () => {
    it('chat completion', async () => {
      const body = expectJson(await chat({ model: 'claude', max_tokens: 50 }), 200)
      assertOpenAISchema('CreateChatCompletionResponse', body)
    })

    it('chat completion with two tool calls', async () => {
      upstream.when(CLAUDE, { toolUses: TWO_TOOLS })
      const body = expectJson(await chat({ model: 'claude', max_tokens: 50, tools: TOOLS }), 200)
      assertOpenAISchema('CreateChatCompletionResponse', body)
      expect(body).toMatchObject({ choices: [{ finish_reason: 'tool_calls', message: { tool_calls: [{}, {}] } }] })
    })

    it('stream, with and without include_usage', async () => {
      upstream.when(CLAUDE, { pieceSize: 3 })
      expectStream(await chat({ model: 'claude', max_tokens: 50, stream: true }))
      const chunks = expectStream(
        await chat({ model: 'claude', max_tokens: 50, stream: true, stream_options: { include_usage: true } }),
      )
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } })
    })

    it('stream of text then two tool calls', async () => {
      upstream.when(CLAUDE, { toolUses: TWO_TOOLS, text: 'Checking.', pieceSize: 4 })
      const chunks = expectStream(
        await chat({
          model: 'claude',
          max_tokens: 50,
          stream: true,
          tools: TOOLS,
          stream_options: { include_usage: true },
        }),
      )
      expect(chunks.some((c) => JSON.stringify(c).includes('"tool_calls"'))).toBe(true)
    })

    it('upstream error mapped to an OpenAI error body', async () => {
      upstream.when(CLAUDE, { status: 429, errorType: 'rate_limit_error', errorMessage: 'slow down' })
      const raw = await chat({ model: 'claude', max_tokens: 50 })
      expect(raw.status).toBeGreaterThanOrEqual(400)
      assertOpenAISchema('ErrorResponse', JSON.parse(raw.text))
    })
  })
})
