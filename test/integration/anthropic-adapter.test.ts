/**
 * The official openai SDK against the gateway, with an `anthropic` provider
 * pointed at a mock speaking Anthropic's real Messages wire format: what the
 * SDK sees must be a faithful OpenAI answer, and what the upstream receives a
 * faithful Anthropic request.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { collect, TIME_ARGS, TOOLS, WEATHER_ARGS } from '../helpers/chat-fixtures.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  ANTHROPIC_TEXT,
  type AnthropicMockUpstream,
  type AnthropicRecordedRequest,
  type AnthropicToolUse,
  DEFAULT_USAGE,
  startAnthropicUpstream,
} from '../mocks/anthropic-upstream.js'

const ANTHROPIC_KEY = 'sk-ant-test-0123456789'
const MODEL = 'claude-sonnet-4'

const TWO_TOOLS: AnthropicToolUse[] = [
  { id: 'toolu_01', name: 'get_weather', input: WEATHER_ARGS },
  { id: 'toolu_02', name: 'get_time', input: TIME_ARGS },
]

/** prompt = input + cache reads + cache writes (Anthropic reports input without either). */
const PROMPT_TOKENS =
  DEFAULT_USAGE.input_tokens +
  (DEFAULT_USAGE.cache_read_input_tokens ?? 0) +
  (DEFAULT_USAGE.cache_creation_input_tokens ?? 0)

describe('openai SDK through the gateway to an Anthropic upstream', () => {
  let upstream: AnthropicMockUpstream
  let gateway: TestGateway
  let client: OpenAI

  beforeAll(async () => {
    upstream = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          anthropic: { type: 'anthropic', baseUrl: ${JSON.stringify(upstream.origin)}, keys: [{ value: env('TEST_ANTHROPIC_KEY') }], maxTokens: 1234 },
          backup: { type: 'anthropic', baseUrl: ${JSON.stringify(upstream.origin)}, keys: [{ value: env('TEST_ANTHROPIC_KEY') }] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          claude: { targets: ['anthropic/${MODEL}'], retry: { attempts: 1 } },
          resilient: { strategy: 'fallback', targets: ['anthropic/overloaded-model', 'backup/${MODEL}'], retry: { attempts: 1 } },
        },
      }`),
      { env: { TEST_ANTHROPIC_KEY: ANTHROPIC_KEY } },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const lastRequest = (): AnthropicRecordedRequest => {
    expect(upstream.requests.length).toBeGreaterThan(0)
    return upstream.requests[upstream.requests.length - 1] as AnthropicRecordedRequest
  }

  it('answers a non-streamed completion with exact usage, headers and cost', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()

    expect(data.object).toBe('chat.completion')
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: ANTHROPIC_TEXT })
    expect(data.choices[0]?.finish_reason).toBe('stop')
    expect(data.usage).toMatchObject({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: DEFAULT_USAGE.output_tokens,
      total_tokens: PROMPT_TOKENS + DEFAULT_USAGE.output_tokens,
      prompt_tokens_details: {
        cached_tokens: DEFAULT_USAGE.cache_read_input_tokens,
        cache_write_tokens: DEFAULT_USAGE.cache_creation_input_tokens,
      },
    })
    expect(response.headers.get('x-gateway-provider')).toBe('anthropic')
    // claude-sonnet-4: $3 in, $15 out, $0.30 cache read, $3.75 cache write per Mtok.
    // 1000 * 3 + 4000 * 0.3 + 500 * 3.75 + 200 * 15 = 9075 micro-dollars.
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.009075000')

    const sent = lastRequest()
    expect(sent.path).toBe('/v1/messages')
    expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY)
    expect(sent.headers['anthropic-version']).toBe('2023-06-01')
    expect(sent.headers.authorization).toBeUndefined()
    expect(sent.body).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 1234,
    })
  })

  it('streams text that reassembles exactly, then a usage chunk', async () => {
    upstream.when(MODEL, { pieceSize: 3 })
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
    })
    const chunks = await collect(stream)
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(ANTHROPIC_TEXT)
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThan(5)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toMatchObject({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: DEFAULT_USAGE.output_tokens,
      total_tokens: PROMPT_TOKENS + DEFAULT_USAGE.output_tokens,
      prompt_tokens_details: { cached_tokens: DEFAULT_USAGE.cache_read_input_tokens },
    })
    expect(lastRequest().body).toMatchObject({ stream: true, max_tokens: 50 })
  })

  it('returns two tool calls in one turn, not streamed', async () => {
    upstream.when(MODEL, { toolUses: TWO_TOOLS })
    const data = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      tool_choice: 'required',
    })
    const choice = data.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect(choice?.message.content).toBeNull()
    const calls = (choice?.message.tool_calls ?? []).map((call) => {
      if (call.type !== 'function') throw new Error('expected a function call')
      return { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) }
    })
    expect(calls).toEqual([
      { id: 'toolu_01', name: 'get_weather', args: WEATHER_ARGS },
      { id: 'toolu_02', name: 'get_time', args: TIME_ARGS },
    ])
    expect(lastRequest().body).toMatchObject({
      tools: [
        { name: 'get_weather', description: 'Weather for a city', input_schema: TOOLS[0]?.function.parameters },
        { name: 'get_time', input_schema: TOOLS[1]?.function.parameters },
      ],
      tool_choice: { type: 'any' },
    })
  })

  it('streams two tool calls in one turn with arguments on the right index', async () => {
    upstream.when(MODEL, { toolUses: TWO_TOOLS, text: 'Checking.', pieceSize: 4 })
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      stream: true,
    })
    const chunks = await collect(stream)
    const calls: Array<{ id?: string; name?: string; args: string }> = []
    let text = ''
    for (const chunk of chunks) {
      text += chunk.choices[0]?.delta.content ?? ''
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (!calls[delta.index]) calls[delta.index] = { args: '' }
        const call = calls[delta.index] as { id?: string; name?: string; args: string }
        if (delta.id) call.id = delta.id
        if (delta.function?.name) call.name = delta.function.name
        call.args += delta.function?.arguments ?? ''
      }
    }
    expect(text).toBe('Checking.')
    expect(calls.map((call) => ({ id: call.id, name: call.name, args: JSON.parse(call.args) }))).toEqual([
      { id: 'toolu_01', name: 'get_weather', args: WEATHER_ARGS },
      { id: 'toolu_02', name: 'get_time', args: TIME_ARGS },
    ])
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    // The client did not ask for usage: no usage chunk.
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
  })

  it('translates a system prompt and a tool_result round-trip', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'weather and time in Zürich?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'toolu_01',
              type: 'function',
              function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_ARGS) },
            },
            { id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01', content: '21°C' },
        { role: 'tool', tool_call_id: 'toolu_02', content: '14:05' },
      ],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      stop: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 77,
    })
    expect(lastRequest().body).toEqual({
      model: MODEL,
      system: 'You are terse.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather and time in Zürich?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: WEATHER_ARGS },
            { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: TIME_ARGS },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '21°C' },
            { type: 'tool_result', tool_use_id: 'toolu_02', content: '14:05' },
          ],
        },
      ],
      tools: [
        { name: 'get_weather', description: 'Weather for a city', input_schema: TOOLS[0]?.function.parameters },
        { name: 'get_time', input_schema: TOOLS[1]?.function.parameters },
      ],
      tool_choice: { type: 'tool', name: 'get_time' },
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 77,
    })
  })

  it('falls back to the second target on a 529 overloaded_error', async () => {
    upstream.when('overloaded-model', { status: 529, errorType: 'overloaded_error', errorMessage: 'Overloaded' })
    const { data, response } = await client.chat.completions
      .create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.choices[0]?.message.content).toBe(ANTHROPIC_TEXT)
    expect(response.headers.get('x-gateway-provider')).toBe('backup')
    expect(upstream.requests.map((request) => request.body.model)).toEqual(['overloaded-model', MODEL])
  })

  it('a 529 with nowhere to fall back is a 503 for the client', async () => {
    upstream.when(MODEL, { status: 529, errorType: 'overloaded_error', errorMessage: 'Overloaded' })
    const error = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
  })

  it('an error event after the 200 makes the SDK throw', async () => {
    upstream.when(MODEL, { streamErrorAfter: 3, streamErrorType: 'overloaded_error', pieceSize: 2 })
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let text = ''
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })(),
    ).rejects.toThrow()
    expect(ANTHROPIC_TEXT.startsWith(text)).toBe(true)
    expect(text.length).toBeLessThan(ANTHROPIC_TEXT.length)
  })
})
