/**
 * LangChain's `ChatOpenAI` (`@langchain/openai` 1.5) as a client of the
 * gateway's OpenAI surface, with only `configuration.baseURL` changed:
 * invoke and stream, text and two tool calls in one turn (bound with
 * bindTools), exact usage_metadata, against an OpenAI upstream and an
 * Anthropic upstream (translated), and a wrong virtual key raising a 401.
 */
import { type AIMessageChunk, HumanMessage, SystemMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  ANTHROPIC_TEXT,
  type AnthropicMockUpstream,
  DEFAULT_USAGE,
  startAnthropicUpstream,
} from '../mocks/anthropic-upstream.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const KEY = 'gw-test-langchain-0123456789abcdef'
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', days: [1, 2, 3] }
const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰', note: 'a\\b "c"' } }
const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'array', items: { type: 'integer' } } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function' as const,
    function: {
      name: 'get_time',
      description: 'Time in a timezone',
      parameters: {
        type: 'object',
        properties: { timezone: { type: 'string' }, format: { type: 'object' } },
        required: ['timezone'],
      },
    },
  },
]
const TOOL_ANSWER = JSON.stringify(WEATHER_ARGS) + JSON.stringify(TIME_ARGS)

/** The Anthropic mock's canonical prompt_tokens: input + cache reads + cache writes. */
const ANTHROPIC_PROMPT =
  DEFAULT_USAGE.input_tokens +
  (DEFAULT_USAGE.cache_read_input_tokens ?? 0) +
  (DEFAULT_USAGE.cache_creation_input_tokens ?? 0)
const ANTHROPIC_USAGE = {
  input_tokens: ANTHROPIC_PROMPT,
  output_tokens: DEFAULT_USAGE.output_tokens,
  total_tokens: ANTHROPIC_PROMPT + DEFAULT_USAGE.output_tokens,
}

/** The OpenAI mock's usage formula (usageOf), as LangChain's usage_metadata. */
function openAIUsage(recorded: RecordedRequest, answer: string) {
  const input = Math.ceil(JSON.stringify((recorded.body as { messages: unknown }).messages).length / 4)
  const output = Math.ceil(answer.length / 4)
  return { input_tokens: input, output_tokens: output, total_tokens: input + output }
}

async function aggregate(stream: AsyncIterable<AIMessageChunk>): Promise<{ chunks: number; message: AIMessageChunk }> {
  let message: AIMessageChunk | undefined
  let chunks = 0
  for await (const chunk of stream) {
    chunks += 1
    message = message ? message.concat(chunk) : chunk
  }
  if (!message) throw new Error('empty stream')
  return { chunks, message }
}

/** Tool calls' names, args and ids only, so `toEqual` checks the args exactly. */
const callsOf = (calls: ReadonlyArray<{ name: string; args: unknown; id?: string | undefined }> | undefined) =>
  (calls ?? []).map(({ name, args, id }) => ({ name, args, id }))

describe('LangChain ChatOpenAI through the gateway', () => {
  let openaiUpstream: MockUpstream
  let anthropicUpstream: AnthropicMockUpstream
  let gateway: TestGateway
  let baseURL: string

  const chat = (model: string, apiKey = KEY) =>
    new ChatOpenAI({ model, apiKey, maxRetries: 0, streamUsage: true, configuration: { baseURL } })

  beforeAll(async () => {
    openaiUpstream = await startMockUpstream()
    anthropicUpstream = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        keys: [{ name: 'langchain', hash: '${hashKey(KEY)}' }],
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(openaiUpstream.baseUrl)}, keys: [{ value: 'sk-upstream-openai-123456' }] },
          claude: { type: 'anthropic', baseUrl: ${JSON.stringify(anthropicUpstream.origin)}, keys: [{ value: 'sk-ant-upstream-123456' }] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          gpt: { targets: ['openai/gpt-4o-mini'], retry: { attempts: 1 } },
          sonnet: { targets: ['claude/claude-sonnet-4'], retry: { attempts: 1 } },
        },
      }`),
    )
    baseURL = `${gateway.url}/v1`
  })
  afterAll(async () => {
    await gateway?.close()
    await openaiUpstream?.close()
    await anthropicUpstream?.close()
  })
  beforeEach(() => {
    openaiUpstream.reset()
    anthropicUpstream.reset()
  })

  const onlyOpenAIRequest = (): RecordedRequest => {
    expect(openaiUpstream.requests).toHaveLength(1)
    return openaiUpstream.requests[0] as RecordedRequest
  }

  describe('to an OpenAI upstream', () => {
    it('invoke: content and exact usage_metadata', async () => {
      const text = 'Bonjour, "monde" ünïcödé ✓'
      openaiUpstream.when('gpt-4o-mini', { text })
      const message = await chat('gpt').invoke([new SystemMessage('Be terse.'), new HumanMessage('Say hello')])
      const upstream = onlyOpenAIRequest()

      expect(message.content).toBe(text)
      expect(message.usage_metadata).toMatchObject(openAIUsage(upstream, text))
      expect(message.response_metadata).toMatchObject({ finish_reason: 'stop' })
      expect(upstream.path).toBe('/v1/chat/completions')
      expect(upstream.body).toMatchObject({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Say hello' },
        ],
      })
    })

    it('stream: concatenated content and usage_metadata on the aggregate', async () => {
      const text = 'Streamed "quotes", ünïcödé and emoji 🎉 in pieces.'
      openaiUpstream.when('gpt-4o-mini', { text, pieceSize: 3 })
      const { chunks, message } = await aggregate(await chat('gpt').stream('Stream please'))
      const upstream = onlyOpenAIRequest()

      expect(chunks).toBeGreaterThan(3)
      expect(message.content).toBe(text)
      expect(message.usage_metadata).toMatchObject(openAIUsage(upstream, text))
      expect(upstream.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    })

    it('bindTools: two tool calls in one turn, names and args exact', async () => {
      openaiUpstream.when('gpt-4o-mini', {
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const message = await chat('gpt').bindTools(TOOLS).invoke('Weather and time?')
      const upstream = onlyOpenAIRequest()

      expect(callsOf(message.tool_calls)).toEqual([
        { name: 'get_weather', args: WEATHER_ARGS, id: 'call_w' },
        { name: 'get_time', args: TIME_ARGS, id: 'call_t' },
      ])
      expect(message.invalid_tool_calls ?? []).toEqual([])
      expect(message.usage_metadata).toMatchObject(openAIUsage(upstream, TOOL_ANSWER))
      expect(message.response_metadata).toMatchObject({ finish_reason: 'tool_calls' })
      expect(upstream.body).toMatchObject({
        tools: [
          { type: 'function', function: { name: 'get_weather', description: 'Weather for a city' } },
          { type: 'function', function: { name: 'get_time' } },
        ],
      })
    })

    it('streamed tool calls: tool_call_chunks aggregate into two exact tool_calls', async () => {
      openaiUpstream.when('gpt-4o-mini', {
        pieceSize: 3,
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const { chunks, message } = await aggregate(await chat('gpt').bindTools(TOOLS).stream('Weather and time?'))
      const upstream = onlyOpenAIRequest()

      expect(chunks).toBeGreaterThan(4)
      expect(message.tool_call_chunks?.map((chunk) => chunk.name)).toEqual(['get_weather', 'get_time'])
      expect(callsOf(message.tool_calls)).toEqual([
        { name: 'get_weather', args: WEATHER_ARGS, id: 'call_w' },
        { name: 'get_time', args: TIME_ARGS, id: 'call_t' },
      ])
      expect(message.invalid_tool_calls ?? []).toEqual([])
      expect(message.usage_metadata).toMatchObject(openAIUsage(upstream, TOOL_ANSWER))
    })

    it('a wrong virtual key raises a 401, never reaching the upstream', async () => {
      const error = await chat('gpt', 'gw-test-wrong-key-000000000000')
        .invoke('hi')
        .then(
          () => undefined,
          (caught: unknown) => caught,
        )

      expect(error).toBeInstanceOf(Error)
      expect((error as { status?: number }).status).toBe(401)
      expect(openaiUpstream.requests).toHaveLength(0)
    })
  })

  describe('to an Anthropic upstream (translated)', () => {
    const TOOL_USES = [
      { id: 'toolu_01', name: 'get_weather', input: WEATHER_ARGS },
      { id: 'toolu_02', name: 'get_time', input: TIME_ARGS },
    ]

    it('invoke: content and exact usage_metadata (prompt = input + cache reads + cache writes)', async () => {
      const message = await chat('sonnet').invoke([new SystemMessage('Be terse.'), new HumanMessage('hi')])

      expect(message.content).toBe(ANTHROPIC_TEXT)
      expect(message.usage_metadata).toMatchObject({
        ...ANTHROPIC_USAGE,
        input_token_details: { cache_read: DEFAULT_USAGE.cache_read_input_tokens },
      })
      expect(message.response_metadata).toMatchObject({ finish_reason: 'stop' })
      expect(anthropicUpstream.requests).toHaveLength(1)
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({
        model: 'claude-sonnet-4',
        system: 'Be terse.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      })
    })

    it('stream: concatenated content and usage_metadata on the aggregate', async () => {
      anthropicUpstream.when('claude-sonnet-4', { pieceSize: 4 })
      const { chunks, message } = await aggregate(await chat('sonnet').stream('Stream please'))

      expect(chunks).toBeGreaterThan(3)
      expect(message.content).toBe(ANTHROPIC_TEXT)
      expect(message.usage_metadata).toMatchObject(ANTHROPIC_USAGE)
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({ stream: true })
    })

    it('bindTools: two tool_use blocks become two tool calls, names and args exact', async () => {
      anthropicUpstream.when('claude-sonnet-4', { toolUses: TOOL_USES })
      const message = await chat('sonnet').bindTools(TOOLS).invoke('Weather and time?')

      expect(callsOf(message.tool_calls)).toEqual([
        { name: 'get_weather', args: WEATHER_ARGS, id: 'toolu_01' },
        { name: 'get_time', args: TIME_ARGS, id: 'toolu_02' },
      ])
      expect(message.invalid_tool_calls ?? []).toEqual([])
      expect(message.usage_metadata).toMatchObject(ANTHROPIC_USAGE)
      expect(message.response_metadata).toMatchObject({ finish_reason: 'tool_calls' })
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({
        tools: [
          { name: 'get_weather', description: 'Weather for a city', input_schema: { required: ['city'] } },
          { name: 'get_time', input_schema: { required: ['timezone'] } },
        ],
      })
    })

    it('streamed tool calls: tool_call_chunks aggregate into two exact tool_calls', async () => {
      anthropicUpstream.when('claude-sonnet-4', { toolUses: TOOL_USES, pieceSize: 3 })
      const { chunks, message } = await aggregate(await chat('sonnet').bindTools(TOOLS).stream('Weather and time?'))

      expect(chunks).toBeGreaterThan(4)
      expect(message.tool_call_chunks?.map((chunk) => chunk.name)).toEqual(['get_weather', 'get_time'])
      expect(callsOf(message.tool_calls)).toEqual([
        { name: 'get_weather', args: WEATHER_ARGS, id: 'toolu_01' },
        { name: 'get_time', args: TIME_ARGS, id: 'toolu_02' },
      ])
      expect(message.invalid_tool_calls ?? []).toEqual([])
      expect(message.usage_metadata).toMatchObject(ANTHROPIC_USAGE)
    })
  })
})
