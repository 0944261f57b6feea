/**
 * The official `@google/genai` SDK against the gateway's `/genai` surface,
 * with an `openai` provider pointed at a mock speaking OpenAI's real wire
 * format: what the SDK sees must be what Gemini would have sent, and what
 * the upstream receives must be the OpenAI request the Gemini one means.
 */
import { ApiError, FunctionCallingConfigMode, type GenerateContentResponse, GoogleGenAI, Type } from '@google/genai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { DEFAULT_TEXT, type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const OPENAI_KEY = 'sk-test-openai-0123456789'
const CLIENT_KEY = 'gw-test-genai-client-0123456789'
const NARROW_KEY = 'gw-test-genai-narrow-0123456789'

/** Arguments with quotes, braces, unicode and nesting, so fragment boundaries fall everywhere. */
const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', units: 'celsius', days: [1, 2, 3] }
const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }
const TWO_CALLS = [
  { id: 'call_weather', name: 'get_weather', arguments: WEATHER_ARGS },
  { id: 'call_time', name: 'get_time', arguments: TIME_ARGS },
]
const TOOLS = [
  {
    functionDeclarations: [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        // Gemini's own Schema dialect: upper-case types, int64 bounds as strings.
        parameters: {
          type: Type.OBJECT,
          properties: {
            city: { type: Type.STRING },
            days: { type: Type.ARRAY, items: { type: Type.INTEGER }, maxItems: '7' },
          },
          required: ['city'],
        },
      },
      {
        name: 'get_time',
        parametersJsonSchema: { type: 'object', properties: { timezone: { type: 'string' } } },
      },
    ],
  },
]

/** The mock's usage recipe (test/mocks/openai-upstream.ts): a quarter of the characters, rounded up. */
function mockUsage(request: RecordedRequest, answer: string) {
  const prompt = Math.max(1, Math.ceil(JSON.stringify((request.body as { messages: unknown }).messages).length / 4))
  const completion = Math.max(1, Math.ceil(answer.length / 4))
  return { promptTokenCount: prompt, candidatesTokenCount: completion, totalTokenCount: prompt + completion }
}

describe('@google/genai SDK through the gateway to an OpenAI upstream', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  let ai: GoogleGenAI

  const lastRequest = () => upstream.requests.at(-1) as RecordedRequest
  const upstreamBody = () =>
    lastRequest().body as Record<string, unknown> & { messages: Array<Record<string, unknown>> }
  const rawPost = (path: string, body: unknown, key = CLIENT_KEY) =>
    fetch(`${gateway.url}/genai${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  beforeAll(async () => {
    upstream = await startMockUpstream()
    gateway = await startTestGateway(
      tsConfig(`{
        auth: { mode: 'keys' },
        providers: {
          openai: {
            type: 'openai',
            baseUrl: ${JSON.stringify(upstream.baseUrl)},
            keys: [{ value: env('TEST_OPENAI_KEY') }],
            models: ['gpt-4o-mini'],
          },
          // Its own key, so the 429 test's resting key does not affect the other tests.
          limited: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: env('TEST_OPENAI_KEY') }] },
          mock: { type: 'mock', models: ['demo'] },
        },
        routing: { breaker: { failures: 1000 } },
        routes: {
          chat: { targets: ['openai/gpt-4o-mini'], retry: { attempts: 1 } },
          other: { targets: ['openai/gpt-4o-mini'], retry: { attempts: 1 } },
        },
        keys: [
          { name: 'client', hash: '${hashKey(CLIENT_KEY)}' },
          { name: 'narrow', hash: '${hashKey(NARROW_KEY)}', models: ['chat'] },
        ],
      }`),
      { env: { TEST_OPENAI_KEY: OPENAI_KEY } },
    )
    ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: `${gateway.url}/genai` } })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })
  beforeEach(() => upstream.reset())

  describe('generateContent', () => {
    it('answers text with a system instruction and a multi-turn history, usage exact', async () => {
      upstream.setDefault({ text: 'Grüezi! "Quoted" {braces}' })
      const response = await ai.models.generateContent({
        model: 'chat',
        contents: [
          { role: 'user', parts: [{ text: 'Hello' }] },
          { role: 'model', parts: [{ text: 'Hi, ' }, { text: 'how can I help?' }] },
          { role: 'user', parts: [{ text: 'Greet me in Swiss German.' }] },
        ],
        config: { systemInstruction: 'You are terse.', maxOutputTokens: 50, temperature: 0.3, stopSequences: ['END'] },
      })

      expect(response.text).toBe('Grüezi! "Quoted" {braces}')
      expect(response.candidates?.[0]?.finishReason).toBe('STOP')
      expect(response.candidates?.[0]?.content?.role).toBe('model')
      expect(response.usageMetadata).toEqual(mockUsage(lastRequest(), 'Grüezi! "Quoted" {braces}'))
      expect(response.responseId).toBe('chatcmpl-mock')
      expect(response.modelVersion).toBe('gpt-4o-mini')

      expect(lastRequest().path).toBe('/v1/chat/completions')
      expect(lastRequest().headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
      expect(upstreamBody()).toMatchObject({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello' },
          { role: 'assistant', content: 'Hi, how can I help?' },
          { role: 'user', content: 'Greet me in Swiss German.' },
        ],
        max_completion_tokens: 50,
        temperature: 0.3,
        stop: ['END'],
      })
      expect(upstreamBody().stream).toBeUndefined()
    })

    it('reaches a "provider/model" name, which contains a slash, on v1beta and on v1', async () => {
      const response = await ai.models.generateContent({ model: 'openai/gpt-4o-mini', contents: 'hi' })
      expect(response.text).toBe(DEFAULT_TEXT)
      expect(upstreamBody().model).toBe('gpt-4o-mini')

      const v1 = new GoogleGenAI({
        apiKey: CLIENT_KEY,
        apiVersion: 'v1',
        httpOptions: { baseUrl: `${gateway.url}/genai` },
      })
      expect((await v1.models.generateContent({ model: 'openai/gpt-4o-mini', contents: 'hi' })).text).toBe(DEFAULT_TEXT)

      // A client that URL-encodes the model's slash reaches the same model.
      const encoded = await rawPost('/v1beta/models/openai%2Fgpt-4o-mini:generateContent', {
        contents: [{ parts: [{ text: 'hi' }] }],
      })
      expect(encoded.status).toBe(200)
      expect(((await encoded.json()) as GenerateContentResponse).candidates?.[0]?.content?.parts?.[0]?.text).toBe(
        DEFAULT_TEXT,
      )
    })

    it('reports a length cut-off as MAX_TOKENS, streamed or not (built-in mock provider)', async () => {
      const contents = 'one two three four five six'
      const cut = await ai.models.generateContent({ model: 'mock/demo', contents, config: { maxOutputTokens: 2 } })
      expect(cut.text).toBe('You said: ')
      expect(cut.candidates?.[0]?.finishReason).toBe('MAX_TOKENS')

      const chunks: GenerateContentResponse[] = []
      for await (const chunk of await ai.models.generateContentStream({
        model: 'mock/demo',
        contents,
        config: { maxOutputTokens: 2 },
      })) {
        chunks.push(chunk)
      }
      expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('MAX_TOKENS')
      expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe('You said: ')

      const whole = await ai.models.generateContent({ model: 'mock/demo', contents })
      expect(whole.candidates?.[0]?.finishReason).toBe('STOP')
    })

    it('translates JSON output settings to response_format', async () => {
      upstream.setDefault({ text: '{"ok":true}' })
      await ai.models.generateContent({
        model: 'chat',
        contents: 'json please',
        config: {
          responseMimeType: 'application/json',
          responseSchema: { type: Type.OBJECT, properties: { ok: { type: Type.BOOLEAN, nullable: true } } },
          candidateCount: 1,
          seed: 7,
        },
      })
      expect(upstreamBody()).toMatchObject({
        n: 1,
        seed: 7,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'response',
            schema: { type: 'object', properties: { ok: { type: ['boolean', 'null'] } } },
          },
        },
      })
    })
  })

  describe('generateContentStream', () => {
    it('streams text as GenerateContentResponse frames; the last carries finishReason and usage', async () => {
      upstream.setDefault({ text: 'Streaming "Zürich" ⏰ answer', pieceSize: 3 })
      const chunks: GenerateContentResponse[] = []
      for await (const chunk of await ai.models.generateContentStream({
        model: 'chat',
        contents: [{ role: 'user', parts: [{ text: 'stream it' }] }],
        config: { systemInstruction: 'Be brief.' },
      })) {
        chunks.push(chunk)
      }

      expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe('Streaming "Zürich" ⏰ answer')
      expect(chunks.length).toBeGreaterThan(3)
      const last = chunks.at(-1) as GenerateContentResponse
      expect(last.candidates?.[0]?.finishReason).toBe('STOP')
      expect(last.usageMetadata).toEqual(mockUsage(lastRequest(), 'Streaming "Zürich" ⏰ answer'))
      expect(chunks.slice(0, -1).every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(true)
      expect(upstreamBody()).toMatchObject({ stream: true, stream_options: { include_usage: true } })
      expect(upstreamBody().messages[0]).toEqual({ role: 'system', content: 'Be brief.' })
    })

    it('streams as one JSON array when the client does not ask for SSE', async () => {
      upstream.setDefault({ text: 'array answer', pieceSize: 5 })
      const response = await rawPost('/v1beta/models/chat:streamGenerateContent', {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('application/json')
      const frames = (await response.json()) as GenerateContentResponse[]
      expect(Array.isArray(frames)).toBe(true)
      const text = frames.map((frame) => frame.candidates?.[0]?.content?.parts?.[0]?.text ?? '').join('')
      expect(text).toBe('array answer')
      expect(frames.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP')
      expect(frames.at(-1)?.usageMetadata?.totalTokenCount).toBeGreaterThan(0)
    })

    it('turns a failure after the stream began into an error the SDK raises', async () => {
      upstream.setDefault({
        text: 'this answer will break off',
        pieceSize: 2,
        streamErrorAfter: 3,
        error: { message: 'upstream fell over', type: 'server_error' },
      })
      const seen: string[] = []
      const failure = await (async () => {
        try {
          for await (const chunk of await ai.models.generateContentStream({ model: 'chat', contents: 'hi' })) {
            seen.push(chunk.text ?? '')
          }
        } catch (error) {
          return error
        }
        return undefined
      })()
      expect(failure).toBeInstanceOf(ApiError)
      expect((failure as ApiError).status).toBeGreaterThanOrEqual(500)
      expect((failure as ApiError).message).toContain('upstream fell over')
      expect(seen.join('')).not.toBe('this answer will break off')
    })
  })

  describe('function calling', () => {
    it('returns two calls in one turn, whole, with exact args and their ids', async () => {
      upstream.setDefault({ toolCalls: TWO_CALLS })
      const response = await ai.models.generateContent({
        model: 'chat',
        contents: 'Weather and time in Zürich?',
        config: {
          tools: TOOLS,
          toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } },
        },
      })

      expect(response.functionCalls).toEqual([
        { id: 'call_weather', name: 'get_weather', args: WEATHER_ARGS },
        { id: 'call_time', name: 'get_time', args: TIME_ARGS },
      ])
      expect(response.candidates?.[0]?.finishReason).toBe('STOP')
      expect(response.usageMetadata).toEqual(
        mockUsage(lastRequest(), [JSON.stringify(WEATHER_ARGS), JSON.stringify(TIME_ARGS)].join('')),
      )
      expect(upstreamBody().tool_choice).toBe('required')
      expect(upstreamBody().tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: {
              type: 'object',
              properties: {
                city: { type: 'string' },
                days: { type: 'array', items: { type: 'integer' }, maxItems: 7 },
              },
              required: ['city'],
            },
          },
        },
        {
          type: 'function',
          function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } },
        },
      ])
    })

    it('streams two calls as whole functionCall parts, however the arguments were fragmented', async () => {
      upstream.setDefault({ toolCalls: TWO_CALLS, pieceSize: 2 })
      const chunks: GenerateContentResponse[] = []
      for await (const chunk of await ai.models.generateContentStream({
        model: 'chat',
        contents: 'Weather and time in Zürich?',
        config: { tools: TOOLS },
      })) {
        chunks.push(chunk)
      }

      const calls = chunks.flatMap((chunk) => chunk.functionCalls ?? [])
      expect(calls).toEqual([
        { id: 'call_weather', name: 'get_weather', args: WEATHER_ARGS },
        { id: 'call_time', name: 'get_time', args: TIME_ARGS },
      ])
      const last = chunks.at(-1) as GenerateContentResponse
      expect(last.candidates?.[0]?.finishReason).toBe('STOP')
      expect(last.usageMetadata).toEqual(
        mockUsage(lastRequest(), [JSON.stringify(WEATHER_ARGS), JSON.stringify(TIME_ARGS)].join('')),
      )
    })

    it('sends function responses back as tool messages answering the right calls', async () => {
      upstream.setDefault({ text: 'It is 21°C and noon.' })
      const response = await ai.models.generateContent({
        model: 'chat',
        contents: [
          { role: 'user', parts: [{ text: 'Weather and time in Zürich?' }] },
          {
            role: 'model',
            parts: [
              { functionCall: { id: 'call_weather', name: 'get_weather', args: WEATHER_ARGS } },
              { functionCall: { name: 'get_time', args: TIME_ARGS } },
            ],
          },
          {
            role: 'user',
            parts: [
              // Answered out of order, one by id and one (which had no id) by name.
              { functionResponse: { name: 'get_time', response: { time: '12:00' } } },
              { functionResponse: { id: 'call_weather', name: 'get_weather', response: { temp: '21°C "sunny"' } } },
            ],
          },
        ],
      })

      expect(response.text).toBe('It is 21°C and noon.')
      const messages = upstreamBody().messages
      expect(messages).toHaveLength(4)
      expect(messages[1]).toEqual({
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_weather',
            type: 'function',
            function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_ARGS) },
          },
          { id: 'call_1_1', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) } },
        ],
      })
      expect(messages.slice(2)).toEqual([
        { role: 'tool', tool_call_id: 'call_1_1', content: JSON.stringify({ time: '12:00' }) },
        { role: 'tool', tool_call_id: 'call_weather', content: JSON.stringify({ temp: '21°C "sunny"' }) },
      ])
    })
  })

  describe('auth and errors', () => {
    it('authenticates with x-goog-api-key; a wrong key is a 401 the SDK raises', async () => {
      const intruder = new GoogleGenAI({ apiKey: 'gw-wrong-key', httpOptions: { baseUrl: `${gateway.url}/genai` } })
      const error = await intruder.models.generateContent({ model: 'chat', contents: 'hi' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ApiError)
      expect((error as ApiError).status).toBe(401)
      expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } })
      expect(upstream.requests).toHaveLength(0)
    })

    it('accepts the key as ?key=, as Google REST clients send it', async () => {
      const response = await fetch(`${gateway.url}/genai/v1beta/models/chat:generateContent?key=${CLIENT_KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      })
      expect(response.status).toBe(200)
      const denied = await fetch(`${gateway.url}/genai/v1beta/models/chat:generateContent?key=nope`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      })
      expect(denied.status).toBe(401)
    })

    it('refuses a model the key may not use with 403 PERMISSION_DENIED', async () => {
      const narrow = new GoogleGenAI({ apiKey: NARROW_KEY, httpOptions: { baseUrl: `${gateway.url}/genai` } })
      const error = await narrow.models.generateContent({ model: 'other', contents: 'hi' }).catch((e: unknown) => e)
      expect((error as ApiError).status).toBe(403)
      expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { status: 'PERMISSION_DENIED' } })
    })

    it('answers a malformed request with 400 INVALID_ARGUMENT naming the field', async () => {
      const response = await rawPost('/v1beta/models/chat:generateContent', {
        contents: [
          { role: 'user', parts: [{ text: 'hi' }] },
          { role: 'user', parts: [{ bogus: 1 }] },
        ],
      })
      expect(response.status).toBe(400)
      const body = (await response.json()) as { error: { code: number; status: string; message: string } }
      expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' })
      expect(body.error.message).toContain('contents[1].parts[0]')

      const viaSdk = await ai.models
        .generateContent({ model: 'chat', contents: [{ role: 'system', parts: [{ text: 'x' }] }] })
        .catch((e: unknown) => e)
      expect((viaSdk as ApiError).status).toBe(400)
      expect((viaSdk as ApiError).message).toContain('contents[0].role')
      expect(upstream.requests).toHaveLength(0)
    })

    it('answers a body that is not JSON, and an unknown endpoint, in Google format', async () => {
      const broken = await rawPost('/v1beta/models/chat:generateContent', '{"contents": [')
      expect(broken.status).toBe(400)
      expect(await broken.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } })

      const unknown = await rawPost('/v1beta/models/chat:embedContent', {})
      expect(unknown.status).toBe(404)
      expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } })

      const nowhere = await rawPost('/v1beta/tunedModels/x:generateContent', {})
      expect(nowhere.status).toBe(404)
      expect(await nowhere.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } })
    })

    it('answers an unknown model with 404 NOT_FOUND', async () => {
      const error = await ai.models.generateContent({ model: 'no-such-model', contents: 'hi' }).catch((e: unknown) => e)
      expect((error as ApiError).status).toBe(404)
      expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { status: 'NOT_FOUND' } })
    })

    it('relays an upstream 429 as 429 RESOURCE_EXHAUSTED with its retry delay', async () => {
      upstream.setDefault({
        status: 429,
        retryAfter: '7',
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      })
      const response = await rawPost('/v1beta/models/limited/gpt-4o-mini:generateContent', {
        contents: [{ parts: [{ text: 'hi' }] }],
      })
      expect(response.status).toBe(429)
      expect(response.headers.get('retry-after')).toBe('7')
      const body = (await response.json()) as { error: { status: string; message: string; details: unknown[] } }
      expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' })
      expect(body.error.message).toContain('Rate limit reached for requests')
      expect(body.error.details).toContainEqual({
        '@type': 'type.googleapis.com/google.rpc.RetryInfo',
        retryDelay: '7s',
      })

      const viaSdk = await ai.models
        .generateContent({ model: 'limited/gpt-4o-mini', contents: 'hi' })
        .catch((e: unknown) => e)
      expect((viaSdk as ApiError).status).toBe(429)
    })
  })

  describe('models and tokens', () => {
    it('lists the models the caller may use, across pages', async () => {
      const all: string[] = []
      for await (const model of await ai.models.list({ config: { pageSize: 2 } })) all.push(model.name as string)
      expect(all).toEqual(['models/chat', 'models/other', 'models/openai/gpt-4o-mini', 'models/mock/demo'])

      const narrow = new GoogleGenAI({ apiKey: NARROW_KEY, httpOptions: { baseUrl: `${gateway.url}/genai` } })
      const allowed: string[] = []
      for await (const model of await narrow.models.list()) allowed.push(model.name as string)
      expect(allowed).toEqual(['models/chat'])
    })

    it('gets one model and counts tokens without calling the upstream', async () => {
      const model = await ai.models.get({ model: 'openai/gpt-4o-mini' })
      expect(model.name).toBe('models/openai/gpt-4o-mini')
      // The SDK reads Gemini's `supportedGenerationMethods` into `supportedActions`.
      expect(model.supportedActions).toEqual(['generateContent', 'streamGenerateContent', 'countTokens'])

      const counted = await ai.models.countTokens({ model: 'chat', contents: 'Hello there, how are you?' })
      expect(counted.totalTokens).toBeGreaterThan(5)
      expect(counted.totalTokens).toBeLessThan(30)
      expect(upstream.requests).toHaveLength(0)
    })
  })
})
