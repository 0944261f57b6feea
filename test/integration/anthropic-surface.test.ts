/**
 * The official Anthropic SDK (1.x) as a client of the gateway's Anthropic
 * surface, reaching an OpenAI upstream (translated both ways) and an
 * Anthropic upstream (a round trip through the canonical shape): text,
 * streams, two tool calls in one turn, thinking blocks, usage, errors in
 * Anthropic's format, count_tokens and the model list.
 */
import Anthropic from '@anthropic-ai/sdk'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { type AnthropicMockUpstream, DEFAULT_USAGE, startAnthropicUpstream } from '../mocks/anthropic-upstream.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const KEY = 'gw-test-anthropic-surface-0123456789'
const TOOLS: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  { name: 'get_time', input_schema: { type: 'object', properties: { timezone: { type: 'string' } } } },
]
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', days: [1, 2, 3] }
const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }

/** The OpenAI mock's token count: a quarter of the messages' JSON, rounded up. */
function openAIPromptTokens(recorded: RecordedRequest): number {
  return Math.ceil(JSON.stringify((recorded.body as { messages: unknown }).messages).length / 4)
}

describe('Anthropic SDK through the gateway', () => {
  let openai: MockUpstream
  let anthropicUpstream: AnthropicMockUpstream
  let gateway: TestGateway
  let client: Anthropic

  beforeAll(async () => {
    openai = await startMockUpstream()
    anthropicUpstream = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        keys: [{ name: 'surface', hash: '${hashKey(KEY)}' }],
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(openai.baseUrl)}, keys: [{ value: 'sk-upstream-openai-123456' }] },
          claude: { type: 'anthropic', baseUrl: ${JSON.stringify(anthropicUpstream.origin)}, keys: [{ value: 'sk-ant-upstream-123456' }] },
        },
        routes: {
          gpt: { targets: ['openai/gpt-4o-mini'] },
          sonnet: { targets: ['claude/claude-sonnet-4'] },
        },
      }`),
    )
    client = new Anthropic({ apiKey: KEY, baseURL: `${gateway.url}/anthropic`, maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway.close()
    await openai.close()
    await anthropicUpstream.close()
  })
  beforeEach(() => {
    openai.reset()
    anthropicUpstream.reset()
  })

  describe('to an OpenAI upstream', () => {
    it('answers a message: system, multi-turn and text translated both ways, usage exact', async () => {
      openai.when('gpt-4o-mini', { text: 'Bonjour, "monde" ünïcödé' })
      const message = await client.messages.create({
        model: 'gpt',
        max_tokens: 300,
        system: 'Be terse.',
        stop_sequences: ['END'],
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello.' },
          { role: 'user', content: [{ type: 'text', text: 'Say it in French' }] },
        ],
      })
      const upstream = openai.requests[0] as RecordedRequest
      expect(upstream.body).toMatchObject({
        model: 'gpt-4o-mini',
        max_tokens: 300,
        stop: ['END'],
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello.' },
          { role: 'user', content: [{ type: 'text', text: 'Say it in French' }] },
        ],
      })
      expect(message.type).toBe('message')
      expect(message.role).toBe('assistant')
      expect(message.content).toEqual([{ type: 'text', text: 'Bonjour, "monde" ünïcödé' }])
      expect(message.stop_reason).toBe('end_turn')
      expect(message.usage.input_tokens).toBe(openAIPromptTokens(upstream))
      expect(message.usage.output_tokens).toBe(Math.ceil('Bonjour, "monde" ünïcödé'.length / 4))
    })

    it('turns two tool calls in one turn into two tool_use blocks, and tool results back into tool messages', async () => {
      openai.when('gpt-4o-mini', {
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const message = await client.messages.create({
        model: 'gpt',
        max_tokens: 200,
        tools: TOOLS,
        tool_choice: { type: 'any', disable_parallel_tool_use: false },
        messages: [{ role: 'user', content: 'Weather and time?' }],
      })
      expect(message.stop_reason).toBe('tool_use')
      expect(message.content).toEqual([
        { type: 'tool_use', id: 'call_w', name: 'get_weather', input: WEATHER_ARGS },
        { type: 'tool_use', id: 'call_t', name: 'get_time', input: TIME_ARGS },
      ])
      expect((openai.requests[0] as RecordedRequest).body).toMatchObject({
        tool_choice: 'required',
        tools: [
          { type: 'function', function: { name: 'get_weather', parameters: TOOLS[0]?.input_schema } },
          { type: 'function', function: { name: 'get_time' } },
        ],
      })

      openai.when('gpt-4o-mini', { text: 'Sunny at noon.' })
      await client.messages.create({
        model: 'gpt',
        max_tokens: 200,
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'Weather and time?' },
          { role: 'assistant', content: message.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'call_w', content: 'sunny' },
              { type: 'tool_result', tool_use_id: 'call_t', content: [{ type: 'text', text: '12:00' }] },
              { type: 'text', text: 'Summarise.' },
            ],
          },
        ],
      })
      const followUp = (openai.requests[1] as RecordedRequest).body as { messages: unknown[] }
      expect(followUp.messages).toEqual([
        { role: 'user', content: 'Weather and time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_w',
              type: 'function',
              function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_ARGS) },
            },
            { id: 'call_t', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_t', content: '12:00' },
        { role: 'user', content: [{ type: 'text', text: 'Summarise.' }] },
      ])
    })

    it('streams text with event: lines, ending with the stop reason and exact usage', async () => {
      const text = 'Streaming "quoted" ünïcödé text across many small pieces.'
      openai.when('gpt-4o-mini', { text, pieceSize: 3 })
      const stream = client.messages.stream({
        model: 'gpt',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Stream please' }],
      })
      const events: string[] = []
      let deltas = 0
      stream.on('streamEvent', (event) => {
        events.push(event.type)
        if (event.type === 'content_block_delta') deltas += 1
      })
      const message = await stream.finalMessage()
      expect(deltas).toBeGreaterThan(5)
      expect(events[0]).toBe('message_start')
      expect(events.slice(-2)).toEqual(['message_delta', 'message_stop'])
      expect(message.content).toEqual([{ type: 'text', text }])
      expect(message.stop_reason).toBe('end_turn')
      const upstream = openai.requests[0] as RecordedRequest
      // The gateway asks the upstream for usage although the Anthropic client cannot ask.
      expect(upstream.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
      expect(message.usage.input_tokens).toBe(openAIPromptTokens(upstream))
      expect(message.usage.output_tokens).toBe(Math.ceil(text.length / 4))
    })

    it('streams two tool calls as tool_use blocks with input_json_delta fragments', async () => {
      openai.when('gpt-4o-mini', {
        pieceSize: 5,
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const stream = client.messages.stream({
        model: 'gpt',
        max_tokens: 100,
        tools: TOOLS,
        messages: [{ role: 'user', content: 'Weather and time?' }],
      })
      let fragments = 0
      stream.on('streamEvent', (event) => {
        if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') fragments += 1
      })
      const message = await stream.finalMessage()
      expect(fragments).toBeGreaterThan(4)
      expect(message.stop_reason).toBe('tool_use')
      expect(message.content).toEqual([
        { type: 'tool_use', id: 'call_w', name: 'get_weather', input: WEATHER_ARGS },
        { type: 'tool_use', id: 'call_t', name: 'get_time', input: TIME_ARGS },
      ])
    })

    it('relays an upstream 429 as a RateLimitError in Anthropic format', async () => {
      openai.when('gpt-4o-mini', { status: 429, error: { message: 'slow down', type: 'rate_limit_error' } })
      const failure = await client.messages
        .create({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(Anthropic.RateLimitError)
      expect((failure as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      })
    })
  })

  describe('to an Anthropic upstream', () => {
    it('round-trips a message with thinking, cache usage and the stop reason', async () => {
      anthropicUpstream.when('claude-sonnet-4', {
        text: 'The answer is 4.',
        thinking: { text: 'Two plus two…', signature: 'sig-abc123' },
      })
      const message = await client.messages.create({
        model: 'sonnet',
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: '2+2?' }],
      })
      expect(message.content).toEqual([
        { type: 'thinking', thinking: 'Two plus two…', signature: 'sig-abc123' },
        { type: 'text', text: 'The answer is 4.' },
      ])
      expect(message.usage).toMatchObject({
        input_tokens: DEFAULT_USAGE.input_tokens,
        output_tokens: DEFAULT_USAGE.output_tokens,
        cache_read_input_tokens: DEFAULT_USAGE.cache_read_input_tokens,
        cache_creation_input_tokens: DEFAULT_USAGE.cache_creation_input_tokens,
      })
      const upstream = anthropicUpstream.requests[0]?.body
      expect(upstream).toMatchObject({ model: 'claude-sonnet-4', thinking: { type: 'enabled', budget_tokens: 2048 } })

      // The next turn hands the thinking block back whole, signature included.
      await client.messages.create({
        model: 'sonnet',
        max_tokens: 4000,
        messages: [
          { role: 'user', content: '2+2?' },
          { role: 'assistant', content: message.content },
          { role: 'user', content: 'And 3+3?' },
        ],
      })
      expect(anthropicUpstream.requests[1]?.body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: '2+2?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two plus two…', signature: 'sig-abc123' },
            { type: 'text', text: 'The answer is 4.' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'And 3+3?' }] },
      ])
    })

    it('streams thinking (with its signature), text and usage through the canonical shape', async () => {
      anthropicUpstream.when('claude-sonnet-4', {
        text: 'Four.',
        thinking: { text: 'Adding two and two gives four.', signature: 'sig-stream-1' },
      })
      const message = await client.messages
        .stream({
          model: 'sonnet',
          max_tokens: 4000,
          thinking: { type: 'enabled', budget_tokens: 2048 },
          messages: [{ role: 'user', content: '2+2?' }],
        })
        .finalMessage()
      expect(message.content).toEqual([
        { type: 'thinking', thinking: 'Adding two and two gives four.', signature: 'sig-stream-1' },
        { type: 'text', text: 'Four.' },
      ])
      expect(message.usage).toMatchObject({
        input_tokens: DEFAULT_USAGE.input_tokens,
        output_tokens: DEFAULT_USAGE.output_tokens,
        cache_read_input_tokens: DEFAULT_USAGE.cache_read_input_tokens,
        cache_creation_input_tokens: DEFAULT_USAGE.cache_creation_input_tokens,
      })
    })

    it('streams two tool calls from Anthropic back to Anthropic', async () => {
      anthropicUpstream.when('claude-sonnet-4', {
        toolUses: [
          { id: 'toolu_1', name: 'get_weather', input: WEATHER_ARGS },
          { id: 'toolu_2', name: 'get_time', input: TIME_ARGS },
        ],
      })
      const message = await client.messages
        .stream({ model: 'sonnet', max_tokens: 100, tools: TOOLS, messages: [{ role: 'user', content: 'both' }] })
        .finalMessage()
      expect(message.stop_reason).toBe('tool_use')
      expect(message.content).toEqual([
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: WEATHER_ARGS },
        { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: TIME_ARGS },
      ])
    })

    it('relays a mid-stream overloaded error as an error event the SDK raises', async () => {
      anthropicUpstream.when('claude-sonnet-4', { streamErrorAfter: 2, streamErrorType: 'overloaded_error' })
      const failure = await client.messages
        .stream({ model: 'sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
        .finalMessage()
        .catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(Anthropic.APIError)
      expect(String((failure as Error).message)).toMatch(/overloaded/i)
    })
  })

  describe('auth, errors and the other endpoints', () => {
    it('accepts the key as x-api-key (SDK 0.x style) as well as Bearer', async () => {
      anthropicUpstream.when('claude-sonnet-4', { text: 'ok' })
      const res = await request(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'sonnet', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      })
      expect(res.statusCode).toBe(200)
      expect(await res.body.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'ok' }] })
      // The gateway's own key went upstream, never the client's.
      expect(anthropicUpstream.requests[0]?.headers['x-api-key']).toBe('sk-ant-upstream-123456')
    })

    it('refuses a wrong key with an AuthenticationError', async () => {
      const stranger = new Anthropic({ apiKey: 'gw-wrong-key', baseURL: `${gateway.url}/anthropic`, maxRetries: 0 })
      const failure = await stranger.messages
        .create({ model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(Anthropic.AuthenticationError)
      expect(JSON.stringify((failure as InstanceType<typeof Anthropic.APIError>).error)).not.toContain('gw-wrong-key')
    })

    it('answers a request without max_tokens, or with bad JSON, with a 400 in Anthropic format', async () => {
      const missing = await request(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
      })
      expect(missing.statusCode).toBe(400)
      expect(await missing.body.json()).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
      })
      const broken = await request(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: '{"model": ',
      })
      expect(broken.statusCode).toBe(400)
      expect(await broken.body.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
      const unknownModel = await client.messages
        .create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error)
      expect(unknownModel).toBeInstanceOf(Anthropic.NotFoundError)
    })

    it('counts tokens and lists the models this key may use', async () => {
      const counted = await client.messages.countTokens({
        model: 'gpt',
        system: 'Be terse.',
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
      })
      expect(counted.input_tokens).toBeGreaterThan(5)
      expect(counted.input_tokens).toBeLessThan(40)
      const models = []
      for await (const model of client.models.list()) models.push(model.id)
      expect(models).toEqual(['gpt', 'sonnet'])
      const unknown = await request(`${gateway.url}/anthropic/v1/complete`, { method: 'POST', body: '{}' })
      expect(unknown.statusCode).toBe(404)
      expect(await unknown.body.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
    })
  })
})
