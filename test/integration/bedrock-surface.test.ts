/**
 * The official AWS SDK (`@aws-sdk/client-bedrock-runtime`) as a client of the
 * gateway's Bedrock Converse surface, reaching an Anthropic upstream and an
 * OpenAI upstream: Converse and ConverseStream, two tool calls in one turn,
 * tool results, thinking, usage with prompt-cache counts, stop reasons, and
 * errors raised as the SDK's own exceptions.
 */
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  ANTHROPIC_TEXT,
  type AnthropicMockUpstream,
  type AnthropicRecordedRequest,
  DEFAULT_USAGE,
  startAnthropicUpstream,
} from '../mocks/anthropic-upstream.js'
import { DEFAULT_TEXT, type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const KEY = 'gw-test-bedrock-surface-0123456789'
const TOOLS: Tool[] = [
  {
    toolSpec: {
      name: 'get_weather',
      description: 'Weather for a city',
      inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    },
  },
  { toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object', properties: { tz: { type: 'string' } } } } } },
]
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', days: [1, 2, 3] }
const TIME_ARGS = { tz: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }
const RESULT_JSON = { sky: 'sunny "clear"', temperature: '21°C' }

/** What DEFAULT_USAGE of the Anthropic mock must look like on Bedrock's wire. */
const EXPECTED_USAGE = {
  inputTokens: DEFAULT_USAGE.input_tokens,
  outputTokens: DEFAULT_USAGE.output_tokens,
  cacheReadInputTokens: DEFAULT_USAGE.cache_read_input_tokens,
  cacheWriteInputTokens: DEFAULT_USAGE.cache_creation_input_tokens,
  totalTokens:
    DEFAULT_USAGE.input_tokens +
    DEFAULT_USAGE.output_tokens +
    (DEFAULT_USAGE.cache_read_input_tokens ?? 0) +
    (DEFAULT_USAGE.cache_creation_input_tokens ?? 0),
}

/** The OpenAI mock's token count: a quarter of the messages' JSON, rounded up. */
function openAIPromptTokens(recorded: RecordedRequest): number {
  return Math.ceil(JSON.stringify((recorded.body as { messages: unknown }).messages).length / 4)
}

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = []
  for await (const event of stream ?? []) events.push(event)
  return events
}

/** A streamed answer reassembled: its text, tool uses (inputs parsed) and the event names in order. */
function reassemble(events: ConverseStreamOutput[]) {
  const tools = new Map<number, { toolUseId: string; name: string; input: string }>()
  let text = ''
  for (const event of events) {
    const use = event.contentBlockStart?.start?.toolUse
    if (use && event.contentBlockStart) {
      tools.set(event.contentBlockStart.contentBlockIndex ?? -1, {
        toolUseId: use.toolUseId ?? '',
        name: use.name ?? '',
        input: '',
      })
    }
    const delta = event.contentBlockDelta
    if (delta?.delta?.text) text += delta.delta.text
    const fragment = delta?.delta?.toolUse?.input
    if (fragment !== undefined) {
      const tool = tools.get(delta?.contentBlockIndex ?? -1)
      if (!tool) throw new Error(`a toolUse delta for block ${delta?.contentBlockIndex} that never started`)
      tool.input += fragment
    }
  }
  return {
    text,
    tools: [...tools.values()].map((tool) => ({ ...tool, input: JSON.parse(tool.input) as unknown })),
    names: events.map((event) => Object.keys(event).find((key) => key !== '$unknown')),
    stop: events.find((event) => event.messageStop)?.messageStop?.stopReason,
    metadata: events.find((event) => event.metadata)?.metadata,
  }
}

async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } }
  }
  throw new Error('expected the call to fail')
}

describe('AWS Bedrock SDK through the gateway', () => {
  let openai: MockUpstream
  let anthropic: AnthropicMockUpstream
  let gateway: TestGateway
  let client: BedrockRuntimeClient

  const bedrockClient = (options: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {}) =>
    new BedrockRuntimeClient({
      endpoint: `${gateway.url}/bedrock`,
      region: 'us-east-1',
      // The SDK defaults to HTTP/2; the gateway speaks HTTP/1.1.
      requestHandler: new NodeHttpHandler(),
      token: { token: KEY },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
      ...options,
    })

  beforeAll(async () => {
    openai = await startMockUpstream()
    anthropic = await startAnthropicUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        keys: [{ name: 'surface', hash: '${hashKey(KEY)}' }],
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(openai.baseUrl)}, keys: [{ value: 'sk-upstream-openai-123456' }] },
          claude: { type: 'anthropic', baseUrl: ${JSON.stringify(anthropic.origin)}, keys: [{ value: 'sk-ant-upstream-123456' }] },
        },
        routes: {
          gpt: { targets: ['openai/gpt-4o-mini'] },
          sonnet: { targets: ['claude/claude-sonnet-4'] },
        },
      }`),
    )
    client = bedrockClient()
  })
  afterAll(async () => {
    client.destroy()
    await gateway.close()
    await openai.close()
    await anthropic.close()
  })
  beforeEach(() => {
    openai.reset()
    anthropic.reset()
  })

  describe('to an Anthropic upstream', () => {
    it('answers Converse: system, multi-turn and inference settings translated, usage exact with cache counts', async () => {
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'sonnet',
          system: [{ text: 'Be terse.' }],
          inferenceConfig: { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
          messages: [
            { role: 'user', content: [{ text: 'Hi' }] },
            { role: 'assistant', content: [{ text: 'Hello.' }] },
            { role: 'user', content: [{ text: 'Say it in French' }] },
          ],
        }),
      )
      const upstream = anthropic.requests[0] as AnthropicRecordedRequest
      expect(upstream.body).toMatchObject({
        model: 'claude-sonnet-4',
        max_tokens: 300,
        temperature: 0.2,
        top_p: 0.9,
        stop_sequences: ['END'],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Say it in French' }] },
        ],
      })
      expect(JSON.stringify(upstream.body.system)).toContain('Be terse.')
      expect(answer.$metadata.httpStatusCode).toBe(200)
      expect(answer.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(answer.output?.message).toEqual({ role: 'assistant', content: [{ text: ANTHROPIC_TEXT }] })
      expect(answer.stopReason).toBe('end_turn')
      expect(answer.usage).toEqual(EXPECTED_USAGE)
      expect(answer.metrics?.latencyMs).toBeGreaterThanOrEqual(0)
    })

    it('reaches a provider/model id, which the SDK percent-encodes', async () => {
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'claude/claude-sonnet-4:beta',
          messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        }),
      )
      expect((anthropic.requests[0] as AnthropicRecordedRequest).body.model).toBe('claude-sonnet-4:beta')
      expect(answer.output?.message?.content).toEqual([{ text: ANTHROPIC_TEXT }])
    })

    it('streams ConverseStream as AWS event-stream events the SDK decodes', async () => {
      const response = await client.send(
        new ConverseStreamCommand({
          modelId: 'sonnet',
          inferenceConfig: { maxTokens: 200 },
          messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        }),
      )
      const events = await collect(response.stream)
      const streamed = reassemble(events)
      expect(streamed.text).toBe(ANTHROPIC_TEXT)
      expect(streamed.names[0]).toBe('messageStart')
      expect(events[0]?.messageStart?.role).toBe('assistant')
      expect(streamed.names.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata'])
      expect(streamed.stop).toBe('end_turn')
      expect(streamed.metadata?.usage).toEqual(EXPECTED_USAGE)
      expect(streamed.metadata?.metrics?.latencyMs).toBeGreaterThanOrEqual(0)
      expect((anthropic.requests[0] as AnthropicRecordedRequest).body.stream).toBe(true)
    })

    it('answers two tool uses in one turn with exact inputs, and sends the tool config upstream', async () => {
      anthropic.when('claude-sonnet-4', {
        toolUses: [
          { id: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS },
          { id: 'toolu_t', name: 'get_time', input: TIME_ARGS },
        ],
      })
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'sonnet',
          toolConfig: { tools: TOOLS, toolChoice: { any: {} } },
          messages: [{ role: 'user', content: [{ text: 'Weather and time?' }] }],
        }),
      )
      expect(answer.stopReason).toBe('tool_use')
      expect(answer.output?.message?.content).toEqual([
        { toolUse: { toolUseId: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS } },
        { toolUse: { toolUseId: 'toolu_t', name: 'get_time', input: TIME_ARGS } },
      ])
      expect((anthropic.requests[0] as AnthropicRecordedRequest).body).toMatchObject({
        tool_choice: { type: 'any' },
        tools: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            input_schema: TOOLS[0]?.toolSpec?.inputSchema?.json,
          },
          { name: 'get_time' },
        ],
      })
    })

    it('streams two tool uses in one turn: starts with ids and names, input fragments that reassemble exactly', async () => {
      anthropic.when('claude-sonnet-4', {
        pieceSize: 3,
        toolUses: [
          { id: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS },
          { id: 'toolu_t', name: 'get_time', input: TIME_ARGS },
        ],
      })
      const response = await client.send(
        new ConverseStreamCommand({
          modelId: 'sonnet',
          toolConfig: { tools: TOOLS },
          messages: [{ role: 'user', content: [{ text: 'Weather and time?' }] }],
        }),
      )
      const streamed = reassemble(await collect(response.stream))
      expect(streamed.tools).toEqual([
        { toolUseId: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS },
        { toolUseId: 'toolu_t', name: 'get_time', input: TIME_ARGS },
      ])
      expect(streamed.stop).toBe('tool_use')
      expect(streamed.metadata?.usage).toEqual(EXPECTED_USAGE)
    })

    it('sends tool results (text, json, error status) back as tool_result blocks for the right calls', async () => {
      const history: ContentBlock[] = [
        { toolUse: { toolUseId: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS } },
        { toolUse: { toolUseId: 'toolu_t', name: 'get_time', input: TIME_ARGS } },
      ]
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'sonnet',
          toolConfig: { tools: TOOLS },
          messages: [
            { role: 'user', content: [{ text: 'Weather and time?' }] },
            { role: 'assistant', content: history },
            {
              role: 'user',
              content: [
                { toolResult: { toolUseId: 'toolu_w', content: [{ json: RESULT_JSON }] } },
                { toolResult: { toolUseId: 'toolu_t', content: [{ text: 'clock broken' }], status: 'error' } },
                { text: 'Summarise.' },
              ],
            },
          ],
        }),
      )
      expect(answer.output?.message?.content).toEqual([{ text: ANTHROPIC_TEXT }])
      const sent = (anthropic.requests[0] as AnthropicRecordedRequest).body.messages as Array<{
        role: string
        content: Array<Record<string, unknown>>
      }>
      expect(sent[1]).toEqual({
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: WEATHER_ARGS },
          { type: 'tool_use', id: 'toolu_t', name: 'get_time', input: TIME_ARGS },
        ],
      })
      // The error status travels in the text: the canonical tool message has no error flag.
      expect(sent[2]).toEqual({
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_w', content: JSON.stringify(RESULT_JSON) },
          { type: 'tool_result', tool_use_id: 'toolu_t', content: 'Error: clock broken' },
          { type: 'text', text: 'Summarise.' },
        ],
      })
    })

    it('returns thinking as reasoningContent with its signature, and hands it back on the next turn', async () => {
      anthropic.when('claude-sonnet-4', { thinking: { text: 'Let me think.', signature: 'sig-123' }, text: 'Done.' })
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'sonnet',
          additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
          inferenceConfig: { maxTokens: 4096 },
          messages: [{ role: 'user', content: [{ text: 'Think.' }] }],
        }),
      )
      expect(answer.output?.message?.content).toEqual([
        { reasoningContent: { reasoningText: { text: 'Let me think.', signature: 'sig-123' } } },
        { text: 'Done.' },
      ])
      expect((anthropic.requests[0] as AnthropicRecordedRequest).body.thinking).toMatchObject({ type: 'enabled' })

      anthropic.reset()
      await client.send(
        new ConverseCommand({
          modelId: 'sonnet',
          messages: [
            { role: 'user', content: [{ text: 'Think.' }] },
            { role: 'assistant', content: answer.output?.message?.content ?? [] },
            { role: 'user', content: [{ text: 'Again.' }] },
          ],
        }),
      )
      const sent = (anthropic.requests[0] as AnthropicRecordedRequest).body.messages as Array<{ content: unknown }>
      expect(sent[1]?.content).toEqual([
        { type: 'thinking', thinking: 'Let me think.', signature: 'sig-123' },
        { type: 'text', text: 'Done.' },
      ])
    })

    it('maps stop reasons: max_tokens', async () => {
      anthropic.when('claude-sonnet-4', { stopReason: 'max_tokens' })
      const answer = await client.send(
        new ConverseCommand({ modelId: 'sonnet', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
      )
      expect(answer.stopReason).toBe('max_tokens')
    })

    it('raises an exception the SDK throws when the upstream fails mid-stream', async () => {
      anthropic.when('claude-sonnet-4', { streamErrorAfter: 2, streamErrorType: 'overloaded_error' })
      const response = await client.send(
        new ConverseStreamCommand({ modelId: 'sonnet', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
      )
      const seen: ConverseStreamOutput[] = []
      const error = await failure(
        (async () => {
          for await (const event of response.stream ?? []) seen.push(event)
        })(),
      )
      expect(error.name).toBe('ServiceUnavailableException')
      expect(seen[0]?.messageStart).toBeDefined()
      expect(reassemble(seen).text.length).toBeGreaterThan(0)
    })
  })

  describe('to an OpenAI upstream', () => {
    it('answers Converse with text and usage translated', async () => {
      openai.when('gpt-4o-mini', { text: 'Bonjour, "monde" ünïcödé' })
      const answer = await client.send(
        new ConverseCommand({
          modelId: 'gpt',
          system: [{ text: 'Be terse.' }],
          inferenceConfig: { maxTokens: 100, stopSequences: ['END'] },
          messages: [{ role: 'user', content: [{ text: 'Say hello in French' }] }],
        }),
      )
      const upstream = openai.requests[0] as RecordedRequest
      expect(upstream.body).toMatchObject({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        stop: ['END'],
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: [{ type: 'text', text: 'Say hello in French' }] },
        ],
      })
      expect(answer.output?.message?.content).toEqual([{ text: 'Bonjour, "monde" ünïcödé' }])
      expect(answer.stopReason).toBe('end_turn')
      const completion = Math.ceil('Bonjour, "monde" ünïcödé'.length / 4)
      const prompt = openAIPromptTokens(upstream)
      expect(answer.usage).toEqual({ inputTokens: prompt, outputTokens: completion, totalTokens: prompt + completion })
    })

    it('sends an image as a data URL', async () => {
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      await client.send(
        new ConverseCommand({
          modelId: 'gpt',
          messages: [
            {
              role: 'user',
              content: [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: png } } }],
            },
          ],
        }),
      )
      expect((openai.requests[0] as RecordedRequest).body).toMatchObject({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` } },
            ],
          },
        ],
      })
    })

    it('streams two tool calls from an OpenAI upstream with exact inputs', async () => {
      openai.when('gpt-4o-mini', {
        toolCalls: [
          { id: 'call_w', name: 'get_weather', arguments: WEATHER_ARGS },
          { id: 'call_t', name: 'get_time', arguments: TIME_ARGS },
        ],
      })
      const response = await client.send(
        new ConverseStreamCommand({
          modelId: 'gpt',
          toolConfig: { tools: TOOLS, toolChoice: { tool: { name: 'get_weather' } } },
          messages: [{ role: 'user', content: [{ text: 'Weather and time?' }] }],
        }),
      )
      const streamed = reassemble(await collect(response.stream))
      expect(streamed.tools).toEqual([
        { toolUseId: 'call_w', name: 'get_weather', input: WEATHER_ARGS },
        { toolUseId: 'call_t', name: 'get_time', input: TIME_ARGS },
      ])
      expect(streamed.stop).toBe('tool_use')
      expect(streamed.metadata?.usage?.totalTokens).toBeGreaterThan(0)
      expect((openai.requests[0] as RecordedRequest).body).toMatchObject({
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      })
    })

    it('relays an upstream 429 before a stream as a ThrottlingException response', async () => {
      openai.when('gpt-4o-mini', { status: 429, error: { message: 'slow down', type: 'rate_limit_error' } })
      const error = await failure(
        client.send(
          new ConverseStreamCommand({ modelId: 'gpt', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
        ),
      )
      expect(error.name).toBe('ThrottlingException')
      expect(error.$metadata?.httpStatusCode).toBe(429)
    })

    it('relays an upstream 429 as a ThrottlingException', async () => {
      openai.when('gpt-4o-mini', { status: 429, error: { message: 'slow down', type: 'rate_limit_error' } })
      const error = await failure(
        client.send(new ConverseCommand({ modelId: 'gpt', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] })),
      )
      expect(error.name).toBe('ThrottlingException')
      expect(error.$metadata?.httpStatusCode).toBe(429)
    })
  })

  describe('errors in Bedrock format', () => {
    it('refuses a wrong key as UnrecognizedClientException (403)', async () => {
      const stranger = bedrockClient({ token: { token: 'gw-not-a-real-key' } })
      const error = await failure(
        stranger.send(new ConverseCommand({ modelId: 'gpt', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] })),
      )
      stranger.destroy()
      expect(error.name).toBe('UnrecognizedClientException')
      expect(error.$metadata?.httpStatusCode).toBe(403)
      expect(openai.requests).toHaveLength(0)
    })

    it('refuses a SigV4-signed request with a 403 that says to use a bearer token', async () => {
      const signer = bedrockClient({
        token: undefined,
        authSchemePreference: ['sigv4'],
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEY },
      })
      const error = await failure(
        signer.send(new ConverseCommand({ modelId: 'gpt', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] })),
      )
      signer.destroy()
      expect(error.name).toBe('UnrecognizedClientException')
      expect(error.$metadata?.httpStatusCode).toBe(403)
      expect(error.message).toMatch(/bearer token/i)
      expect(openai.requests).toHaveLength(0)
    })

    it('answers an invalid request with a ValidationException naming the field', async () => {
      const error = await failure(
        client.send(
          new ConverseCommand({
            modelId: 'gpt',
            inferenceConfig: { maxTokens: 0 },
            messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
          }),
        ),
      )
      expect(error.name).toBe('ValidationException')
      expect(error.$metadata?.httpStatusCode).toBe(400)
      expect(error.message).toContain('inferenceConfig.maxTokens')

      const badBlock = await failure(
        client.send(
          new ConverseCommand({
            modelId: 'gpt',
            messages: [
              { role: 'user', content: [{ video: { format: 'mp4', source: { bytes: new Uint8Array([1]) } } }] },
            ],
          }),
        ),
      )
      expect(badBlock.name).toBe('ValidationException')
      expect(badBlock.message).toContain('messages.0.content.0')
      expect(openai.requests).toHaveLength(0)
    })

    it('answers an unknown model with a ResourceNotFoundException', async () => {
      const error = await failure(
        client.send(
          new ConverseCommand({ modelId: 'no-such-model', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
        ),
      )
      expect(error.name).toBe('ResourceNotFoundException')
      expect(error.$metadata?.httpStatusCode).toBe(404)
    })

    it('answers unknown operations and unreadable bodies in Bedrock format', async () => {
      const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
      const invoke = await request(`${gateway.url}/bedrock/model/gpt/invoke`, { method: 'POST', headers, body: '{}' })
      expect(invoke.statusCode).toBe(404)
      expect(invoke.headers['x-amzn-errortype']).toBe('UnknownOperationException')
      expect(await invoke.body.json()).toEqual({ message: expect.stringContaining('/bedrock/model/gpt/invoke') })

      const broken = await request(`${gateway.url}/bedrock/model/gpt/converse`, {
        method: 'POST',
        headers,
        body: '{"messages": [',
      })
      expect(broken.statusCode).toBe(400)
      expect(broken.headers['x-amzn-errortype']).toBe('ValidationException')
      expect(await broken.body.json()).toEqual({ message: expect.stringContaining('not valid JSON') })
    })
  })
})

describe('AWS Bedrock SDK through a gateway with auth off', () => {
  let openai: MockUpstream
  let gateway: TestGateway

  beforeAll(async () => {
    openai = await startMockUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          openai: { type: 'openai', baseUrl: ${JSON.stringify(openai.baseUrl)}, keys: [{ value: 'sk-upstream-openai-123456' }] },
        },
      }`),
    )
  })
  afterAll(async () => {
    await gateway.close()
    await openai.close()
  })

  it('serves a SigV4-signed client: no credential is read when keys are not required', async () => {
    const signer = new BedrockRuntimeClient({
      endpoint: `${gateway.url}/bedrock`,
      region: 'eu-west-1',
      requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'anything' },
      maxAttempts: 1,
    })
    const answer = await signer.send(
      new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
    )
    signer.destroy()
    expect((openai.requests[0] as RecordedRequest).body).toMatchObject({ model: 'gpt-4o-mini' })
    expect(answer.output?.message?.content).toEqual([{ text: DEFAULT_TEXT }])
  })
})
