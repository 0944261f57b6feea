/**
 * The official openai SDK against the gateway, with `bedrock` providers
 * pointed at a mock speaking the Bedrock runtime's real wire format (JSON
 * Converse, binary ConverseStream, SigV4 verified by re-signing): what the SDK
 * sees must be a faithful OpenAI answer, and what the upstream receives a
 * faithful, correctly signed Converse request. The AWS SDK talking to the same
 * mock shows the mock itself is faithful.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { redactedConfig } from '../../core/config/redact.js'
import { checkConfig } from '../../core/config/validate.js'
import { assembleToolCalls, collect, TIME_ARGS, TOOLS, WEATHER_ARGS } from '../helpers/chat-fixtures.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  BEDROCK_DEFAULT_USAGE,
  BEDROCK_TEXT,
  type BedrockMockUpstream,
  type BedrockRecordedRequest,
  type BedrockToolUse,
  startBedrockUpstream,
  TITAN_DIMENSIONS,
} from '../mocks/bedrock-upstream.js'

const ACCESS_KEY_ID = 'AKIAMOCKGATEWAY00001'
const SECRET_ACCESS_KEY = 'mock/Secret+Access/Key0123456789abcdefghij'
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEMock//SessionToken=='
const WRONG_SECRET = 'mock/Wrong+Secret/Key0123456789abcdefghijk'
const API_KEY = 'ABSKQmVkcm9ja0FQSUtleS1tb2NrLWtleQ=='
const MODEL = 'amazon.nova-pro-v1:0'
const REGION = 'eu-central-1'

const TWO_TOOLS: BedrockToolUse[] = [
  { toolUseId: 'tooluse_01', name: 'get_weather', input: WEATHER_ARGS },
  { toolUseId: 'tooluse_02', name: 'get_time', input: TIME_ARGS },
]
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

/** prompt = input + cache reads + cache writes (Bedrock reports input without either). */
const PROMPT_TOKENS =
  BEDROCK_DEFAULT_USAGE.inputTokens +
  BEDROCK_DEFAULT_USAGE.cacheReadInputTokens +
  BEDROCK_DEFAULT_USAGE.cacheWriteInputTokens
const EXPECTED_USAGE = {
  prompt_tokens: PROMPT_TOKENS,
  completion_tokens: BEDROCK_DEFAULT_USAGE.outputTokens,
  total_tokens: PROMPT_TOKENS + BEDROCK_DEFAULT_USAGE.outputTokens,
  prompt_tokens_details: {
    cached_tokens: BEDROCK_DEFAULT_USAGE.cacheReadInputTokens,
    cache_write_tokens: BEDROCK_DEFAULT_USAGE.cacheWriteInputTokens,
  },
}

describe('openai SDK through the gateway to a Bedrock upstream', () => {
  let upstream: BedrockMockUpstream
  let gateway: TestGateway
  let client: OpenAI

  beforeAll(async () => {
    upstream = await startBedrockUpstream({
      credentials: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }],
      apiKeys: [API_KEY],
    })
    const base = `type: 'bedrock', region: '${REGION}', baseUrl: ${JSON.stringify(upstream.origin)}`
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          bedrock: { ${base}, credentials: { accessKeyId: env('TEST_AWS_ACCESS_KEY_ID'), secretAccessKey: env('TEST_AWS_SECRET_ACCESS_KEY'), sessionToken: env('TEST_AWS_SESSION_TOKEN') } },
          backup: { ${base}, keys: [{ value: env('TEST_BEDROCK_API_KEY') }] },
          wrong: { ${base}, credentials: { accessKeyId: env('TEST_AWS_ACCESS_KEY_ID'), secretAccessKey: env('TEST_AWS_WRONG_SECRET') } },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          nova: { targets: ['bedrock/${MODEL}'], retry: { attempts: 1 } },
          resilient: { strategy: 'fallback', targets: ['bedrock/throttled-model', 'backup/${MODEL}'], retry: { attempts: 1 } },
          miswired: { targets: ['wrong/${MODEL}'], retry: { attempts: 1 } },
          titan: { targets: ['bedrock/amazon.titan-embed-text-v2:0'], retry: { attempts: 1 } },
        },
      }`),
      {
        env: {
          TEST_AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
          TEST_AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
          TEST_AWS_SESSION_TOKEN: SESSION_TOKEN,
          TEST_AWS_WRONG_SECRET: WRONG_SECRET,
          TEST_BEDROCK_API_KEY: API_KEY,
        },
      },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const lastRequest = (): BedrockRecordedRequest => {
    expect(upstream.requests.length).toBeGreaterThan(0)
    return upstream.requests[upstream.requests.length - 1] as BedrockRecordedRequest
  }

  it('answers a non-streamed completion with exact usage over a SigV4-signed request', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'nova', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()

    expect(data.object).toBe('chat.completion')
    expect(data.model).toBe(MODEL)
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: BEDROCK_TEXT })
    expect(data.choices[0]?.finish_reason).toBe('stop')
    expect(data.usage).toMatchObject(EXPECTED_USAGE)
    expect(response.headers.get('x-gateway-provider')).toBe('bedrock')

    const sent = lastRequest()
    expect(sent.auth).toBe('sigv4')
    expect(sent.path).toBe('/model/amazon.nova-pro-v1%3A0/converse')
    expect(sent.modelId).toBe(MODEL)
    expect(sent.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/${REGION}/bedrock/aws4_request, SignedHeaders=`),
    )
    expect(sent.headers['x-amz-security-token']).toBe(SESSION_TOKEN)
    expect(sent.body).toEqual({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] })
  })

  it('streams text that reassembles exactly, then a usage chunk', async () => {
    upstream.when(MODEL, { pieceSize: 3 })
    const stream = await client.chat.completions.create({
      model: 'nova',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
    })
    const chunks = await collect(stream)
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(BEDROCK_TEXT)
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThan(5)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toMatchObject(EXPECTED_USAGE)
    const sent = lastRequest()
    expect(sent.path).toBe('/model/amazon.nova-pro-v1%3A0/converse-stream')
    expect(sent.auth).toBe('sigv4')
    expect(sent.body).toMatchObject({ inferenceConfig: { maxTokens: 50 } })
  })

  it('returns two tool calls in one turn, not streamed, with exact arguments', async () => {
    upstream.when(MODEL, { toolUses: TWO_TOOLS })
    const data = await client.chat.completions.create({
      model: 'nova',
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
      { id: 'tooluse_01', name: 'get_weather', args: WEATHER_ARGS },
      { id: 'tooluse_02', name: 'get_time', args: TIME_ARGS },
    ])
    expect(lastRequest().body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            description: 'Weather for a city',
            inputSchema: { json: TOOLS[0]?.function.parameters },
          },
        },
        { toolSpec: { name: 'get_time', inputSchema: { json: TOOLS[1]?.function.parameters } } },
      ],
      toolChoice: { any: {} },
    })
  })

  it('streams two tool calls in one turn with arguments on the right index', async () => {
    upstream.when(MODEL, { toolUses: TWO_TOOLS, text: 'Checking.', pieceSize: 4 })
    const stream = await client.chat.completions.create({
      model: 'nova',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      stream: true,
    })
    const chunks = await collect(stream)
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Checking.')
    const calls = assembleToolCalls(chunks)
    expect(calls.map((call) => ({ id: call.id, name: call.name, args: JSON.parse(call.args) }))).toEqual([
      { id: 'tooluse_01', name: 'get_weather', args: WEATHER_ARGS },
      { id: 'tooluse_02', name: 'get_time', args: TIME_ARGS },
    ])
    // The exact argument text the model produced, fragment by fragment.
    expect(calls.map((call) => call.args)).toEqual([JSON.stringify(WEATHER_ARGS), JSON.stringify(TIME_ARGS)])
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    // The client did not ask for usage: no usage chunk.
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
  })

  it('translates system, an image, and a follow-up turn with tool results', async () => {
    await client.chat.completions.create({
      model: 'nova',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather and time where this was taken?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'tooluse_01',
              type: 'function',
              function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_ARGS) },
            },
            {
              id: 'tooluse_02',
              type: 'function',
              function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_01', content: '21°C, "sunny"' },
        { role: 'tool', tool_call_id: 'tooluse_02', content: '14:05' },
      ],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      stop: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 77,
    })
    const { body } = lastRequest()
    expect(body).toEqual({
      system: [{ text: 'You are terse.' }],
      messages: [
        {
          role: 'user',
          content: [
            { text: 'weather and time where this was taken?' },
            { image: { format: 'png', source: { bytes: PNG_BASE64 } } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { toolUse: { toolUseId: 'tooluse_01', name: 'get_weather', input: WEATHER_ARGS } },
            { toolUse: { toolUseId: 'tooluse_02', name: 'get_time', input: TIME_ARGS } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'tooluse_01', content: [{ text: '21°C, "sunny"' }] } },
            { toolResult: { toolUseId: 'tooluse_02', content: [{ text: '14:05' }] } },
          ],
        },
      ],
      inferenceConfig: { maxTokens: 77, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'get_weather',
              description: 'Weather for a city',
              inputSchema: { json: TOOLS[0]?.function.parameters },
            },
          },
          { toolSpec: { name: 'get_time', inputSchema: { json: TOOLS[1]?.function.parameters } } },
        ],
        toolChoice: { tool: { name: 'get_time' } },
      },
    })
  })

  it('refuses an image link with a 400 without calling Bedrock', async () => {
    const error = await client.chat.completions
      .create({
        model: 'nova',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] },
        ],
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as Error).message).toMatch(/data: URL/)
    expect(upstream.requests).toHaveLength(0)
  })

  it('relays reasoning and the finish reasons length and content_filter', async () => {
    upstream.when(MODEL, { reasoning: 'Let me think.', stopReason: 'max_tokens' })
    const long = await client.chat.completions.create({ model: 'nova', messages: [{ role: 'user', content: 'hi' }] })
    expect(long.choices[0]?.finish_reason).toBe('length')
    expect(long.choices[0]?.message).toMatchObject({ reasoning_content: 'Let me think.' })

    upstream.when(MODEL, { stopReason: 'guardrail_intervened', text: 'Sorry.' })
    const stream = await client.chat.completions.create({
      model: 'nova',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    const chunks = await collect(stream)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['content_filter'])
  })

  it('falls back to the second target (Bearer API key) on a ThrottlingException', async () => {
    upstream.when('throttled-model', {
      status: 429,
      errorType: 'ThrottlingException',
      errorMessage: 'Too many requests',
    })
    const { data, response } = await client.chat.completions
      .create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.choices[0]?.message.content).toBe(BEDROCK_TEXT)
    expect(response.headers.get('x-gateway-provider')).toBe('backup')
    expect(upstream.requests.map((request) => request.modelId)).toEqual(['throttled-model', MODEL])
    const second = upstream.requests[1]
    expect(second?.auth).toBe('bearer')
    expect(second?.headers.authorization).toBe(`Bearer ${API_KEY}`)
  })

  it('a ThrottlingException with nowhere to fall back is a 429 for the client', async () => {
    upstream.when(MODEL, { status: 429, errorType: 'ThrottlingException', errorMessage: 'Too many requests' })
    const error = await client.chat.completions
      .create({ model: 'nova', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429)
  })

  it('a ServiceUnavailableException is a 503, an over-long input a 400 context_length_exceeded', async () => {
    upstream.when(MODEL, {
      status: 503,
      errorType: 'ServiceUnavailableException',
      errorMessage: 'Bedrock is unable to process your request.',
    })
    const overloaded = await client.chat.completions
      .create({ model: 'nova', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).status).toBe(503)

    upstream.when(MODEL, {
      status: 400,
      errorType: 'ValidationException',
      errorMessage: 'Input is too long for requested model.',
    })
    const tooLong = await client.chat.completions
      .create({ model: 'nova', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError)
    expect((tooLong as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded')
  })

  it('a mid-stream exception frame makes the SDK throw after the text so far', async () => {
    upstream.when(MODEL, { streamExceptionAfter: 3, streamExceptionType: 'modelStreamErrorException', pieceSize: 2 })
    const stream = await client.chat.completions.create({
      model: 'nova',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let text = ''
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })(),
    ).rejects.toThrow()
    expect(text).toBe(Array.from(BEDROCK_TEXT).slice(0, 6).join(''))
  })

  it('a wrong secret key is rejected by the signature check and reported as an auth failure', async () => {
    const error = await client.chat.completions
      .create({ model: 'miswired', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_auth_failed')
    expect(lastRequest().auth).toBe('rejected')
  })

  it('serves Titan text embeddings through InvokeModel', async () => {
    const embeddings = await client.embeddings.create({
      model: 'titan',
      input: ['hello there world', 'bye'],
      encoding_format: 'float',
    })
    expect(embeddings.data.map((item) => item.index)).toEqual([0, 1])
    expect(embeddings.data[0]?.embedding).toHaveLength(TITAN_DIMENSIONS)
    expect(embeddings.data[0]?.embedding).not.toEqual(embeddings.data[1]?.embedding)
    expect(embeddings.usage.prompt_tokens).toBe(4)
    expect(upstream.requests.map((request) => [request.path, request.body])).toEqual([
      ['/model/amazon.titan-embed-text-v2%3A0/invoke', { inputText: 'hello there world' }],
      ['/model/amazon.titan-embed-text-v2%3A0/invoke', { inputText: 'bye' }],
    ])
  })

  it('never lets a credential reach the logs', () => {
    const logs = gateway.logs.join('\n')
    expect(logs.length).toBeGreaterThan(0)
    for (const secret of [SECRET_ACCESS_KEY, SESSION_TOKEN, WRONG_SECRET, API_KEY]) expect(logs).not.toContain(secret)
  })
})

describe('the Bedrock mock is faithful to the AWS SDK', () => {
  let upstream: BedrockMockUpstream
  const sdk = (secretAccessKey: string): BedrockRuntimeClient =>
    new BedrockRuntimeClient({
      region: REGION,
      endpoint: upstream.origin,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey },
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    })

  beforeAll(async () => {
    upstream = await startBedrockUpstream({
      credentials: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }],
    })
  })
  afterAll(async () => upstream?.close())
  beforeEach(() => upstream.reset())

  it('Converse: the SDK signs, the mock verifies, and the SDK parses the answer', async () => {
    const answer = await sdk(SECRET_ACCESS_KEY).send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    )
    expect(answer.output?.message?.content?.[0]?.text).toBe(BEDROCK_TEXT)
    expect(answer.stopReason).toBe('end_turn')
    expect(answer.usage).toMatchObject(BEDROCK_DEFAULT_USAGE)
    expect(upstream.requests[0]?.path).toBe('/model/amazon.nova-pro-v1%3A0/converse')
    expect(upstream.requests[0]?.auth).toBe('sigv4')
  })

  it('ConverseStream: the SDK decodes the mock event stream, tool uses included', async () => {
    upstream.when(MODEL, { toolUses: TWO_TOOLS, text: 'Checking.', pieceSize: 4 })
    const answer = await sdk(SECRET_ACCESS_KEY).send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    )
    const events: ConverseStreamOutput[] = []
    for await (const event of answer.stream ?? []) events.push(event)
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('')
    expect(text).toBe('Checking.')
    const starts = events.flatMap((event) =>
      event.contentBlockStart?.start?.toolUse ? [event.contentBlockStart.start.toolUse] : [],
    )
    expect(starts).toEqual([
      { toolUseId: 'tooluse_01', name: 'get_weather' },
      { toolUseId: 'tooluse_02', name: 'get_time' },
    ])
    expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('tool_use')
    expect(events.find((event) => event.metadata)?.metadata?.usage).toMatchObject(BEDROCK_DEFAULT_USAGE)
  })

  it('the SDK sees a mid-stream exception frame as the modelled exception', async () => {
    upstream.when(MODEL, { streamExceptionAfter: 1, streamExceptionType: 'throttlingException' })
    const answer = await sdk(SECRET_ACCESS_KEY).send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    )
    await expect(
      (async () => {
        for await (const _ of answer.stream ?? []) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ name: 'ThrottlingException' })
  })

  it('a request signed with the wrong secret is rejected as the AWS SDK expects', async () => {
    await expect(
      sdk(WRONG_SECRET).send(
        new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } })
  })
})

describe('bedrock provider config', () => {
  const literalSecret = 'literal/Secret+Access/Key0123456789abcdefgh'
  const check = (providers: Record<string, unknown>) =>
    checkConfig(
      { providers, routes: {} },
      {
        configPath: '/tmp/gateway.config.ts',
        configDir: '/tmp',
        env: { TEST_AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, TEST_AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY },
      },
    )

  it('print-config redacts credentials, from the environment or written literally', async () => {
    const result = await check({
      fromEnv: {
        type: 'bedrock',
        region: REGION,
        credentials: {
          accessKeyId: { $env: 'TEST_AWS_ACCESS_KEY_ID' },
          secretAccessKey: { $env: 'TEST_AWS_SECRET_ACCESS_KEY' },
        },
      },
      literal: {
        type: 'bedrock',
        region: REGION,
        credentials: { accessKeyId: 'AKIALITERAL', secretAccessKey: literalSecret },
      },
    })
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    const printed = JSON.stringify(redactedConfig(result.checked))
    for (const secret of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, literalSecret, 'AKIALITERAL'])
      expect(printed).not.toContain(secret)
    const providers = (JSON.parse(printed) as { providers: Record<string, { credentials: Record<string, string> }> })
      .providers
    expect(providers.fromEnv?.credentials.secretAccessKey).toBe('[redacted] (env TEST_AWS_SECRET_ACCESS_KEY)')
    expect(providers.literal?.credentials).toEqual({ accessKeyId: '[redacted]', secretAccessKey: '[redacted]' })
  })

  it('needs credentials or keys, and not both', async () => {
    const neither = await check({ b: { type: 'bedrock', region: REGION } })
    expect(neither.ok).toBe(false)
    if (!neither.ok)
      expect(neither.problems.map((p) => p.message)).toEqual([
        "provider 'b' (bedrock) has neither credentials nor keys",
      ])
    const both = await check({
      b: {
        type: 'bedrock',
        region: REGION,
        credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's' },
        keys: [{ value: 'k' }],
      },
    })
    expect(both.ok).toBe(false)
    const keysOnly = await check({ b: { type: 'bedrock', region: REGION, keys: [{ value: 'k' }] } })
    expect(keysOnly.ok).toBe(true)
    const noRegion = await check({ b: { type: 'bedrock', keys: [{ value: 'k' }] } })
    expect(noRegion.ok).toBe(false)
  })
})
