/**
 * The official openai SDK against the gateway, with the gateway's `openai`
 * (and `azure-openai`) provider pointed at a mock upstream speaking OpenAI's
 * real wire format: what the SDK sees must be what OpenAI would have sent,
 * and what the upstream sees must be what the client asked for.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { collect } from '../helpers/chat-fixtures.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { DEFAULT_TEXT, type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const OPENAI_KEY = 'sk-test-openai-0123456789'
const AZURE_KEY = 'azure-test-key-0123456789'
const AZURE_API_VERSION = '2024-10-21'

const WEATHER_TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function' as const,
    function: {
      name: 'get_time',
      parameters: { type: 'object', properties: { timezone: { type: 'string' } } },
    },
  },
]
/** Arguments with quotes, braces, unicode and nesting, so fragment boundaries fall everywhere. */
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', units: 'celsius', days: [1, 2, 3] }
const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }

describe('openai SDK through the gateway to an OpenAI upstream', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  let client: OpenAI

  beforeAll(async () => {
    upstream = await startMockUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: env('TEST_OPENAI_KEY') }] },
          azure: {
            type: 'azure-openai',
            baseUrl: ${JSON.stringify(upstream.origin)},
            apiVersion: ${JSON.stringify(AZURE_API_VERSION)},
            deployments: { 'gpt-4o': 'prod-gpt4o' },
            keys: [{ value: env('TEST_AZURE_KEY') }],
          },
          // Its own key, so the 429 test's resting key does not affect the other tests.
          limited: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: env('TEST_OPENAI_KEY') }] },
          impatient: {
            type: 'openai',
            baseUrl: ${JSON.stringify(upstream.baseUrl)},
            keys: [{ value: env('TEST_OPENAI_KEY') }],
            timeoutMs: 300,
          },
        },
        // This suite is about wire-format fidelity; retries and breakers have their own (routing-*.test.ts).
        routing: { breaker: { failures: 1000 } },
        routes: {
          chat: { targets: ['openai/gpt-4o-mini'], retry: { attempts: 1 } },
          resilient: { strategy: 'fallback', targets: ['openai/overloaded-model', 'openai/gpt-4o-mini'], retry: { attempts: 1 } },
          'crash-then-ok': { strategy: 'fallback', targets: ['openai/crash-model', 'openai/gpt-4o-mini'], retry: { attempts: 1 } },
          embed: { targets: ['openai/text-embedding-3-small'] },
          'azure-chat': { targets: ['azure/gpt-4o'] },
          'azure-embed': { targets: ['azure/text-embedding-3-large'] },
        },
      }`),
      { env: { TEST_OPENAI_KEY: OPENAI_KEY, TEST_AZURE_KEY: AZURE_KEY } },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const lastUpstreamRequest = (): RecordedRequest => {
    expect(upstream.requests.length).toBeGreaterThan(0)
    return upstream.requests[upstream.requests.length - 1] as RecordedRequest
  }

  describe('chat', () => {
    it('answers a non-streamed completion with the upstream content, usage and x-gateway headers', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()

      expect(data.object).toBe('chat.completion')
      expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: DEFAULT_TEXT })
      expect(data.choices[0]?.finish_reason).toBe('stop')
      expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0))
      expect(data.usage?.completion_tokens).toBeGreaterThan(0)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-gateway-route')).toBe('chat')
      expect(response.headers.get('x-gateway-provider')).toBe('openai')
      expect(response.headers.get('x-gateway-model')).toBe('gpt-4o-mini')
      expect(response.headers.get('x-gateway-attempts')).toBe('1')
      expect(response.headers.get('x-request-id')).toBeTruthy()
    })

    it("sends the upstream the configured key, the provider's model name and the request id", async () => {
      const { response } = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()

      const sent = lastUpstreamRequest()
      expect(sent.method).toBe('POST')
      expect(sent.path).toBe('/v1/chat/completions')
      expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
      expect(sent.headers['api-key']).toBeUndefined()
      expect(JSON.stringify(sent.headers)).not.toContain('client-key')
      expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      expect(sent.headers['x-request-id']).toBe(response.headers.get('x-request-id'))
    })

    it('serves a direct "provider/model" request with that model upstream', async () => {
      const { response } = await client.chat.completions
        .create({ model: 'openai/gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()
      expect(response.headers.get('x-gateway-route')).toBe('openai/gpt-4.1-nano')
      expect(lastUpstreamRequest().body).toMatchObject({ model: 'gpt-4.1-nano' })
    })

    it('reassembles a stream exactly to the upstream text, with the usage chunk when include_usage is set', async () => {
      const text = 'Grüße aus Zürich! 🌍🚀 Emoji, "quotes", \\backslashes\\ and\nnew lines… done.'
      upstream.when('gpt-4o-mini', { text, pieceSize: 3 })
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      const chunks = await collect(stream)

      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text)
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
      const finish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason)
      expect(finish.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual(['stop'])
      const last = chunks[chunks.length - 1]
      expect(last?.choices).toEqual([])
      expect(last?.usage?.total_tokens).toBeGreaterThan(0)
      expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true)
      expect(lastUpstreamRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    })

    it('sends no usage chunk when include_usage is not set', async () => {
      const chunks = await collect(
        await client.chat.completions.create({
          model: 'chat',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      )
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_TEXT)
      expect(chunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true)
    })

    it('passes JSON mode and image content parts through to the upstream unchanged', async () => {
      upstream.when('gpt-4o-mini', { text: '{"colour":"red"}' })
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        { role: 'system', content: 'Answer in JSON.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What colour is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
          ],
        },
      ]
      const completion = await client.chat.completions.create({
        model: 'chat',
        messages,
        response_format: { type: 'json_object' },
        temperature: 0.2,
        seed: 7,
      })

      expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ colour: 'red' })
      const { model, stream: _stream, ...sent } = lastUpstreamRequest().body as Record<string, unknown>
      expect(model).toBe('gpt-4o-mini')
      expect(sent).toEqual({ messages, response_format: { type: 'json_object' }, temperature: 0.2, seed: 7 })
    })
  })

  describe('tool calls', () => {
    const twoCalls = [
      { id: 'call_weather', name: 'get_weather', arguments: WEATHER_ARGS },
      { id: 'call_time', name: 'get_time', arguments: TIME_ARGS },
    ]

    it('returns two tool calls in a non-streamed answer', async () => {
      upstream.when('gpt-4o-mini', { toolCalls: twoCalls })
      const completion = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'weather and time in Zürich?' }],
        tools: WEATHER_TOOLS,
        tool_choice: 'auto',
      })

      const choice = completion.choices[0]
      expect(choice?.finish_reason).toBe('tool_calls')
      expect(choice?.message.content).toBeNull()
      const calls = (choice?.message.tool_calls ?? []).map((call) => {
        if (call.type !== 'function') throw new Error(`unexpected tool call type ${call.type}`)
        return { id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments) }
      })
      expect(calls).toEqual(twoCalls)
      expect(lastUpstreamRequest().body).toMatchObject({ tools: WEATHER_TOOLS, tool_choice: 'auto' })
    })

    it('streams argument fragments of two tool calls that reassemble to valid JSON', async () => {
      upstream.when('gpt-4o-mini', { toolCalls: twoCalls, pieceSize: 5 })
      const chunks = await collect(
        await client.chat.completions.create({
          model: 'chat',
          messages: [{ role: 'user', content: 'weather and time in Zürich?' }],
          tools: WEATHER_TOOLS,
          stream: true,
        }),
      )

      const calls = new Map<number, { id?: string; name?: string; arguments: string; pieces: number }>()
      for (const chunk of chunks) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { arguments: '', pieces: 0 }
          if (delta.id) call.id = delta.id
          if (delta.function?.name) call.name = delta.function.name
          if (delta.function?.arguments) {
            call.arguments += delta.function.arguments
            call.pieces++
          }
          calls.set(delta.index, call)
        }
      }
      expect([...calls.keys()]).toEqual([0, 1])
      expect(calls.get(0)?.pieces).toBeGreaterThan(3)
      expect(calls.get(1)?.pieces).toBeGreaterThan(3)
      const assembled = [...calls.values()].map((call) => ({
        id: call.id,
        name: call.name,
        arguments: JSON.parse(call.arguments),
      }))
      expect(assembled).toEqual(twoCalls)
      expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    })

    it("works with the SDK's own stream helper, which assembles tool calls itself", async () => {
      upstream.when('gpt-4o-mini', { toolCalls: twoCalls, pieceSize: 2 })
      const runner = client.chat.completions.stream({
        model: 'chat',
        messages: [{ role: 'user', content: 'weather and time?' }],
        tools: WEATHER_TOOLS,
      })
      const completion = await runner.finalChatCompletion()
      const calls = completion.choices[0]?.message.tool_calls ?? []
      expect(calls.map((call) => (call.type === 'function' ? JSON.parse(call.function.arguments) : undefined))).toEqual(
        [WEATHER_ARGS, TIME_ARGS],
      )
    })
  })

  describe('embeddings', () => {
    const inputs = ['the quick brown fox', 'jumps over the lazy dog']

    it('returns float embeddings as the upstream produced them', async () => {
      const { data, response } = await client.embeddings
        .create({ model: 'embed', input: inputs, encoding_format: 'float' })
        .withResponse()
      expect(data.data.map((item) => item.embedding)).toEqual(inputs.map((input) => upstream.embeddingFor(input)))
      expect(data.usage.total_tokens).toBeGreaterThan(0)
      expect(response.headers.get('x-gateway-model')).toBe('text-embedding-3-small')
      expect(lastUpstreamRequest().body).toMatchObject({
        model: 'text-embedding-3-small',
        input: inputs,
        encoding_format: 'float',
      })
    })

    it('relays base64 embeddings, which the SDK decodes to the same floats', async () => {
      // Without encoding_format the SDK asks for base64 and decodes it itself.
      const embeddings = await client.embeddings.create({ model: 'embed', input: inputs, dimensions: 16 })
      expect(lastUpstreamRequest().body).toMatchObject({ encoding_format: 'base64', dimensions: 16 })
      expect(embeddings.data.map((item) => item.embedding)).toEqual(
        inputs.map((input) => upstream.embeddingFor(input, 16)),
      )
    })

    it('returns the base64 string untouched when the client asks for base64 explicitly', async () => {
      const embeddings = await client.embeddings.create({ model: 'embed', input: 'hello', encoding_format: 'base64' })
      const encoded = embeddings.data[0]?.embedding as unknown as string
      expect(typeof encoded).toBe('string')
      const buffer = Buffer.from(encoded, 'base64')
      const decoded = Array.from({ length: buffer.length / 4 }, (_, i) => buffer.readFloatLE(i * 4))
      expect(decoded).toEqual(upstream.embeddingFor('hello'))
    })
  })

  describe('azure-openai', () => {
    it('calls the deployment path with the api-version query and an api-key header', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'azure-chat', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()

      expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      expect(response.headers.get('x-gateway-provider')).toBe('azure')
      const sent = lastUpstreamRequest()
      expect(sent.path).toBe('/openai/deployments/prod-gpt4o/chat/completions')
      expect(sent.deployment).toBe('prod-gpt4o')
      expect(sent.query).toEqual({ 'api-version': AZURE_API_VERSION })
      expect(sent.headers['api-key']).toBe(AZURE_KEY)
      expect(sent.headers.authorization).toBeUndefined()
    })

    it('streams from a deployment', async () => {
      upstream.when('prod-gpt4o', { text: 'streamed from Azure', pieceSize: 2 })
      const chunks = await collect(
        await client.chat.completions.create({
          model: 'azure-chat',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      )
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('streamed from Azure')
      expect(lastUpstreamRequest().path).toBe('/openai/deployments/prod-gpt4o/chat/completions')
    })

    it('uses the model name as the deployment when none is mapped, for embeddings too', async () => {
      const embeddings = await client.embeddings.create({ model: 'azure-embed', input: 'hi', encoding_format: 'float' })
      expect(embeddings.data[0]?.embedding).toEqual(upstream.embeddingFor('hi'))
      const sent = lastUpstreamRequest()
      expect(sent.path).toBe('/openai/deployments/text-embedding-3-large/embeddings')
      expect(sent.query['api-version']).toBe(AZURE_API_VERSION)
    })
  })

  describe('failures', () => {
    it('falls back to the second target when the first answers 503', async () => {
      upstream.when('overloaded-model', {
        status: 503,
        error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' },
      })
      const { data, response } = await client.chat.completions
        .create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()

      expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT)
      expect(response.headers.get('x-gateway-attempts')).toBe('2')
      expect(response.headers.get('x-gateway-model')).toBe('gpt-4o-mini')
      expect(upstream.requests.map((request) => (request.body as { model: string }).model)).toEqual([
        'overloaded-model',
        'gpt-4o-mini',
      ])
    })

    it('falls back for a stream too, before any byte reached the client', async () => {
      upstream.when('overloaded-model', { status: 503, error: { message: 'overloaded', type: 'server_error' } })
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }], stream: true })
        .withResponse()
      const chunks = await collect(stream)
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_TEXT)
      expect(response.headers.get('x-gateway-attempts')).toBe('2')
    })

    it('relays an upstream 429 as 429 with retry-after', async () => {
      upstream.when('gpt-4o-mini', {
        status: 429,
        retryAfter: '7',
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      })
      const error = await rejection(
        client.chat.completions.create({ model: 'limited/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      )

      expect(error).toBeInstanceOf(OpenAI.RateLimitError)
      expect(error.status).toBe(429)
      expect(error.headers?.get('retry-after')).toBe('7')
      expect(error.type).toBe('rate_limit_error')
      expect(error.code).toBe('rate_limit_exceeded')
      expect(error.message).toContain('Rate limit reached for requests')
      expect(upstream.requests).toHaveLength(1)
    })

    it('relays an upstream 400 as 400 invalid_request_error, with its message, param and code', async () => {
      upstream.when('gpt-4o-mini', {
        status: 400,
        error: {
          message: "Invalid value: 'bogus'. Supported values are: 'low', 'high', and 'auto'.",
          type: 'invalid_request_error',
          param: 'messages[0].content[1].image_url.detail',
          code: 'invalid_value',
        },
      })
      const error = await rejection(
        client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      )

      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      expect(error.status).toBe(400)
      expect(error.type).toBe('invalid_request_error')
      expect(error.code).toBe('invalid_value')
      expect(error.param).toBe('messages[0].content[1].image_url.detail')
      expect(error.message).toContain("Invalid value: 'bogus'")
      expect(error.headers?.get('x-request-id')).toBeTruthy()
    })

    it('makes the SDK throw when the upstream sends an error frame mid-stream', async () => {
      upstream.when('gpt-4o-mini', {
        text: 'this answer will not finish',
        pieceSize: 2,
        streamErrorAfter: 3,
        error: { message: 'The server had an error while processing your request.', type: 'server_error' },
      })
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      const received: string[] = []
      const error = await rejection(
        (async () => {
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '')
        })(),
      )

      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect(error.message).toContain('The server had an error while processing your request.')
      expect(received.join('')).toBe('this')
      expect(gateway.logs.some((line) => line.includes('stream failed after it started'))).toBe(true)
    })

    it('ends the stream with an upstream error frame when the upstream connection drops mid-stream', async () => {
      upstream.when('gpt-4o-mini', { text: 'cut short by a crash', pieceSize: 2, streamDropAfter: 4 })
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      const received: string[] = []
      const error = await rejection(
        (async () => {
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '')
        })(),
      )

      expect(received.join('')).toBe('cut sh')
      expect(error.code).toBe('upstream_connection_lost')
      expect(error.type).toBe('upstream_error')
      expect(gateway.logs.some((line) => line.includes('unexpected error'))).toBe(false)
    })

    it('reports a stream the upstream ended early without [DONE] as an error, not as a complete answer', async () => {
      upstream.when('gpt-4o-mini', { text: 'truncated answer', pieceSize: 3, streamEndAfter: 3 })
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      const received: string[] = []
      const error = await rejection(
        (async () => {
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '')
        })(),
      )
      expect(received.join('')).toBe('trunca')
      expect(error.type).toBe('upstream_error')
      expect(String(error.message)).toContain('ended before the answer was complete')
    })

    it('accepts a complete stream whose server leaves out [DONE]', async () => {
      upstream.when('gpt-4o-mini', { text: 'all here', omitDone: true })
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      const chunks = await collect(stream)
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('all here')
    })

    it('falls back when the upstream connection drops before the first chunk', async () => {
      upstream.when('crash-model', { streamDropAfter: 0 })
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'crash-then-ok', messages: [{ role: 'user', content: 'hi' }], stream: true })
        .withResponse()
      const chunks = await collect(stream)
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_TEXT)
      expect(response.headers.get('x-gateway-attempts')).toBe('2')
    })

    it('answers 504 when the upstream sends no headers within the timeout', async () => {
      upstream.when('gpt-4o-mini', { delayMs: 5_000 })
      const error = await rejection(
        client.chat.completions.create({ model: 'impatient/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      )
      expect(error.status).toBe(504)
      expect(error.code).toBe('upstream_timeout')
      await expect(withTimeout(lastUpstreamRequest().settled, 5_000)).resolves.toBe('aborted')
    })

    it('ends a stream with a timeout error frame when the upstream stalls mid-stream', async () => {
      upstream.when('gpt-4o-mini', { text: 'stalls after a bit', pieceSize: 2, chunkDelayMs: 2_000 })
      const stream = await client.chat.completions.create({
        model: 'impatient/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      const error = await rejection(
        (async () => {
          for await (const _chunk of stream) {
            // drain until the error frame
          }
        })(),
      )
      expect(error.code).toBe('upstream_timeout')
      await expect(withTimeout(lastUpstreamRequest().settled, 5_000)).resolves.toBe('aborted')
    })

    it('cancels the upstream request when the client aborts a slow stream', async () => {
      upstream.when('gpt-4o-mini', { text: 'slow '.repeat(200), pieceSize: 5, chunkDelayMs: 50 })
      const controller = new AbortController()
      const stream = await client.chat.completions.create(
        { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true },
        { signal: controller.signal },
      )
      let received = 0
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++
        if (received === 2) controller.abort()
      }

      const sent = lastUpstreamRequest()
      await expect(withTimeout(sent.settled, 5_000)).resolves.toBe('aborted')
      await expect.poll(() => gateway.logs.some((line) => line.includes('"status":499'))).toBe(true)
      // The gateway still serves afterwards.
      upstream.reset()
      const completion = await client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
      })
      expect(completion.choices[0]?.message.content).toBe(DEFAULT_TEXT)
    })

    it('cancels the upstream request when the client aborts while waiting for a slow non-streamed answer', async () => {
      upstream.when('gpt-4o-mini', { delayMs: 10_000 })
      const controller = new AbortController()
      const pending = client.chat.completions.create(
        { model: 'chat', messages: [{ role: 'user', content: 'hi' }] },
        { signal: controller.signal },
      )
      await expect.poll(() => upstream.requests.length).toBe(1)
      controller.abort()
      await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError)
      await expect(withTimeout(lastUpstreamRequest().settled, 5_000)).resolves.toBe('aborted')
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
