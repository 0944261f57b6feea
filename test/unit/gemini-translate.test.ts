/** The pure Gemini translations: requests, responses, stream frames, errors, service-account files. */
import { generateKeyPairSync } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatRequest } from '../../core/canonical/chat.js'
import { fromBatchEmbedResponse, toBatchEmbedRequest } from '../../core/providers/gemini/embeddings.js'
import { errorFromGoogle } from '../../core/providers/gemini/errors.js'
import { parseServiceAccount, ServiceAccountError } from '../../core/providers/gemini/service-account.js'
import { geminiChunks } from '../../core/providers/gemini/stream.js'
import { mimeTypeOf, SKIP_THOUGHT_SIGNATURE, toGeminiRequest } from '../../core/providers/gemini/translate-request.js'
import { finishReasonOf, fromGeminiResponse } from '../../core/providers/gemini/translate-response.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

const chat = (fields: Partial<ChatRequest>): ChatRequest => ({ model: 'm', messages: [], ...fields })

describe('toGeminiRequest', () => {
  it('puts system and developer messages in systemInstruction and merges same-role turns', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
          { role: 'user', content: 'first' },
          { role: 'user', content: 'second' },
          { role: 'assistant', content: 'answer' },
        ],
      }),
      'gemini-2.5-flash',
    )
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Use metric units.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'first' }, { text: 'second' }] },
        { role: 'model', parts: [{ text: 'answer' }] },
      ],
    })
  })

  it('maps every tool_choice', () => {
    const config = (tool_choice: unknown) => toGeminiRequest(chat({ tool_choice }), 'gemini-2.5-flash').toolConfig
    expect(config('auto')).toEqual({ functionCallingConfig: { mode: 'AUTO' } })
    expect(config('none')).toEqual({ functionCallingConfig: { mode: 'NONE' } })
    expect(config('required')).toEqual({ functionCallingConfig: { mode: 'ANY' } })
    expect(config({ type: 'function', function: { name: 'f' } })).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] },
    })
    expect(config(undefined)).toBeUndefined()
  })

  it('maps sampling, penalties, candidates and a JSON schema response format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }
    const body = toGeminiRequest(
      chat({
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 10,
        max_completion_tokens: 20,
        n: 2,
        stop: 'STOP',
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        response_format: { type: 'json_schema', json_schema: { name: 's', schema } },
      }),
      'gemini-2.5-flash',
    )
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 20,
      candidateCount: 2,
      stopSequences: ['STOP'],
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    })
  })

  it('asks for a thinking budget, with the thoughts returned, when a reasoning effort is set', () => {
    const config = (reasoning_effort: unknown) =>
      toGeminiRequest(chat({ messages: [{ role: 'user', content: 'x' }], reasoning_effort }), 'gemini-2.5-pro')
        .generationConfig
    expect(config('medium')).toEqual({ thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } })
    expect(config('high')).toEqual({ thinkingConfig: { thinkingBudget: 24_576, includeThoughts: true } })
    expect(config('extreme')).toBeUndefined()
  })

  it('keeps an assistant turn with text and calls together, and names tool results by call id', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: 'On it.',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: '[1,2]' },
          { role: 'user', content: 'and?' },
        ],
      }),
      'gemini-2.5-flash',
    )
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [{ text: 'On it.' }, { functionCall: { name: 'lookup', args: {} } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'lookup', response: { output: [1, 2] } } }, { text: 'and?' }],
      },
    ])
  })

  it('signs replayed function calls with the sentinel for Gemini 3 only', () => {
    const request = chat({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
      ],
    })
    const model = (id: string) => toGeminiRequest(request, id).contents[1]?.parts
    expect(model('gemini-3-pro-preview')).toEqual([
      { functionCall: { name: 'f', args: {} }, thoughtSignature: SKIP_THOUGHT_SIGNATURE },
      { functionCall: { name: 'g', args: {} }, thoughtSignature: SKIP_THOUGHT_SIGNATURE },
    ])
    expect(model('gemini-2.5-pro')).toEqual([
      { functionCall: { name: 'f', args: {} } },
      { functionCall: { name: 'g', args: {} } },
    ])
  })

  it('refuses what Gemini cannot take, before any call', () => {
    const refused = (request: ChatRequest): UpstreamError => {
      try {
        toGeminiRequest(request, 'gemini-2.5-flash')
      } catch (error) {
        return error as UpstreamError
      }
      throw new Error('expected a refusal')
    }
    const orphan = refused(chat({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }))
    expect(orphan).toBeInstanceOf(UpstreamError)
    expect(orphan).toMatchObject({ errorClass: 'bad_request', uncalled: true })
    const badArgs = refused(
      chat({
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }],
          },
        ],
      }),
    )
    expect(badArgs.message).toMatch(/not JSON/)
    const audioUrl = refused(
      chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }),
    )
    expect(audioUrl.errorClass).toBe('bad_request')
  })

  it('guesses an image mime type from the URL path', () => {
    expect(mimeTypeOf('https://x.test/a/b.PNG')).toBe('image/png')
    expect(mimeTypeOf('https://x.test/cat.jpg?w=100#top')).toBe('image/jpeg')
    expect(mimeTypeOf('https://x.test/doc.pdf')).toBe('application/pdf')
    expect(mimeTypeOf('https://x.test/image')).toBe('image/jpeg')
  })
})

describe('fromGeminiResponse', () => {
  it('turns candidates into choices, using call ids Gemini sent and stable ones otherwise', () => {
    const response = {
      responseId: 'r1',
      modelVersion: 'gemini-3-pro',
      candidates: [
        {
          index: 0,
          content: { parts: [{ functionCall: { id: 'fc-1', name: 'f', args: { a: 'ü' } } }] },
          finishReason: 'STOP',
        },
        { index: 1, content: { parts: [{ functionCall: { name: 'g' } }] }, finishReason: 'STOP' },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
    }
    const completion = fromGeminiResponse(response, 'fallback', 1)
    expect(completion).toMatchObject({ id: 'chatcmpl-r1', model: 'gemini-3-pro', created: 1 })
    expect(completion.choices.map((choice) => choice.finish_reason)).toEqual(['tool_calls', 'tool_calls'])
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'fc-1', type: 'function', function: { name: 'f', arguments: '{"a":"ü"}' } },
    ])
    const generated = completion.choices[1]?.message.tool_calls?.[0]
    expect(generated?.function).toEqual({ name: 'g', arguments: '{}' })
    expect(generated?.id).toMatch(/^call_[0-9a-f]{24}$/)
    // The same response gives the same ids.
    expect(fromGeminiResponse(response, 'fallback').choices[1]?.message.tool_calls?.[0]?.id).toBe(generated?.id)
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 })
  })

  it('maps finish reasons', () => {
    expect(finishReasonOf('STOP', false)).toBe('stop')
    expect(finishReasonOf('STOP', true)).toBe('tool_calls')
    expect(finishReasonOf('MAX_TOKENS', true)).toBe('length')
    for (const reason of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) {
      expect(finishReasonOf(reason, false)).toBe('content_filter')
    }
    expect(finishReasonOf(undefined, false)).toBeNull()
  })
})

describe('errorFromGoogle', () => {
  const classOf = (httpStatus: number, status: string, message = 'x') =>
    errorFromGoogle(httpStatus, { code: httpStatus, status, message }, '').errorClass

  it('classifies by Google status', () => {
    expect(classOf(429, 'RESOURCE_EXHAUSTED')).toBe('rate_limited')
    expect(classOf(503, 'UNAVAILABLE')).toBe('overloaded')
    expect(classOf(500, 'INTERNAL')).toBe('server_error')
    expect(classOf(401, 'UNAUTHENTICATED')).toBe('auth')
    expect(classOf(403, 'PERMISSION_DENIED')).toBe('auth')
    expect(classOf(404, 'NOT_FOUND')).toBe('not_found')
    expect(classOf(400, 'INVALID_ARGUMENT')).toBe('bad_request')
    expect(classOf(504, 'DEADLINE_EXCEEDED')).toBe('timeout')
    expect(
      classOf(
        400,
        'INVALID_ARGUMENT',
        'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).',
      ),
    ).toBe('context_length_exceeded')
  })

  it('treats a rejected API key as the key being out, and reads RetryInfo', () => {
    const badKey = errorFromGoogle(
      400,
      {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'API key not valid.',
        details: [{ reason: 'API_KEY_INVALID' }],
      },
      '',
    )
    expect(badKey).toMatchObject({ errorClass: 'auth', status: 401 })
    const limited = errorFromGoogle(
      429,
      {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12.5s' }],
      },
      '',
    )
    expect(limited.retryAfterSeconds).toBe(12.5)
    // A Retry-After header wins over the body.
    expect(errorFromGoogle(429, { status: 'RESOURCE_EXHAUSTED', message: 'q' }, '', 2).retryAfterSeconds).toBe(2)
  })
})

describe('geminiChunks', () => {
  /** Bytes, as undici delivers them. */
  const frame = (data: unknown) => Buffer.from(`data: ${JSON.stringify(data)}\r\n\r\n`)
  const run = async (body: Readable, includeUsage = true): Promise<ChatChunk[]> => {
    const chunks: ChatChunk[] = []
    for await (const chunk of geminiChunks(body, new AbortController().signal, { includeUsage, model: 'm' })) {
      chunks.push(chunk)
    }
    return chunks
  }

  it('parses frames split anywhere, and ends with the usage of the last frame', async () => {
    const frames = [
      frame({
        responseId: 'r',
        candidates: [{ content: { parts: [{ text: 'Hel' }] } }],
        usageMetadata: { promptTokenCount: 3 },
      }),
      frame({
        responseId: 'r',
        candidates: [{ content: { parts: [{ text: 'lo' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 },
      }),
    ]
    // Three-byte pieces split the CRLF framing and the multi-byte characters alike.
    const bytes = Buffer.concat(frames)
    const pieces = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.subarray(i * 3, i * 3 + 3))
    const chunks = await run(Readable.from(pieces))
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello')
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    expect(chunks[chunks.length - 1]).toMatchObject({
      id: 'chatcmpl-r',
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    })
  })

  it('throws when the stream ends before a finish reason', async () => {
    const body = Readable.from([frame({ candidates: [{ content: { parts: [{ text: 'Hel' }] } }] })])
    await expect(run(body)).rejects.toMatchObject({ errorClass: 'server_error' })
  })

  it('throws the classified error of an error frame', async () => {
    const body = Readable.from([
      frame({ candidates: [{ content: { parts: [{ text: 'Hel' }] } }] }),
      frame({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down' } }),
    ])
    await expect(run(body)).rejects.toMatchObject({ errorClass: 'rate_limited', message: 'slow down' })
  })

  it('destroys the upstream body when the consumer stops early', async () => {
    const body = new Readable({ read() {} })
    body.push(frame({ candidates: [{ content: { parts: [{ text: 'a' }] } }] }))
    const iterator = geminiChunks(body, new AbortController().signal, { includeUsage: false, model: 'm' })
    expect((await iterator.next()).value?.choices[0]?.delta.role).toBe('assistant')
    await iterator.return(undefined)
    expect(body.destroyed).toBe(true)
  })
})

describe('embeddings', () => {
  it('builds a batch request and refuses token ids and short answers', () => {
    expect(toBatchEmbedRequest({ model: 'e', input: 'hi' }, 'e')).toEqual({
      requests: [{ model: 'models/e', content: { parts: [{ text: 'hi' }] } }],
    })
    expect(() => toBatchEmbedRequest({ model: 'e', input: [1, 2, 3] }, 'e')).toThrow(/text input/)
    expect(() =>
      fromBatchEmbedResponse({ embeddings: [{ values: [1] }] }, { model: 'e', input: ['a', 'b'] }, 'e'),
    ).toThrow(/1 embeddings for 2 inputs/)
  })
})

describe('parseServiceAccount', () => {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 1024,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  const file = { type: 'service_account', client_email: 'a@b.iam.gserviceaccount.com', private_key: privateKey }

  it('reads a key file, defaulting the token endpoint', () => {
    expect(parseServiceAccount(JSON.stringify(file))).toEqual({
      clientEmail: file.client_email,
      privateKey,
      tokenUri: 'https://oauth2.googleapis.com/token',
    })
  })

  it('names what is wrong without echoing the file', () => {
    const problem = (text: string): string => {
      try {
        parseServiceAccount(text)
      } catch (error) {
        expect(error).toBeInstanceOf(ServiceAccountError)
        expect((error as Error).message).not.toContain('PRIVATE KEY')
        return (error as Error).message
      }
      throw new Error('expected a problem')
    }
    expect(problem('{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----')).toMatch(/not JSON/)
    expect(problem(JSON.stringify({ ...file, type: 'authorized_user' }))).toMatch(/authorized_user/)
    expect(problem(JSON.stringify({ ...file, client_email: undefined }))).toMatch(/client_email/)
    expect(
      problem(JSON.stringify({ ...file, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' })),
    ).toMatch(/not a readable RSA key/)
    expect(problem(JSON.stringify({ ...file, token_uri: 'file:///etc/passwd' }))).toMatch(/token_uri/)
  })
})
