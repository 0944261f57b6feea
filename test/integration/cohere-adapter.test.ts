/**
 * The official openai SDK against the gateway, with a `cohere` provider
 * pointed at a mock speaking Cohere's real v2 wire format: what the SDK sees
 * must be a faithful OpenAI answer, and what the upstream receives a faithful
 * Cohere request.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { assembleToolCalls, collect, TOOLS, WEATHER_ARGS } from '../helpers/chat-fixtures.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  COHERE_TEXT,
  COHERE_USAGE,
  type CohereMockToolCall,
  type CohereMockUpstream,
  type CohereRecordedRequest,
  mockVector,
  startCohereUpstream,
} from '../mocks/cohere-upstream.js'

const COHERE_KEY = 'co-test-0123456789abcdef'
const MODEL = 'command-a-03-2025'

const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰', quote: 'it\'s \\ "now"' } }
const TWO_CALLS: CohereMockToolCall[] = [
  { id: 'get_weather_9x1', name: 'get_weather', arguments: WEATHER_ARGS },
  { id: 'get_time_4k2', name: 'get_time', arguments: TIME_ARGS },
]
const TOOL_PLAN = 'I will look up the weather and the time.'

/** The full counts (`tokens`), not the billed ones: see core/providers/cohere/usage.ts. */
const EXPECTED_USAGE = {
  prompt_tokens: COHERE_USAGE.tokens.input_tokens,
  completion_tokens: COHERE_USAGE.tokens.output_tokens,
  total_tokens: COHERE_USAGE.tokens.input_tokens + COHERE_USAGE.tokens.output_tokens,
  prompt_tokens_details: { cached_tokens: COHERE_USAGE.cached_tokens },
}

describe('openai SDK through the gateway to a Cohere upstream', () => {
  let upstream: CohereMockUpstream
  let gateway: TestGateway
  let client: OpenAI

  beforeAll(async () => {
    upstream = await startCohereUpstream(COHERE_KEY)
    const origin = JSON.stringify(upstream.origin)
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          cohere: { type: 'cohere', baseUrl: ${origin}, keys: [{ value: env('TEST_COHERE_KEY') }] },
          backup: { type: 'cohere', baseUrl: ${origin}, keys: [{ value: env('TEST_COHERE_KEY') }] },
          wrongkey: { type: 'cohere', baseUrl: ${origin}, keys: [{ value: 'co-not-the-right-key' }] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          command: { targets: ['cohere/${MODEL}'], retry: { attempts: 1 } },
          resilient: { strategy: 'fallback', targets: ['cohere/overloaded-model', 'backup/${MODEL}'], retry: { attempts: 1 } },
          rejected: { targets: ['wrongkey/${MODEL}'], retry: { attempts: 1 } },
        },
      }`),
      { env: { TEST_COHERE_KEY: COHERE_KEY } },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const lastRequest = (): CohereRecordedRequest => {
    expect(upstream.requests.length).toBeGreaterThan(0)
    return upstream.requests[upstream.requests.length - 1] as CohereRecordedRequest
  }

  async function statusOf(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const error = await promise.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    return error as InstanceType<typeof OpenAI.APIError>
  }

  it('answers a non-streamed completion with exact usage, the Bearer key and Cohere field names', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'command',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'hi' },
        ],
        max_tokens: 64,
        temperature: 0.3,
        top_p: 0.8,
        stop: ['END'],
        seed: 7,
        frequency_penalty: 0.1,
      })
      .withResponse()

    expect(data.object).toBe('chat.completion')
    expect(data.model).toBe(MODEL)
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: COHERE_TEXT })
    expect(data.choices[0]?.finish_reason).toBe('stop')
    expect(data.usage).toMatchObject(EXPECTED_USAGE)
    expect(response.headers.get('x-gateway-provider')).toBe('cohere')
    // command-a-03-2025: $2.50 in, $10 out per Mtok: 1130 * 2.5 + 215 * 10 = 4975 micro-dollars.
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.004975000')

    const sent = lastRequest()
    expect(sent.path).toBe('/v2/chat')
    expect(sent.headers.authorization).toBe(`Bearer ${COHERE_KEY}`)
    expect(sent.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 64,
      temperature: 0.3,
      p: 0.8,
      stop_sequences: ['END'],
      seed: 7,
      frequency_penalty: 0.1,
    })
  })

  it('streams text that reassembles exactly, then a usage chunk', async () => {
    upstream.when(MODEL, { pieceSize: 3 })
    const stream = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks = await collect(stream)
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(COHERE_TEXT)
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThan(5)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toMatchObject(EXPECTED_USAGE)
    // Every chunk carries the id Cohere gave the message in message-start.
    const ids = new Set(chunks.map((chunk) => chunk.id))
    expect(ids.size).toBe(1)
    expect([...ids][0]).toMatch(/^c0h3r3-\d+$/)
    expect(lastRequest().body).toMatchObject({ stream: true })
  })

  it('returns two tool calls in one turn with the tool plan as content, not streamed', async () => {
    upstream.when(MODEL, { toolCalls: TWO_CALLS, toolPlan: TOOL_PLAN })
    const data = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      tool_choice: 'required',
    })
    const choice = data.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect(choice?.message.content).toBe(TOOL_PLAN)
    const calls = (choice?.message.tool_calls ?? []).map((call) => {
      if (call.type !== 'function') throw new Error('expected a function call')
      return { id: call.id, name: call.function.name, args: call.function.arguments }
    })
    expect(calls).toEqual([
      { id: 'get_weather_9x1', name: 'get_weather', args: JSON.stringify(WEATHER_ARGS) },
      { id: 'get_time_4k2', name: 'get_time', args: JSON.stringify(TIME_ARGS) },
    ])
    expect(lastRequest().body).toMatchObject({ tools: TOOLS, tool_choice: 'REQUIRED' })
  })

  it('streams two tool calls in one turn with exact arguments on the right index', async () => {
    upstream.when(MODEL, { toolCalls: TWO_CALLS, toolPlan: TOOL_PLAN, pieceSize: 4 })
    const stream = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      stream: true,
    })
    const chunks = await collect(stream)
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(TOOL_PLAN)
    expect(assembleToolCalls(chunks)).toEqual([
      { id: 'get_weather_9x1', name: 'get_weather', args: JSON.stringify(WEATHER_ARGS) },
      { id: 'get_time_4k2', name: 'get_time', args: JSON.stringify(TIME_ARGS) },
    ])
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    // The client did not ask for usage: no usage chunk.
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
  })

  it('sends a follow-up with tool results as Cohere tool messages', async () => {
    await client.chat.completions.create({
      model: 'command',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'weather and time in Zürich?' },
        {
          role: 'assistant',
          content: TOOL_PLAN,
          tool_calls: TWO_CALLS.map((call) => ({
            id: call.id,
            type: 'function' as const,
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        },
        { role: 'tool', tool_call_id: 'get_weather_9x1', content: '21°C, "sunny"' },
        { role: 'tool', tool_call_id: 'get_time_4k2', content: '14:05' },
      ],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      response_format: { type: 'json_object' },
      max_completion_tokens: 77,
    })
    expect(lastRequest().body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'weather and time in Zürich?' },
        {
          role: 'assistant',
          tool_plan: TOOL_PLAN,
          tool_calls: TWO_CALLS.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        },
        { role: 'tool', tool_call_id: 'get_weather_9x1', content: '21°C, "sunny"' },
        { role: 'tool', tool_call_id: 'get_time_4k2', content: '14:05' },
      ],
      // A named tool_choice: only that tool, and a call required.
      tools: [TOOLS[1]],
      tool_choice: 'REQUIRED',
      response_format: { type: 'json_object' },
      max_tokens: 77,
    })
  })

  it.each([
    ['MAX_TOKENS', 'length'],
    ['STOP_SEQUENCE', 'stop'],
    ['ERROR_TOXIC', 'content_filter'],
  ] as const)('maps finish_reason %s to %s, streamed or not', async (cohere, openai) => {
    upstream.when(MODEL, { finishReason: cohere })
    const data = await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] })
    expect(data.choices[0]?.finish_reason).toBe(openai)
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'command',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    )
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual([openai])
  })

  it('a finish_reason ERROR in a 200 answer is an upstream failure for the client', async () => {
    upstream.when(MODEL, { finishReason: 'ERROR' })
    const error = await statusOf(
      client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] }),
    )
    expect(error.status).toBe(502)
  })

  // Each fault on its own model: a 429 rests the key for its model, which must not touch the other tests.
  it.each([
    { status: 429, message: 'You are using a Trial key, which is limited to 10 API calls / minute.', client: 429 },
    { status: 400, message: 'too many tokens: total number of tokens in the prompt cannot exceed 4081.', client: 400 },
    { status: 500, message: 'internal server error, this has been reported to our developers', client: 502 },
    { status: 503, message: 'service unavailable', client: 503 },
  ])('an upstream $status becomes a $client for the client', async ({ status, message, client: clientStatus }) => {
    const model = `fault-${status}`
    upstream.when(model, { status, errorMessage: message, retryAfter: status === 429 ? '7' : undefined })
    const error = await statusOf(
      client.chat.completions.create({ model: `cohere/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    )
    expect(error.status).toBe(clientStatus)
    expect(error.message).toContain(message)
    if (status === 429) expect(error.headers?.get('retry-after')).toBe('7')
    if (status === 400) expect(error.code).toBe('context_length_exceeded')
  })

  it('a rejected key is the gateway credentials failing (502), not the client', async () => {
    const error = await statusOf(
      client.chat.completions.create({ model: 'rejected', messages: [{ role: 'user', content: 'hi' }] }),
    )
    expect(error.status).toBe(502)
    expect(error.code).toBe('upstream_auth_failed')
    expect(lastRequest().headers.authorization).toBe('Bearer co-not-the-right-key')
  })

  it('falls back to the second target on a 503', async () => {
    upstream.when('overloaded-model', { status: 503, errorMessage: 'service unavailable' })
    const { data, response } = await client.chat.completions
      .create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.choices[0]?.message.content).toBe(COHERE_TEXT)
    expect(response.headers.get('x-gateway-provider')).toBe('backup')
    expect(upstream.requests.map((request) => request.body.model)).toEqual(['overloaded-model', MODEL])
  })

  it('an error at the end of a stream makes the SDK throw after the partial text', async () => {
    upstream.when(MODEL, { streamErrorAfter: 3, pieceSize: 2 })
    const stream = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let text = ''
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })(),
    ).rejects.toThrow()
    expect(text).toBe(COHERE_TEXT.slice(0, 6))
  })

  it('a client that stops reading cancels the upstream stream', async () => {
    upstream.when(MODEL, { pieceSize: 1, eventDelayMs: 20 })
    const stream = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let received = 0
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received += 1
      if (received === 2) break
    }
    await expect.poll(() => upstream.abandonedStreams, { timeout: 3000 }).toBe(1)
  })

  it('embeds as floats and as base64 (the SDK default), with input_type and billed usage', async () => {
    const inputs = ['first text', 'zweiter Text ü']
    const floats = await client.embeddings.create({
      model: `cohere/embed-v4.0`,
      input: inputs,
      encoding_format: 'float',
    })
    expect(floats.data.map((item) => item.embedding)).toEqual(inputs.map((text) => mockVector(text)))
    const tokens = inputs.reduce((sum, text) => sum + text.length, 0)
    expect(floats.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens })
    const sent = lastRequest()
    expect(sent.path).toBe('/v2/embed')
    expect(sent.headers.authorization).toBe(`Bearer ${COHERE_KEY}`)
    expect(sent.body).toEqual({
      model: 'embed-v4.0',
      texts: inputs,
      input_type: 'search_document',
      embedding_types: ['float'],
    })

    // No encoding_format: the SDK asks for base64 and decodes it to floats itself.
    const decoded = await client.embeddings.create({ model: `cohere/embed-v4.0`, input: 'only one' })
    expect(decoded.data.map((item) => item.embedding)).toEqual([mockVector('only one')])
    expect(lastRequest().body).toMatchObject({ texts: ['only one'], embedding_types: ['float'] })
  })
})
