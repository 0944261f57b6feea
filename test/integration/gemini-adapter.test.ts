/**
 * The official openai SDK against the gateway, with `gemini` (AI Studio) and
 * `vertex` providers pointed at a mock speaking Google's real wire format:
 * what the SDK sees must be a faithful OpenAI answer, what the upstream
 * receives a faithful GenerateContent request, and Vertex must authenticate
 * with service-account tokens fetched once, shared, and renewed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { checkConfig } from '../../core/config/validate.js'
import { collect, TIME_ARGS, TOOLS, WEATHER_ARGS } from '../helpers/chat-fixtures.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import {
  GEMINI_TEXT,
  GEMINI_USAGE,
  type GeminiMockUpstream,
  type GeminiRecordedRequest,
  mockVector,
  startGeminiUpstream,
} from '../mocks/gemini-upstream.js'

const GEMINI_KEY = 'AIzaSy-test-0123456789'
const MODEL = 'gemini-2.5-flash'
const VERTEX_MODEL = 'gemini-2.5-pro'
const CLIENT_EMAIL = 'gateway@my-project.iam.gserviceaccount.com'

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
})
/** A line from the middle of the PEM: if any of the key leaks, this does. */
const KEY_FRAGMENT = privateKey.split('\n')[5] as string

const TWO_CALLS = [
  { functionCall: { name: 'get_weather', args: WEATHER_ARGS } },
  { functionCall: { name: 'get_time', args: TIME_ARGS } },
]

/** promptTokenCount includes the cached tokens; thoughts are output beside the candidates. */
const EXPECTED_USAGE = {
  prompt_tokens: GEMINI_USAGE.promptTokenCount,
  completion_tokens: GEMINI_USAGE.candidatesTokenCount + (GEMINI_USAGE.thoughtsTokenCount ?? 0),
  total_tokens:
    GEMINI_USAGE.promptTokenCount + GEMINI_USAGE.candidatesTokenCount + (GEMINI_USAGE.thoughtsTokenCount ?? 0),
  prompt_tokens_details: { cached_tokens: GEMINI_USAGE.cachedContentTokenCount },
  completion_tokens_details: { reasoning_tokens: GEMINI_USAGE.thoughtsTokenCount },
}

function statusOf(error: unknown): number | undefined {
  expect(error).toBeInstanceOf(OpenAI.APIError)
  return (error as InstanceType<typeof OpenAI.APIError>).status
}

describe('openai SDK through the gateway to Gemini (AI Studio and Vertex)', () => {
  let upstream: GeminiMockUpstream
  let gateway: TestGateway
  let client: OpenAI
  let serviceAccount: string

  beforeAll(async () => {
    upstream = await startGeminiUpstream({ apiKey: GEMINI_KEY, publicKey, clientEmail: CLIENT_EMAIL })
    // Short-lived tokens, so renewal can be seen within a test.
    upstream.tokenLifetimeSeconds = 2
    serviceAccount = JSON.stringify({
      type: 'service_account',
      project_id: 'my-project',
      private_key_id: 'key-1',
      private_key: privateKey,
      client_email: CLIENT_EMAIL,
      token_uri: upstream.tokenUri,
    })
    const origin = JSON.stringify(upstream.origin)
    gateway = await startTestGateway(
      tsConfig(`{
        providers: {
          gemini: { type: 'gemini', baseUrl: ${origin}, keys: [{ value: env('TEST_GEMINI_KEY') }] },
          backup: { type: 'gemini', baseUrl: ${origin}, keys: [{ value: env('TEST_GEMINI_KEY') }] },
          badkey: { type: 'gemini', baseUrl: ${origin}, keys: [{ value: 'AIza-wrong-key' }] },
          vertex: { type: 'vertex', baseUrl: ${origin}, project: 'my-project', location: 'us-central1', serviceAccount: env('TEST_VERTEX_SA') },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          gem: { targets: ['gemini/${MODEL}'], retry: { attempts: 1 } },
          limited: { targets: ['gemini/limited-solo'], retry: { attempts: 1 } },
          'after-429': { strategy: 'fallback', targets: ['gemini/limited-model', 'backup/${MODEL}'], retry: { attempts: 1 } },
          'after-503': { strategy: 'fallback', targets: ['gemini/overloaded-model', 'backup/${MODEL}'], retry: { attempts: 1 } },
          wrongkey: { targets: ['badkey/${MODEL}'], retry: { attempts: 1 } },
          vtx: { targets: ['vertex/${VERTEX_MODEL}'], retry: { attempts: 1 } },
          embed: { targets: ['gemini/text-embedding-004'] },
          'vtx-embed': { targets: ['vertex/text-embedding-005'] },
        },
      }`),
      { env: { TEST_GEMINI_KEY: GEMINI_KEY, TEST_VERTEX_SA: serviceAccount } },
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  const lastRequest = (): GeminiRecordedRequest => {
    expect(upstream.requests.length).toBeGreaterThan(0)
    return upstream.requests[upstream.requests.length - 1] as GeminiRecordedRequest
  }

  it('answers a non-streamed completion with exact usage, reasoning apart from the answer', async () => {
    upstream.when(MODEL, { parts: [{ text: 'Let me think.', thought: true }, { text: GEMINI_TEXT }] })
    const { data, response } = await client.chat.completions
      .create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()

    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: GEMINI_TEXT })
    const message = data.choices[0]?.message as { reasoning_content?: string } | undefined
    expect(message?.reasoning_content).toBe('Let me think.')
    expect(data.choices[0]?.finish_reason).toBe('stop')
    expect(data.id).toBe('chatcmpl-resp-1')
    expect(data.usage).toEqual(EXPECTED_USAGE)
    expect(response.headers.get('x-gateway-provider')).toBe('gemini')
    // Like OpenAI's dated snapshots, the model that answered (Gemini's modelVersion).
    expect(data.model).toBe(`${MODEL}-001`)
    // gemini-2.5-flash: $0.30 in, $0.03 cache read, $2.50 out per Mtok (thoughts billed as output).
    // 200 * 0.3 + 1000 * 0.03 + 120 * 2.5 = 390 micro-dollars.
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.000390000')

    const sent = lastRequest()
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:generateContent`)
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_KEY)
    expect(sent.headers.authorization).toBeUndefined()
    expect(sent.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
  })

  it('streams text that reassembles exactly, then a usage chunk', async () => {
    upstream.when(MODEL, { pieceSize: 4, parts: [{ text: 'Hmm.', thought: true }, { text: GEMINI_TEXT }] })
    const stream = await client.chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
    })
    const chunks = await collect(stream)
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(GEMINI_TEXT)
    const reasoning = chunks.map(
      (chunk) => (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '',
    )
    expect(reasoning.join('')).toBe('Hmm.')
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThan(5)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toEqual(EXPECTED_USAGE)

    const sent = lastRequest()
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`)
    expect(sent.body).toMatchObject({ generationConfig: { maxOutputTokens: 50 } })
  })

  it('returns two tool calls in one turn, not streamed', async () => {
    upstream.when(MODEL, { parts: TWO_CALLS })
    const data = await client.chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: TOOLS,
      tool_choice: 'required',
    })
    const choice = data.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect(choice?.message.content).toBeNull()
    const calls = (choice?.message.tool_calls ?? []).map((call) => {
      if (call.type !== 'function') throw new Error('expected a function call')
      return { id: call.id, name: call.function.name, arguments: call.function.arguments }
    })
    expect(calls.map(({ name, arguments: args }) => ({ name, args: JSON.parse(args) }))).toEqual([
      { name: 'get_weather', args: WEATHER_ARGS },
      { name: 'get_time', args: TIME_ARGS },
    ])
    expect(calls[0]?.arguments).toBe(JSON.stringify(WEATHER_ARGS))
    expect(calls.every((call) => /^call_[0-9a-f]{24}$/.test(call.id))).toBe(true)
    expect(new Set(calls.map((call) => call.id)).size).toBe(2)
    expect(lastRequest().body).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            { name: 'get_weather', description: 'Weather for a city', parameters: TOOLS[0]?.function.parameters },
            { name: 'get_time', parameters: TOOLS[1]?.function.parameters },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    })
  })

  it('streams two tool calls in one turn, each whole on its own index', async () => {
    upstream.when(MODEL, { parts: [{ text: 'Checking.' }, ...TWO_CALLS] })
    const stream = await client.chat.completions.create({
      model: 'gem',
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
    expect(calls.map((call) => ({ name: call.name, args: JSON.parse(call.args) }))).toEqual([
      { name: 'get_weather', args: WEATHER_ARGS },
      { name: 'get_time', args: TIME_ARGS },
    ])
    expect(calls.every((call) => call.id?.startsWith('call_'))).toBe(true)
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    // The client did not ask for usage: no usage chunk.
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
  })

  it('translates a system prompt, an image, and a tool-result round trip', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
    await client.chat.completions.create({
      model: 'gem',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather and time here?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/street.webp?size=large' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_ARGS) },
            },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) } },
          ],
        },
        // Answered out of order: the name comes from the call's id, not the position.
        { role: 'tool', tool_call_id: 'call_b', content: '14:05 "CET"' },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21,"sky":"klar ☀"}' },
      ],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      stop: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 77,
      seed: 7,
      response_format: { type: 'json_object' },
    })
    expect(lastRequest().body).toEqual({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'weather and time here?' },
            { inlineData: { mimeType: 'image/png', data: png } },
            { fileData: { fileUri: 'https://example.com/photos/street.webp?size=large', mimeType: 'image/webp' } },
          ],
        },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: WEATHER_ARGS } },
            { functionCall: { name: 'get_time', args: TIME_ARGS } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_time', response: { output: '14:05 "CET"' } } },
            { functionResponse: { name: 'get_weather', response: { output: { temp: 21, sky: 'klar ☀' } } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            { name: 'get_weather', description: 'Weather for a city', parameters: TOOLS[0]?.function.parameters },
            { name: 'get_time', parameters: TOOLS[1]?.function.parameters },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } },
      generationConfig: {
        maxOutputTokens: 77,
        temperature: 0.2,
        topP: 0.9,
        stopSequences: ['END'],
        seed: 7,
        responseMimeType: 'application/json',
      },
    })
  })

  it('maps finish reasons: MAX_TOKENS is length, SAFETY is content_filter', async () => {
    upstream.when('truncating', { finishReason: 'MAX_TOKENS' })
    upstream.when('unsafe', { finishReason: 'SAFETY', parts: [] })
    const routes = { truncating: 'gemini/truncating', unsafe: 'gemini/unsafe' }
    const truncated = await client.chat.completions.create({
      model: routes.truncating,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(truncated.choices[0]?.finish_reason).toBe('length')
    expect(truncated.choices[0]?.message.content).toBe(GEMINI_TEXT)
    const unsafe = await client.chat.completions.create({
      model: routes.unsafe,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(unsafe.choices[0]?.finish_reason).toBe('content_filter')
    expect(unsafe.choices[0]?.message.content).toBeNull()
  })

  it('a blocked prompt is content_filter with no content, streamed or not', async () => {
    upstream.when(MODEL, { blockReason: 'PROHIBITED_CONTENT' })
    const data = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'x' }] })
    expect(data.choices).toHaveLength(1)
    expect(data.choices[0]?.finish_reason).toBe('content_filter')
    expect(data.choices[0]?.message.content).toBeNull()
    expect(data.usage?.prompt_tokens).toBe(GEMINI_USAGE.promptTokenCount)

    const chunks = await collect(
      await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'x' }], stream: true }),
    )
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('')
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['content_filter'])
  })

  it('falls back to the second target on a 429 and on a 503', async () => {
    upstream.when('limited-model', { status: 429, errorMessage: 'Resource has been exhausted', retryAfter: '7' })
    upstream.when('overloaded-model', { status: 503, errorMessage: 'The model is overloaded.' })
    for (const [route, first] of [
      ['after-429', 'limited-model'],
      ['after-503', 'overloaded-model'],
    ] as const) {
      upstream.requests.length = 0
      const { data, response } = await client.chat.completions
        .create({ model: route, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse()
      expect(data.choices[0]?.message.content).toBe(GEMINI_TEXT)
      expect(response.headers.get('x-gateway-provider')).toBe('backup')
      expect(upstream.requests.map((request) => request.path)).toEqual([
        `/v1beta/models/${first}:generateContent`,
        `/v1beta/models/${MODEL}:generateContent`,
      ])
    }
  })

  it('maps Google errors to the right status for the client', async () => {
    upstream.when('limited-solo', { status: 429, errorMessage: 'Quota exceeded', retryAfter: '3' })
    const limited = await client.chat.completions
      .create({ model: 'limited', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(statusOf(limited)).toBe(429)
    expect((limited as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('3')

    upstream.when(MODEL, { status: 503, errorMessage: 'The model is overloaded.' })
    const overloaded = await client.chat.completions
      .create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(statusOf(overloaded)).toBe(503)

    upstream.when(MODEL, {
      status: 400,
      errorMessage: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
    })
    const tooLong = await client.chat.completions
      .create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(statusOf(tooLong)).toBe(400)
    expect((tooLong as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded')

    upstream.when(MODEL, { status: 404, errorMessage: 'models/nope is not found for API version v1beta' })
    const missing = await client.chat.completions
      .create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(statusOf(missing)).toBe(404)
  })

  it("a key Google calls invalid (400 API_KEY_INVALID) is an auth failure, not the client's fault", async () => {
    const error = await client.chat.completions
      .create({ model: 'wrongkey', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught)
    expect(statusOf(error)).toBe(502)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_auth_failed')
    expect(lastRequest().headers['x-goog-api-key']).toBe('AIza-wrong-key')
  })

  it('an error frame in the middle of a stream makes the SDK throw', async () => {
    upstream.when(MODEL, { streamErrorAfter: 3, pieceSize: 2 })
    const stream = await client.chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let text = ''
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })(),
    ).rejects.toThrow()
    expect(GEMINI_TEXT.startsWith(text)).toBe(true)
    expect(text.length).toBeLessThan(GEMINI_TEXT.length)
  })

  it('embeds with batchEmbedContents, as floats and as base64', async () => {
    const floats = await client.embeddings.create({
      model: 'embed',
      input: ['alpha', 'beta gamma'],
      encoding_format: 'float',
      dimensions: 3,
    })
    expect(floats.data.map((item) => item.embedding)).toEqual([mockVector('alpha', 3), mockVector('beta gamma', 3)])
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0)
    expect(lastRequest().path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents')
    expect(lastRequest().body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 3 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'beta gamma' }] }, outputDimensionality: 3 },
      ],
    })
    // The SDK asks for base64 by default and decodes float32: exact for these values.
    const decoded = await client.embeddings.create({ model: 'embed', input: 'alpha' })
    expect(decoded.data[0]?.embedding).toEqual(mockVector('alpha'))
  })

  describe('vertex', () => {
    it('fetches one token for concurrent requests, sends it as a bearer, and renews it after expiry', async () => {
      const fetchesBefore = upstream.tokenFetches.length
      const ask = () => client.chat.completions.create({ model: 'vtx', messages: [{ role: 'user', content: 'hi' }] })
      const answers = await Promise.all([ask(), ask(), ask()])
      expect(answers.map((answer) => answer.choices[0]?.message.content)).toEqual([
        GEMINI_TEXT,
        GEMINI_TEXT,
        GEMINI_TEXT,
      ])
      await ask()
      expect(upstream.tokenFetches.length - fetchesBefore).toBe(1)
      const first = upstream.issuedTokens[upstream.issuedTokens.length - 1]
      expect(upstream.requests).toHaveLength(4)
      for (const request of upstream.requests) {
        expect(request.path).toBe(
          `/v1/projects/my-project/locations/us-central1/publishers/google/models/${VERTEX_MODEL}:generateContent`,
        )
        expect(request.headers.authorization).toBe(`Bearer ${first}`)
        expect(request.headers['x-goog-api-key']).toBeUndefined()
      }
      const fetch = upstream.tokenFetches[upstream.tokenFetches.length - 1]
      expect(fetch?.header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: 'key-1' })
      expect(fetch?.claims).toMatchObject({
        iss: CLIENT_EMAIL,
        aud: upstream.tokenUri,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
      })

      // Tokens live 2 s here; the gateway renews a quarter of the lifetime early.
      await sleep(1600)
      await ask()
      expect(upstream.tokenFetches.length - fetchesBefore).toBe(2)
      const second = upstream.issuedTokens[upstream.issuedTokens.length - 1]
      expect(second).not.toBe(first)
      expect(lastRequest().headers.authorization).toBe(`Bearer ${second}`)
    })

    it('keeps the cached token across a config reload (token sources belong to the process)', async () => {
      const ask = () => client.chat.completions.create({ model: 'vtx', messages: [{ role: 'user', content: 'hi' }] })
      await ask()
      const fetchesBefore = upstream.tokenFetches.length
      const version = gateway.holder.current?.version
      expect((await gateway.reloader.reload('admin')).ok).toBe(true)
      expect(gateway.holder.current?.version).not.toBe(version)
      await ask()
      expect(upstream.tokenFetches.length).toBe(fetchesBefore)
    })

    it('streams from Vertex with usage', async () => {
      upstream.when(VERTEX_MODEL, { parts: [{ text: GEMINI_TEXT }] })
      const chunks = await collect(
        await client.chat.completions.create({
          model: 'vtx',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          stream_options: { include_usage: true },
        }),
      )
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(GEMINI_TEXT)
      expect(chunks[chunks.length - 1]?.usage).toEqual(EXPECTED_USAGE)
      expect(lastRequest().path).toBe(
        `/v1/projects/my-project/locations/us-central1/publishers/google/models/${VERTEX_MODEL}:streamGenerateContent?alt=sse`,
      )
    })

    it('embeds through :predict with the token counts Vertex reports', async () => {
      const result = await client.embeddings.create({
        model: 'vtx-embed',
        input: ['one two three', 'four'],
        encoding_format: 'float',
      })
      expect(result.data.map((item) => item.embedding)).toEqual([mockVector('one two three'), mockVector('four')])
      expect(result.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 })
      expect(lastRequest().body).toEqual({ instances: [{ content: 'one two three' }, { content: 'four' }] })
    })

    it('a refused token is an auth failure for the client, with no secret in the message or the logs', async () => {
      // Let the cached token run out, then have the token endpoint refuse.
      await sleep(1600)
      upstream.refuseTokens = true
      try {
        const error = await client.chat.completions
          .create({ model: 'vtx', messages: [{ role: 'user', content: 'hi' }] })
          .catch((caught: unknown) => caught)
        expect(statusOf(error)).toBe(502)
        expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_auth_failed')
        expect(String((error as Error).message)).not.toContain(KEY_FRAGMENT)
        expect(upstream.requests).toHaveLength(0)
      } finally {
        upstream.refuseTokens = false
      }
      const logs = gateway.logs.join('\n')
      expect(logs).toContain('vertex')
      expect(logs).not.toContain(KEY_FRAGMENT)
      for (const token of upstream.issuedTokens) expect(logs).not.toContain(token)
      // The next request fetches anew (a failure is not cached).
      const answer = await client.chat.completions.create({ model: 'vtx', messages: [{ role: 'user', content: 'hi' }] })
      expect(answer.choices[0]?.message.content).toBe(GEMINI_TEXT)
    })

    it('a malformed service account is a config problem, without echoing it', async () => {
      const check = (serviceAccountText: string) =>
        checkConfig(
          {
            providers: {
              vertex: { type: 'vertex', project: 'p', location: 'us-central1', serviceAccount: serviceAccountText },
            },
            routes: { r: { targets: ['vertex/gemini-2.5-pro'] } },
          },
          { configPath: '/tmp/gateway.config.ts', configDir: '/tmp', env: {} },
        )
      const truncated = await check(serviceAccount.slice(0, 200))
      expect(truncated.ok).toBe(false)
      const problems = truncated.ok ? [] : truncated.problems
      expect(problems).toEqual([
        expect.objectContaining({
          path: '/providers/vertex/serviceAccount',
          message: expect.stringContaining('not JSON'),
        }),
      ])
      expect(JSON.stringify(problems)).not.toContain('BEGIN PRIVATE KEY')

      const noKey = await check(JSON.stringify({ type: 'service_account', client_email: CLIENT_EMAIL }))
      expect(noKey.ok ? [] : noKey.problems.map((problem) => problem.message)).toEqual(['has no PEM private_key'])

      expect((await check(serviceAccount)).ok).toBe(true)
    })

    it('a gemini provider needs a key; a vertex provider takes none', async () => {
      const problemPaths = async (providers: Record<string, unknown>, target: string) => {
        const result = await checkConfig(
          { providers, routes: { r: { targets: [target] } } },
          { configPath: '/tmp/gateway.config.ts', configDir: '/tmp', env: {} },
        )
        return result.ok ? [] : result.problems.map((problem) => problem.path)
      }
      expect(await problemPaths({ studio: { type: 'gemini' } }, 'studio/gemini-2.5-flash')).toEqual([
        '/providers/studio/keys',
      ])
      const vertex = { type: 'vertex', project: 'p', location: 'us-central1', serviceAccount }
      expect(await problemPaths({ vertex: { ...vertex, keys: [{ value: 'k' }] } }, 'vertex/m')).toEqual([
        '/providers/vertex/keys',
      ])
    })
  })
})
