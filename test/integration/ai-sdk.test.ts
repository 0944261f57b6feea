/**
 * Vercel's AI SDK (`ai` 6 with `@ai-sdk/openai` 3) as a client of the
 * gateway's OpenAI surface, with only the base URL changed: generateText and
 * streamText, text and two tool calls in one turn, exact usage and finish
 * reasons, against an OpenAI upstream and an Anthropic upstream (translated),
 * plus an upstream 429 surfacing as an APICallError. `openai.chat(...)` is
 * used because `openai(...)` targets /v1/responses, which the gateway does not serve.
 */
import { createOpenAI } from '@ai-sdk/openai'
import { APICallError, generateText, jsonSchema, streamText, type TextStreamPart, type ToolSet, tool } from 'ai'
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

const KEY = 'gw-test-ai-sdk-0123456789abcdef'
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', days: [1, 2, 3] }
const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰', note: 'a\\b "c"' } }
const TOOLS = {
  get_weather: tool({
    description: 'Weather for a city',
    inputSchema: jsonSchema<{ city: string; days?: number[] }>({
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'array', items: { type: 'integer' } } },
      required: ['city'],
    }),
  }),
  get_time: tool({
    inputSchema: jsonSchema<{ timezone: string; format?: Record<string, unknown> }>({
      type: 'object',
      properties: { timezone: { type: 'string' }, format: { type: 'object' } },
      required: ['timezone'],
    }),
  }),
} satisfies ToolSet

/** The Anthropic mock's canonical prompt_tokens: input + cache reads + cache writes. */
const ANTHROPIC_PROMPT =
  DEFAULT_USAGE.input_tokens +
  (DEFAULT_USAGE.cache_read_input_tokens ?? 0) +
  (DEFAULT_USAGE.cache_creation_input_tokens ?? 0)

/** The OpenAI mock's usage formula (usageOf): a quarter of the messages' JSON and of the answer, rounded up. */
function openAIUsage(recorded: RecordedRequest, answer: string): { input: number; output: number } {
  const messages = (recorded.body as { messages: unknown }).messages
  return { input: Math.ceil(JSON.stringify(messages).length / 4), output: Math.ceil(answer.length / 4) }
}

const TOOL_ANSWER = JSON.stringify(WEATHER_ARGS) + JSON.stringify(TIME_ARGS)

describe('Vercel AI SDK through the gateway', () => {
  let openaiUpstream: MockUpstream
  let anthropicUpstream: AnthropicMockUpstream
  let gateway: TestGateway
  let provider: ReturnType<typeof createOpenAI>

  beforeAll(async () => {
    openaiUpstream = await startMockUpstream()
    anthropicUpstream = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        keys: [{ name: 'ai-sdk', hash: '${hashKey(KEY)}' }],
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(openaiUpstream.baseUrl)}, keys: [{ value: 'sk-upstream-openai-123456' }] },
          // Its own key, so the 429's resting key does not affect the other tests.
          limited: { type: 'openai', baseUrl: ${JSON.stringify(openaiUpstream.baseUrl)}, keys: [{ value: 'sk-upstream-limited-123456' }] },
          claude: { type: 'anthropic', baseUrl: ${JSON.stringify(anthropicUpstream.origin)}, keys: [{ value: 'sk-ant-upstream-123456' }] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          gpt: { targets: ['openai/gpt-4o-mini'], retry: { attempts: 1 } },
          sonnet: { targets: ['claude/claude-sonnet-4'], retry: { attempts: 1 } },
          limited: { targets: ['limited/gpt-4o-mini'], retry: { attempts: 1 } },
        },
      }`),
    )
    provider = createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY })
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

  const lastOpenAIRequest = (): RecordedRequest => {
    expect(openaiUpstream.requests).toHaveLength(1)
    return openaiUpstream.requests[0] as RecordedRequest
  }

  const expectedToolCalls = (ids: [string, string]) => [
    { type: 'tool-call', toolCallId: ids[0], toolName: 'get_weather', input: WEATHER_ARGS },
    { type: 'tool-call', toolCallId: ids[1], toolName: 'get_time', input: TIME_ARGS },
  ]
  /** The calls' identifying fields only, so `toEqual` checks the inputs exactly (no extra keys). */
  const callsOf = (calls: ReadonlyArray<{ type: string; toolCallId: string; toolName: string; input: unknown }>) =>
    calls.map(({ type, toolCallId, toolName, input }) => ({ type, toolCallId, toolName, input }))

  async function parts(stream: AsyncIterable<TextStreamPart<ToolSet>>): Promise<TextStreamPart<ToolSet>[]> {
    const out: TextStreamPart<ToolSet>[] = []
    for await (const part of stream) out.push(part)
    return out
  }

  describe('to an OpenAI upstream', () => {
    it('generateText: text, finish reason and exact usage', async () => {
      const text = 'Bonjour, "monde" ünïcödé ✓'
      openaiUpstream.when('gpt-4o-mini', { text })
      const result = await generateText({
        model: provider.chat('gpt'),
        system: 'Be terse.',
        prompt: 'Say hello in French',
        maxRetries: 0,
      })
      const upstream = lastOpenAIRequest()
      const usage = openAIUsage(upstream, text)

      expect(result.text).toBe(text)
      expect(result.finishReason).toBe('stop')
      expect(result.usage.inputTokens).toBe(usage.input)
      expect(result.usage.outputTokens).toBe(usage.output)
      expect(result.usage.totalTokens).toBe(usage.input + usage.output)
      expect(upstream.path).toBe('/v1/chat/completions')
      expect(upstream.headers.authorization).toBe('Bearer sk-upstream-openai-123456')
      expect(upstream.body).toMatchObject({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Say hello in French' },
        ],
      })
      expect((upstream.body as { stream?: unknown }).stream).toBeFalsy()
    })

    it('generateText: two tool calls in one turn with exact inputs', async () => {
      openaiUpstream.when('gpt-4o-mini', {
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const result = await generateText({
        model: provider.chat('gpt'),
        tools: TOOLS,
        toolChoice: 'required',
        prompt: 'Weather and time?',
        maxRetries: 0,
      })
      const upstream = lastOpenAIRequest()
      const usage = openAIUsage(upstream, TOOL_ANSWER)

      expect(result.finishReason).toBe('tool-calls')
      expect(result.text).toBe('')
      expect(callsOf(result.toolCalls)).toEqual(expectedToolCalls(['call_w', 'call_t']))
      expect(result.usage.inputTokens).toBe(usage.input)
      expect(result.usage.outputTokens).toBe(usage.output)
      expect(upstream.body).toMatchObject({
        tool_choice: 'required',
        tools: [
          { type: 'function', function: { name: 'get_weather', description: 'Weather for a city' } },
          { type: 'function', function: { name: 'get_time' } },
        ],
      })
    })

    it('streamText: full text, finish reason and exact usage from the usage chunk', async () => {
      const text = 'Streamed "quotes", ünïcödé and emoji 🎉 in pieces.'
      openaiUpstream.when('gpt-4o-mini', { text, pieceSize: 3 })
      const result = streamText({ model: provider.chat('gpt'), prompt: 'Stream please', maxRetries: 0 })
      const deltas: string[] = []
      for await (const delta of result.textStream) deltas.push(delta)
      const upstream = lastOpenAIRequest()
      const usage = openAIUsage(upstream, text)

      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.join('')).toBe(text)
      expect(await result.text).toBe(text)
      expect(await result.finishReason).toBe('stop')
      const finalUsage = await result.usage
      expect(finalUsage.inputTokens).toBe(usage.input)
      expect(finalUsage.outputTokens).toBe(usage.output)
      expect(finalUsage.totalTokens).toBe(usage.input + usage.output)
      expect(upstream.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    })

    it('streamText: two tool calls in one turn, inputs reassembled from fragments', async () => {
      openaiUpstream.when('gpt-4o-mini', {
        pieceSize: 3,
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const result = streamText({
        model: provider.chat('gpt'),
        tools: TOOLS,
        prompt: 'Weather and time?',
        maxRetries: 0,
      })
      const all = await parts(result.fullStream)
      const upstream = lastOpenAIRequest()
      const usage = openAIUsage(upstream, TOOL_ANSWER)

      expect(all.filter((part) => part.type === 'error')).toEqual([])
      const inputDeltas = all.filter((part) => part.type === 'tool-input-delta')
      expect(inputDeltas.length).toBeGreaterThan(2)
      expect(callsOf(await result.toolCalls)).toEqual(expectedToolCalls(['call_w', 'call_t']))
      expect(await result.finishReason).toBe('tool-calls')
      const finalUsage = await result.usage
      expect(finalUsage.inputTokens).toBe(usage.input)
      expect(finalUsage.outputTokens).toBe(usage.output)
    })

    it('surfaces an upstream 429 as an APICallError with statusCode 429', async () => {
      openaiUpstream.when('gpt-4o-mini', {
        status: 429,
        retryAfter: '7',
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      })
      const error = await generateText({ model: provider.chat('limited'), prompt: 'hi', maxRetries: 0 }).then(
        () => undefined,
        (caught: unknown) => caught,
      )

      expect(APICallError.isInstance(error)).toBe(true)
      const apiError = error as APICallError
      expect(apiError.statusCode).toBe(429)
      expect(apiError.isRetryable).toBe(true)
      expect(apiError.message).toContain('Rate limit reached for requests')
      expect(apiError.responseHeaders?.['retry-after']).toBe('7')
      expect(openaiUpstream.requests).toHaveLength(1)
    })

    it('rejects a wrong virtual key with a 401 APICallError, never reaching the upstream', async () => {
      const wrong = createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'gw-test-wrong-key-000000000000' })
      const error = await generateText({ model: wrong.chat('gpt'), prompt: 'hi', maxRetries: 0 }).then(
        () => undefined,
        (caught: unknown) => caught,
      )

      expect(APICallError.isInstance(error)).toBe(true)
      expect((error as APICallError).statusCode).toBe(401)
      expect(openaiUpstream.requests).toHaveLength(0)
    })
  })

  describe('to an Anthropic upstream (translated)', () => {
    const TOOL_USES = [
      { id: 'toolu_01', name: 'get_weather', input: WEATHER_ARGS },
      { id: 'toolu_02', name: 'get_time', input: TIME_ARGS },
    ]

    it('generateText: text, finish reason and exact usage (prompt = input + cache reads + cache writes)', async () => {
      const result = await generateText({
        model: provider.chat('sonnet'),
        system: 'Be terse.',
        prompt: 'hi',
        maxOutputTokens: 321,
        maxRetries: 0,
      })

      expect(result.text).toBe(ANTHROPIC_TEXT)
      expect(result.finishReason).toBe('stop')
      expect(result.usage.inputTokens).toBe(ANTHROPIC_PROMPT)
      expect(result.usage.outputTokens).toBe(DEFAULT_USAGE.output_tokens)
      expect(result.usage.totalTokens).toBe(ANTHROPIC_PROMPT + DEFAULT_USAGE.output_tokens)
      expect(result.usage.inputTokenDetails.cacheReadTokens).toBe(DEFAULT_USAGE.cache_read_input_tokens)
      // Cache writes travel as prompt_tokens_details.cache_write_tokens, the name @ai-sdk/openai reads.
      expect(result.usage.inputTokenDetails.cacheWriteTokens).toBe(DEFAULT_USAGE.cache_creation_input_tokens)
      expect(result.usage.inputTokenDetails.noCacheTokens).toBe(DEFAULT_USAGE.input_tokens)
      expect(anthropicUpstream.requests).toHaveLength(1)
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({
        model: 'claude-sonnet-4',
        max_tokens: 321,
        system: 'Be terse.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      })
    })

    it('generateText: two tool_use blocks become two tool calls with exact inputs', async () => {
      anthropicUpstream.when('claude-sonnet-4', { toolUses: TOOL_USES })
      const result = await generateText({
        model: provider.chat('sonnet'),
        tools: TOOLS,
        prompt: 'Weather and time?',
        maxOutputTokens: 200,
        maxRetries: 0,
      })

      expect(result.finishReason).toBe('tool-calls')
      expect(result.text).toBe('')
      expect(callsOf(result.toolCalls)).toEqual(expectedToolCalls(['toolu_01', 'toolu_02']))
      expect(result.usage.inputTokens).toBe(ANTHROPIC_PROMPT)
      expect(result.usage.outputTokens).toBe(DEFAULT_USAGE.output_tokens)
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({
        tools: [
          { name: 'get_weather', description: 'Weather for a city', input_schema: { required: ['city'] } },
          { name: 'get_time', input_schema: { required: ['timezone'] } },
        ],
      })
    })

    it('streamText: full text, finish reason and exact usage', async () => {
      anthropicUpstream.when('claude-sonnet-4', { pieceSize: 4 })
      const result = streamText({
        model: provider.chat('sonnet'),
        prompt: 'Stream please',
        maxOutputTokens: 200,
        maxRetries: 0,
      })
      const deltas: string[] = []
      for await (const delta of result.textStream) deltas.push(delta)

      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.join('')).toBe(ANTHROPIC_TEXT)
      expect(await result.finishReason).toBe('stop')
      const usage = await result.usage
      expect(usage.inputTokens).toBe(ANTHROPIC_PROMPT)
      expect(usage.outputTokens).toBe(DEFAULT_USAGE.output_tokens)
      expect(usage.totalTokens).toBe(ANTHROPIC_PROMPT + DEFAULT_USAGE.output_tokens)
      expect(anthropicUpstream.requests[0]?.body).toMatchObject({ stream: true })
    })

    it('streamText: two tool calls from input_json_delta fragments, inputs exact', async () => {
      anthropicUpstream.when('claude-sonnet-4', { toolUses: TOOL_USES, pieceSize: 3 })
      const result = streamText({
        model: provider.chat('sonnet'),
        tools: TOOLS,
        prompt: 'Weather and time?',
        maxOutputTokens: 200,
        maxRetries: 0,
      })
      const all = await parts(result.fullStream)

      expect(all.filter((part) => part.type === 'error')).toEqual([])
      expect(all.filter((part) => part.type === 'tool-input-delta').length).toBeGreaterThan(2)
      expect(callsOf(await result.toolCalls)).toEqual(expectedToolCalls(['toolu_01', 'toolu_02']))
      expect(await result.finishReason).toBe('tool-calls')
      const usage = await result.usage
      expect(usage.inputTokens).toBe(ANTHROPIC_PROMPT)
      expect(usage.outputTokens).toBe(DEFAULT_USAGE.output_tokens)
    })
  })
})
