/**
 * The Google GenAI surface's pure translations: Gemini requests -> canonical,
 * canonical answers and streams -> Gemini, usage, errors and paths.
 */
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatCompletion, Usage } from '../../core/canonical/chat.js'
import { GatewayError, isGatewayError } from '../../core/errors.js'
import { googleErrorBody, googleStatus } from '../../core/http/surfaces/genai/errors.js'
import { isModelList, parseModelPath } from '../../core/http/surfaces/genai/model-path.js'
import { parseGenerateContent } from '../../core/http/surfaces/genai/parse-request.js'
import { finishReasonOf, renderGenerateContent } from '../../core/http/surfaces/genai/render-response.js'
import { toJsonSchema } from '../../core/http/surfaces/genai/schema.js'
import { genaiStreamEncoder } from '../../core/http/surfaces/genai/stream.js'
import { usageMetadataOf } from '../../core/http/surfaces/genai/usage.js'
import { usageFromGemini } from '../../core/providers/gemini/usage.js'

const target = { model: 'route-a', stream: false }
const user = (text: string) => ({ role: 'user', parts: [{ text }] })

/** The 400 a body gets, with the field it names. */
function rejection(body: unknown): { status: number; param: string | null; message: string } {
  try {
    parseGenerateContent(body, target)
  } catch (error) {
    if (!isGatewayError(error)) throw error
    return { status: error.status, param: error.param, message: error.message }
  }
  throw new Error('expected the request to be refused')
}

describe('parseGenerateContent', () => {
  it('maps the system instruction, turns and generation config', () => {
    const request = parseGenerateContent(
      {
        systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'No emoji.' }] },
        contents: [
          user('hi'),
          { role: 'model', parts: [{ text: 'Hel' }, { text: 'lo', thoughtSignature: 'sig' }] },
          { parts: [{ text: 'again' }] },
        ],
        generationConfig: {
          maxOutputTokens: 100,
          temperature: 0.5,
          topP: 0.9,
          topK: 40,
          stopSequences: ['STOP'],
          candidateCount: 2,
          seed: 42,
          presencePenalty: 0.1,
          frequencyPenalty: -0.2,
        },
      },
      { model: 'openai/gpt-4o', stream: true },
    )
    expect(request).toEqual({
      model: 'openai/gpt-4o',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.\nNo emoji.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'again' },
      ],
      max_completion_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['STOP'],
      n: 2,
      seed: 42,
      presence_penalty: 0.1,
      frequency_penalty: -0.2,
    })
  })

  it('maps media parts to the OpenAI parts that carry them', () => {
    const request = parseGenerateContent(
      {
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'Look:' },
              { inlineData: { mimeType: 'image/png', data: 'iVBORw0K' } },
              { fileData: { fileUri: 'https://example.com/cat.jpg', mimeType: 'image/jpeg' } },
              { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
              { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=', displayName: 'spec.pdf' } },
              { inlineData: { mimeType: 'text/plain', data: Buffer.from('plain ü').toString('base64') } },
            ],
          },
        ],
      },
      target,
    )
    expect(request.messages[0]?.content).toEqual([
      { type: 'text', text: 'Look:' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
      { type: 'text', text: 'plain ü' },
    ])
  })

  it('gives calls without ids stable ids and matches responses by id, then by name', () => {
    const request = parseGenerateContent(
      {
        contents: [
          user('go'),
          {
            role: 'model',
            parts: [
              { thought: true, text: 'I should call both.' },
              { functionCall: { name: 'a', args: { x: 1 } } },
              { functionCall: { id: 'given', name: 'b' } },
              { functionCall: { name: 'a', args: { x: 2 } } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { id: 'given', name: 'b', response: { ok: true } } },
              { functionResponse: { name: 'a', response: { result: 1 } } },
              { functionResponse: { name: 'a', response: { result: 2 } } },
              { text: 'and now?' },
            ],
          },
        ],
      },
      target,
    )
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1_0', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
          { id: 'given', type: 'function', function: { name: 'b', arguments: '{}' } },
          { id: 'call_1_2', type: 'function', function: { name: 'a', arguments: '{"x":2}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'given', content: '{"ok":true}' },
      { role: 'tool', tool_call_id: 'call_1_0', content: '{"result":1}' },
      { role: 'tool', tool_call_id: 'call_1_2', content: '{"result":2}' },
      { role: 'user', content: 'and now?' },
    ])
  })

  it('maps function declarations and every calling mode', () => {
    const tools = [
      {
        functionDeclarations: [
          { name: 'a', description: 'A', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' } } } },
          { name: 'b', parametersJsonSchema: { type: 'object', additionalProperties: false } },
          { name: 'c' },
        ],
      },
    ]
    const choose = (functionCallingConfig: unknown) =>
      parseGenerateContent({ contents: [user('x')], tools, toolConfig: { functionCallingConfig } }, target)

    const auto = choose({ mode: 'AUTO' })
    expect(auto.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'a',
          description: 'A',
          parameters: { type: 'object', properties: { q: { type: 'string' } } },
        },
      },
      { type: 'function', function: { name: 'b', parameters: { type: 'object', additionalProperties: false } } },
      { type: 'function', function: { name: 'c' } },
    ])
    expect(auto.tool_choice).toBe('auto')
    expect(choose({ mode: 'NONE' }).tool_choice).toBe('none')
    expect(choose({ mode: 'ANY' }).tool_choice).toBe('required')
    expect(choose({}).tool_choice).toBeUndefined()

    const one = choose({ mode: 'ANY', allowedFunctionNames: ['b'] })
    expect(one.tool_choice).toEqual({ type: 'function', function: { name: 'b' } })
    expect(one.tools?.map((tool) => tool.function.name)).toEqual(['b'])

    const some = choose({ mode: 'ANY', allowedFunctionNames: ['a', 'c'] })
    expect(some.tool_choice).toBe('required')
    expect(some.tools?.map((tool) => tool.function.name)).toEqual(['a', 'c'])

    const validated = choose({ mode: 'VALIDATED', allowedFunctionNames: ['c'] })
    expect(validated.tool_choice).toBe('auto')
    expect(validated.tools?.map((tool) => tool.function.name)).toEqual(['c'])
  })

  it('maps JSON output settings to response_format', () => {
    const format = (generationConfig: unknown) =>
      parseGenerateContent({ contents: [user('x')], generationConfig }, target).response_format
    expect(format({ responseMimeType: 'application/json' })).toEqual({ type: 'json_object' })
    expect(format({ responseMimeType: 'text/plain' })).toBeUndefined()
    expect(format({ responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } })).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'object' } },
    })
    expect(
      format({ responseMimeType: 'application/json', responseSchema: { type: 'ARRAY', items: { type: 'NUMBER' } } }),
    ).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'array', items: { type: 'number' } } },
    })
  })

  it.each([
    [{}, 'contents'],
    [{ contents: [] }, 'contents'],
    [{ contents: 'hi' }, 'contents'],
    [{ contents: [{ role: 'user', parts: [] }] }, 'contents[0].parts'],
    [{ contents: [user('a'), { role: 'user', parts: [{ bogus: true }] }] }, 'contents[1].parts[0]'],
    [{ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, 'contents[0].role'],
    [
      { contents: [{ role: 'model', parts: [{ functionCall: { args: {} } }] }] },
      'contents[0].parts[0].functionCall.name',
    ],
    [
      { contents: [{ role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: '' } }] }] },
      'contents[0].parts[0]',
    ],
    [{ contents: [{ role: 'user', parts: [{ functionCall: { name: 'f' } }] }] }, 'contents[0].parts[0]'],
    [
      { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'never_called', response: {} } }] }] },
      'contents[0].parts[0].functionResponse',
    ],
    [
      { contents: [{ parts: [{ inlineData: { mimeType: 'video/mp4', data: 'AAAA' } }] }] },
      'contents[0].parts[0].inlineData.mimeType',
    ],
    [
      { contents: [user('x')], systemInstruction: { parts: [{ inlineData: { mimeType: 'image/png', data: 'x' } }] } },
      'systemInstruction.parts[0]',
    ],
    [{ contents: [user('x')], generationConfig: { temperature: 3 } }, 'generationConfig.temperature'],
    [{ contents: [user('x')], generationConfig: { maxOutputTokens: 0 } }, 'generationConfig.maxOutputTokens'],
    [{ contents: [user('x')], generationConfig: { stopSequences: 'STOP' } }, 'generationConfig.stopSequences'],
    [
      { contents: [user('x')], generationConfig: { responseModalities: ['IMAGE'] } },
      'generationConfig.responseModalities',
    ],
    [
      { contents: [user('x')], generationConfig: { responseSchema: { type: 'OBJECT' } } },
      'generationConfig.responseMimeType',
    ],
    [{ contents: [user('x')], tools: [{ googleSearch: {} }] }, 'tools[0].googleSearch'],
    [
      { contents: [user('x')], tools: [{ functionDeclarations: [{ name: '' }] }] },
      'tools[0].functionDeclarations[0].name',
    ],
    [
      { contents: [user('x')], tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'WEIRD' } }] }] },
      'tools[0].functionDeclarations[0].parameters.type',
    ],
    [
      { contents: [user('x')], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['g'] } } },
      'toolConfig.functionCallingConfig.allowedFunctionNames',
    ],
    [
      { contents: [user('x')], toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } } },
      'toolConfig.functionCallingConfig.mode',
    ],
    [{ contents: [user('x')], cachedContent: 'cachedContents/abc' }, 'cachedContent'],
  ])('refuses %j with a 400 naming %s', (body, field) => {
    const refused = rejection(body)
    expect(refused.status).toBe(400)
    expect(refused.param).toBe(field)
    expect(refused.message).toContain(field)
  })

  it('refuses a body that is not an object', () => {
    expect(rejection([1, 2]).status).toBe(400)
    expect(rejection(null).status).toBe(400)
  })
})

describe('toJsonSchema', () => {
  it('lower-cases types, expands nullable, reads int64 strings and drops Gemini-only fields', () => {
    expect(
      toJsonSchema(
        {
          type: 'OBJECT',
          propertyOrdering: ['name', 'tags'],
          properties: {
            name: { type: 'STRING', nullable: true, example: 'Ada', maxLength: '20' },
            tags: { type: 'ARRAY', items: { type: 'STRING', enum: ['a', 'b'] }, minItems: '1' },
            either: { anyOf: [{ type: 'INTEGER' }, { type: 'BOOLEAN' }], nullable: true },
            anything: { type: 'TYPE_UNSPECIFIED', description: 'free' },
          },
          required: ['name'],
        },
        'p',
      ),
    ).toEqual({
      type: 'object',
      properties: {
        name: { type: ['string', 'null'], examples: ['Ada'], maxLength: 20 },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1 },
        either: { anyOf: [{ type: 'integer' }, { type: 'boolean' }, { type: 'null' }] },
        anything: { description: 'free' },
      },
      required: ['name'],
    })
  })

  it('names the field of a bad bound', () => {
    expect(() => toJsonSchema({ type: 'ARRAY', maxItems: 'many' }, 'p')).toThrow(/p\.maxItems/)
  })
})

describe('usageMetadataOf', () => {
  it('takes reasoning out of the candidates count and keeps cached tokens in the prompt', () => {
    const usage: Usage = {
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 30 },
      completion_tokens_details: { reasoning_tokens: 20 },
    }
    const metadata = usageMetadataOf(usage)
    expect(metadata).toEqual({
      promptTokenCount: 100,
      candidatesTokenCount: 30,
      thoughtsTokenCount: 20,
      cachedContentTokenCount: 30,
      totalTokenCount: 150,
    })
    // The inverse of the outbound adapter's conversion.
    expect(usageFromGemini(metadata)).toEqual(usage)
  })

  it('leaves out the counts that are zero', () => {
    expect(usageMetadataOf({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 })).toEqual({
      promptTokenCount: 7,
      candidatesTokenCount: 3,
      totalTokenCount: 10,
    })
  })
})

const completion = (message: ChatCompletion['choices'][number]['message'], finish: string | null = 'stop') =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  }) as ChatCompletion

describe('renderGenerateContent', () => {
  it('renders reasoning, text and calls as parts, with the call ids', () => {
    const rendered = renderGenerateContent(
      completion(
        {
          role: 'assistant',
          content: 'Checking.',
          reasoning_content: 'The user wants weather.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'w', arguments: '{"city":"Zürich \\"A\\""}' } },
          ],
        },
        'tool_calls',
      ),
    )
    expect(rendered).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'The user wants weather.', thought: true },
              { text: 'Checking.' },
              { functionCall: { id: 'call_1', name: 'w', args: { city: 'Zürich "A"' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
      modelVersion: 'gpt-4o',
      responseId: 'chatcmpl-1',
    })
  })

  it('maps finish reasons', () => {
    expect(['stop', 'length', 'content_filter', 'tool_calls', 'function_call', 'weird'].map(finishReasonOf)).toEqual([
      'STOP',
      'MAX_TOKENS',
      'SAFETY',
      'STOP',
      'STOP',
      'OTHER',
    ])
  })

  it('shows a refusal as the text, and treats empty arguments as no arguments', () => {
    const rendered = renderGenerateContent(
      completion({
        role: 'assistant',
        content: null,
        refusal: 'I cannot help with that.',
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '' } }],
      }),
    )
    expect(rendered.candidates?.[0]?.content?.parts).toEqual([
      { text: 'I cannot help with that.' },
      { functionCall: { id: 'c', name: 'f', args: {} } },
    ])
  })

  it('refuses arguments that are not a JSON object as the upstream failure they are', () => {
    for (const args of ['[1,2]', '{"broken', '"text"']) {
      try {
        renderGenerateContent(
          completion({
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }],
          }),
        )
        expect.unreachable()
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError)
        expect((error as GatewayError).status).toBe(502)
      }
    }
  })
})

const chunk = (choices: ChatChunk['choices'], usage?: Usage): ChatChunk => ({
  id: 'chatcmpl-s',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices,
  ...(usage && { usage }),
})
const USAGE: Usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }

/** The responses in SSE frames. */
const sseData = (frames: Array<string | Uint8Array | null>) =>
  frames
    .filter((frame): frame is string => typeof frame === 'string')
    .join('')
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true)
      return JSON.parse(frame.slice('data: '.length))
    })

describe('genaiStreamEncoder', () => {
  it('sends text as it comes, and one closing frame with the finish and the usage', () => {
    const encoder = genaiStreamEncoder('sse')
    expect(encoder.contentType).toContain('text/event-stream')
    const frames = [
      encoder.chunk(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])),
      encoder.chunk(chunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }])),
      encoder.chunk(chunk([{ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null }])),
      encoder.chunk(chunk([{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }])),
      encoder.chunk(chunk([], USAGE)),
      encoder.end(),
    ]
    expect(frames[0]).toBeNull()
    expect(frames[5]).toBeNull()
    const base = { modelVersion: 'gpt-4o', responseId: 'chatcmpl-s' }
    expect(sseData(frames)).toEqual([
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }], ...base },
      { candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }] }, index: 0 }], ...base },
      { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, index: 0 }], ...base },
      {
        candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 },
        ...base,
      },
    ])
  })

  it('buffers fragmented calls of several choices and sends each call whole with its finish', () => {
    const encoder = genaiStreamEncoder('sse')
    const call = (index: number, fields: object) => ({ tool_calls: [{ index, ...fields }] })
    const frames = [
      encoder.chunk(
        chunk([
          {
            index: 0,
            delta: call(0, { id: 'a', type: 'function', function: { name: 'f', arguments: '' } }),
            finish_reason: null,
          },
        ]),
      ),
      encoder.chunk(chunk([{ index: 0, delta: call(0, { function: { arguments: '{"q":"ü' } }), finish_reason: null }])),
      encoder.chunk(chunk([{ index: 1, delta: { content: 'second choice' }, finish_reason: 'length' }])),
      encoder.chunk(
        chunk([
          { index: 0, delta: call(1, { id: 'b', function: { name: 'g', arguments: '{}' } }), finish_reason: null },
        ]),
      ),
      encoder.chunk(chunk([{ index: 0, delta: call(0, { function: { arguments: '\\""}' } }), finish_reason: null }])),
      encoder.chunk(chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }])),
      // No usage chunk: the stream's end closes it.
      encoder.end(),
    ]
    const responses = sseData(frames)
    expect(responses).toHaveLength(2)
    expect(responses[1].candidates).toEqual([
      {
        content: {
          role: 'model',
          parts: [
            { functionCall: { id: 'a', name: 'f', args: { q: 'ü"' } } },
            { functionCall: { id: 'b', name: 'g', args: {} } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
      { content: { role: 'model', parts: [] }, finishReason: 'MAX_TOKENS', index: 1 },
    ])
    expect(responses[1].usageMetadata).toBeUndefined()
  })

  it('frames a stream as one JSON array without alt=sse', () => {
    const encoder = genaiStreamEncoder('json-array')
    expect(encoder.contentType).toContain('application/json')
    const text = [
      encoder.chunk(chunk([{ index: 0, delta: { content: 'a' }, finish_reason: null }])),
      encoder.chunk(chunk([{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }])),
      encoder.chunk(chunk([], USAGE)),
      encoder.end(),
    ].join('')
    const parsed = JSON.parse(text) as Array<{ candidates: unknown[]; usageMetadata?: unknown }>
    expect(parsed).toHaveLength(3)
    expect(parsed[2]?.usageMetadata).toEqual({ promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 })

    expect(JSON.parse(genaiStreamEncoder('json-array').end() as string)).toEqual([])
  })

  it('ends a failed stream with an error element the SDK raises', () => {
    const error = new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_error', message: 'boom' })
    const sse = genaiStreamEncoder('sse')
    sse.chunk(chunk([{ index: 0, delta: { content: 'a' }, finish_reason: null }]))
    expect(sseData([sse.error(error, (text) => text)])).toEqual([
      {
        error: {
          code: 502,
          message: 'boom',
          status: 'UNAVAILABLE',
          details: [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'upstream_error', domain: 'llm-gateway' },
          ],
        },
      },
    ])

    const array = genaiStreamEncoder('json-array')
    const text = [
      array.chunk(chunk([{ index: 0, delta: { content: 'a' }, finish_reason: null }])),
      array.error(error, (t) => t.replace('boom', '[redacted]')),
    ].join('')
    const parsed = JSON.parse(text) as Array<{ error?: { message: string } }>
    expect(parsed.at(-1)?.error?.message).toBe('[redacted]')
  })
})

describe('Google errors', () => {
  it.each([
    [400, 'invalid_request_error', 'INVALID_ARGUMENT'],
    [401, 'authentication_error', 'UNAUTHENTICATED'],
    [403, 'permission_error', 'PERMISSION_DENIED'],
    [404, 'not_found_error', 'NOT_FOUND'],
    [413, 'invalid_request_error', 'INVALID_ARGUMENT'],
    [429, 'rate_limit_error', 'RESOURCE_EXHAUSTED'],
    [402, 'insufficient_quota', 'RESOURCE_EXHAUSTED'],
    [500, 'api_error', 'INTERNAL'],
    [502, 'upstream_error', 'UNAVAILABLE'],
    [503, 'api_error', 'UNAVAILABLE'],
    [504, 'timeout_error', 'DEADLINE_EXCEEDED'],
    [408, 'timeout_error', 'DEADLINE_EXCEEDED'],
  ] as const)('%i %s -> %s', (status, type, expected) => {
    expect(googleStatus({ status, type })).toBe(expected)
  })

  it('puts the code, the field and the retry delay in Google-style details, scrubbed', () => {
    const error = new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      param: 'model',
      message: 'slow down sk-secret',
      headers: { 'retry-after': '12' },
    })
    expect(googleErrorBody(error, (text) => text.replace('sk-secret', '***'))).toEqual({
      error: {
        code: 429,
        message: 'slow down ***',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'rate_limit_exceeded', domain: 'llm-gateway' },
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'model', description: 'slow down ***' }],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
        ],
      },
    })
  })
})

describe('parseModelPath', () => {
  it('takes everything between models/ and the last colon, decoded', () => {
    expect(parseModelPath('/v1beta/models/chat:generateContent')).toEqual({
      version: 'v1beta',
      resource: 'chat:generateContent',
      model: 'chat',
      method: 'generateContent',
    })
    expect(parseModelPath('/v1/models/openai/gpt-4o:streamGenerateContent')?.model).toBe('openai/gpt-4o')
    expect(parseModelPath('/v1beta/models/openai%2Fgpt-4o%3AcountTokens')).toMatchObject({
      model: 'openai/gpt-4o',
      method: 'countTokens',
    })
    expect(parseModelPath('/v1beta/models/bedrock/anthropic.claude-v2:1:generateContent')).toMatchObject({
      model: 'bedrock/anthropic.claude-v2:1',
      method: 'generateContent',
    })
    expect(parseModelPath('/v1beta/models/openai/gpt-4o')).toMatchObject({ resource: 'openai/gpt-4o', method: null })
  })

  it('knows no other versions or collections, and refuses bad encodings', () => {
    expect(parseModelPath('/v2/models/chat:generateContent')).toBeNull()
    expect(parseModelPath('/v1beta/tunedModels/chat:generateContent')).toBeNull()
    expect(parseModelPath('/v1beta/models/')).toBeNull()
    expect(() => parseModelPath('/v1beta/models/%E0%A4%A:generateContent')).toThrow(/URL-encoded/)
    expect(isModelList('/v1beta/models')).toBe(true)
    expect(isModelList('/v1/models/')).toBe(true)
    expect(isModelList('/v3/models')).toBe(false)
  })
})
