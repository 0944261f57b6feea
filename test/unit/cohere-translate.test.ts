import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatRequest } from '../../core/canonical/chat.js'
import { base64ToFloats } from '../../core/canonical/embeddings.js'
import { fromCohereEmbedResponse, toCohereEmbedRequest } from '../../core/providers/cohere/embeddings.js'
import { errorFromCohere, messageOfErrorBody } from '../../core/providers/cohere/errors.js'
import { cohereChunks } from '../../core/providers/cohere/stream.js'
import { toCohereRequest } from '../../core/providers/cohere/translate-request.js'
import { fromCohereResponse } from '../../core/providers/cohere/translate-response.js'
import { usageFromCohere } from '../../core/providers/cohere/usage.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

const request = (fields: Partial<ChatRequest>): ChatRequest => ({ model: 'x', messages: [], ...fields })

describe('toCohereRequest', () => {
  it('hoists system and developer messages into one leading system message', () => {
    const body = toCohereRequest(
      request({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
        ],
      }),
      'command-a',
    )
    expect(body).toEqual({
      model: 'command-a',
      messages: [
        { role: 'system', content: 'Be brief.\n\nNo emoji.' },
        { role: 'user', content: 'hi' },
      ],
    })
  })

  it('keeps text and image_url parts of a user message', () => {
    const body = toCohereRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K', detail: 'low' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
      'm',
    )
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ])
  })

  it('refuses parts Cohere cannot take, without calling the upstream', () => {
    const attempt = () =>
      toCohereRequest(
        request({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }),
        'm',
      )
    expect(attempt).toThrow(UpstreamError)
    expect(attempt).toThrow(/input_audio/)
    try {
      attempt()
    } catch (error) {
      expect(error).toMatchObject({ errorClass: 'bad_request', uncalled: true })
    }
  })

  it('sends assistant text beside tool calls as tool_plan, and plain assistant text as content', () => {
    const call = { id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '{"a":"ü \\"q\\""}' } }
    const body = toCohereRequest(
      request({
        messages: [
          { role: 'assistant', content: 'Let me check.', tool_calls: [call] },
          { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'result' }] },
          { role: 'assistant', content: 'Done.' },
        ],
      }),
      'm',
    )
    expect(body.messages).toEqual([
      { role: 'assistant', tool_plan: 'Let me check.', tool_calls: [call] },
      { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'result' }] },
      { role: 'assistant', content: 'Done.' },
    ])
  })

  it('maps sampling fields to Cohere names and prefers max_completion_tokens', () => {
    const body = toCohereRequest(
      request({
        max_tokens: 10,
        max_completion_tokens: 20,
        top_p: 0.5,
        temperature: 0,
        stop: 'END',
        seed: 3,
        frequency_penalty: 0.2,
        presence_penalty: 0.4,
        stream: true,
        user: 'ignored-by-cohere',
      }),
      'm',
    )
    expect(body).toEqual({
      model: 'm',
      messages: [],
      stream: true,
      max_tokens: 20,
      temperature: 0,
      p: 0.5,
      stop_sequences: ['END'],
      seed: 3,
      frequency_penalty: 0.2,
      presence_penalty: 0.4,
    })
  })

  it('maps response_format json_object and json_schema, and leaves text alone', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } }
    expect(toCohereRequest(request({ response_format: { type: 'json_object' } }), 'm').response_format).toEqual({
      type: 'json_object',
    })
    expect(
      toCohereRequest(
        request({ response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema } } }),
        'm',
      ).response_format,
    ).toEqual({ type: 'json_object', json_schema: schema })
    expect(toCohereRequest(request({ response_format: { type: 'text' } }), 'm').response_format).toBeUndefined()
  })

  it('maps tool_choice: required, none, auto, and a named function as that tool alone', () => {
    const tools = [
      { type: 'function' as const, function: { name: 'a', parameters: { type: 'object' } } },
      { type: 'function' as const, function: { name: 'b', description: 'B' } },
    ]
    expect(toCohereRequest(request({ tools, tool_choice: 'required' }), 'm')).toMatchObject({
      tools,
      tool_choice: 'REQUIRED',
    })
    expect(toCohereRequest(request({ tools, tool_choice: 'none' }), 'm').tool_choice).toBe('NONE')
    expect(toCohereRequest(request({ tools, tool_choice: 'auto' }), 'm').tool_choice).toBeUndefined()
    const named = toCohereRequest(request({ tools, tool_choice: { type: 'function', function: { name: 'b' } } }), 'm')
    expect(named.tools).toEqual([
      { type: 'function', function: { name: 'b', description: 'B', parameters: { type: 'object', properties: {} } } },
    ])
    expect(named.tool_choice).toBe('REQUIRED')
    expect(() =>
      toCohereRequest(request({ tools, tool_choice: { type: 'function', function: { name: 'zzz' } } }), 'm'),
    ).toThrow(/zzz/)
  })

  it('refuses n > 1', () => {
    expect(() => toCohereRequest(request({ n: 2 }), 'm')).toThrow(/n must be 1/)
  })
})

describe('fromCohereResponse', () => {
  const usage = { billed_units: { input_tokens: 9, output_tokens: 4 }, tokens: { input_tokens: 12, output_tokens: 5 } }

  it('joins text parts, leaves thinking out, and uses the requested model', () => {
    const completion = fromCohereResponse(
      {
        id: 'r1',
        finish_reason: 'COMPLETE',
        message: {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm' },
            { type: 'text', text: 'Hello, ' },
            { type: 'text', text: 'wörld.' },
          ],
        },
        usage,
      },
      'command-a',
      1700000000,
    )
    expect(completion).toEqual({
      id: 'r1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'command-a',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, wörld.' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 } },
    })
  })

  it('puts tool_plan in content beside the tool calls; content is null with calls and no text', () => {
    const calls = [
      { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
      { id: 't2', type: 'function', function: { name: 'b', arguments: '' } },
    ]
    const withPlan = fromCohereResponse(
      { id: 'r', finish_reason: 'TOOL_CALL', message: { tool_plan: 'Plan.', tool_calls: calls } },
      'm',
    )
    expect(withPlan.choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'Plan.',
      tool_calls: [
        { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
        { id: 't2', type: 'function', function: { name: 'b', arguments: '{}' } },
      ],
    })
    expect(withPlan.choices[0]?.finish_reason).toBe('tool_calls')
    const bare = fromCohereResponse({ id: 'r', finish_reason: 'TOOL_CALL', message: { tool_calls: calls } }, 'm')
    expect(bare.choices[0]?.message.content).toBeNull()
    expect(bare.usage).toBeUndefined()
  })

  it.each([
    ['COMPLETE', 'stop'],
    ['STOP_SEQUENCE', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['TOOL_CALL', 'tool_calls'],
    ['ERROR_TOXIC', 'content_filter'],
    [null, null],
  ])('maps finish_reason %s to %s', (cohere, openai) => {
    const completion = fromCohereResponse({ id: 'r', finish_reason: cohere, message: { content: [] } }, 'm')
    expect(completion.choices[0]?.finish_reason).toBe(openai)
  })

  it('throws a server error for finish_reason ERROR', () => {
    expect(() => fromCohereResponse({ id: 'r', finish_reason: 'ERROR', message: {} }, 'm')).toThrow(UpstreamError)
    try {
      fromCohereResponse({ id: 'r', finish_reason: 'ERROR', message: {} }, 'm')
    } catch (error) {
      expect(error).toMatchObject({ errorClass: 'server_error' })
    }
  })
})

describe('usageFromCohere', () => {
  it('prefers the full token counts, with cached tokens as a part of the prompt', () => {
    expect(
      usageFromCohere({
        billed_units: { input_tokens: 100, output_tokens: 10 },
        tokens: { input_tokens: 130, output_tokens: 15 },
        cached_tokens: 64,
      }),
    ).toEqual({
      prompt_tokens: 130,
      completion_tokens: 15,
      total_tokens: 145,
      prompt_tokens_details: { cached_tokens: 64 },
    })
  })

  it('falls back to billed units, field by field', () => {
    expect(usageFromCohere({ billed_units: { input_tokens: 100, output_tokens: 10 } })).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 10,
      total_tokens: 110,
    })
    expect(
      usageFromCohere({ billed_units: { input_tokens: 100, output_tokens: 10 }, tokens: { input_tokens: 120 } }),
    ).toMatchObject({ prompt_tokens: 120, completion_tokens: 10, total_tokens: 130 })
  })

  it('clamps cached tokens to the prompt and reports nothing without counts', () => {
    expect(usageFromCohere({ tokens: { input_tokens: 5, output_tokens: 1 }, cached_tokens: 50 })).toMatchObject({
      prompt_tokens_details: { cached_tokens: 5 },
    })
    expect(usageFromCohere({})).toBeUndefined()
    expect(usageFromCohere(null)).toBeUndefined()
  })
})

describe('Cohere errors', () => {
  it.each([
    [400, 'too many tokens: size limit exceeded by 11326 tokens.', 'context_length_exceeded', 400],
    [400, 'invalid request: message must not be empty', 'bad_request', 400],
    [401, 'invalid api token', 'auth', 401],
    [498, 'invalid api token', 'auth', 401],
    [402, 'Please add a payment method', 'auth', 402],
    [404, "model 'x' not found", 'not_found', 404],
    [422, 'unprocessable', 'bad_request', 422],
    [429, 'rate limited', 'rate_limited', 429],
    [499, 'request cancelled', 'server_error', 499],
    [500, 'internal server error', 'server_error', 500],
    [503, 'service unavailable', 'overloaded', 503],
    [504, 'gateway timeout', 'timeout', 504],
  ])('HTTP %i "%s" is %s (status %i)', (status, message, errorClass, reported) => {
    const error = errorFromCohere(status, message, 3)
    expect(error).toMatchObject({ errorClass, status: reported, message, retryAfterSeconds: 3 })
  })

  it('reads the message of `{ id, message }`, and keeps other bodies as text', () => {
    expect(messageOfErrorBody('{"id":"abc","message":"too many tokens"}', 400)).toBe('too many tokens')
    expect(messageOfErrorBody('<html>bad gateway</html>', 502)).toBe('<html>bad gateway</html>')
    expect(messageOfErrorBody('', 500)).toBe('HTTP 500')
  })
})

/** Cohere's SSE framing: `event:` line, then `data:` whose JSON repeats the type. */
function sse(events: Array<Record<string, unknown> & { type: string }>): string {
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('')
}

/** A body that delivers the text in pieces of `size` bytes, so events and UTF-8 characters split across reads. */
function body(text: string, size = 7): Readable {
  const bytes = Buffer.from(text, 'utf8')
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size))
  return Readable.from(pieces)
}

async function drain(chunks: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = []
  for await (const chunk of chunks) out.push(chunk)
  return out
}

const USAGE = { billed_units: { input_tokens: 8, output_tokens: 3 }, tokens: { input_tokens: 10, output_tokens: 4 } }

describe('cohereChunks', () => {
  const toolStream = sse([
    { type: 'message-start', id: 'm1', delta: { message: { role: 'assistant', content: [], tool_plan: '' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will ' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'call ü.' } } },
    {
      type: 'tool-call-start',
      index: 0,
      delta: { message: { tool_calls: { id: 'a1', type: 'function', function: { name: 'a', arguments: '{"q":' } } } },
    },
    {
      type: 'tool-call-delta',
      index: 0,
      delta: { message: { tool_calls: { function: { arguments: '"ü \\"x\\""}' } } } },
    },
    { type: 'tool-call-end', index: 0 },
    {
      type: 'tool-call-start',
      index: 1,
      delta: { message: { tool_calls: { id: 'b2', type: 'function', function: { name: 'b', arguments: '' } } } },
    },
    { type: 'tool-call-delta', index: 1, delta: { message: { tool_calls: { function: { arguments: '{}' } } } } },
    { type: 'tool-call-end', index: 1 },
    { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: USAGE } },
  ])

  it('translates tool plan, two tool calls with their indexes, the finish and the usage chunk', async () => {
    const chunks = await drain(
      cohereChunks(body(toolStream), new AbortController().signal, { includeUsage: true, model: 'cmd' }),
    )
    expect(chunks.map((chunk) => chunk.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'I will ' },
      { content: 'call ü.' },
      { tool_calls: [{ index: 0, id: 'a1', type: 'function', function: { name: 'a', arguments: '{"q":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"ü \\"x\\""}' } }] },
      { tool_calls: [{ index: 1, id: 'b2', type: 'function', function: { name: 'b', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      {},
      null,
    ])
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason ?? null)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      'tool_calls',
      null,
    ])
    expect(chunks.every((chunk) => chunk.id === 'm1' && chunk.model === 'cmd')).toBe(true)
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 4,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 0 },
    })
    // Non-final chunks carry `usage: null` when usage was asked for, as OpenAI's do.
    expect(chunks[1]?.usage).toBeNull()
  })

  it('sends no usage chunk and no usage field when the client did not ask', async () => {
    const chunks = await drain(
      cohereChunks(body(toolStream), new AbortController().signal, { includeUsage: false, model: 'cmd' }),
    )
    expect(chunks.every((chunk) => chunk.choices.length === 1 && !('usage' in chunk))).toBe(true)
  })

  it('yields text deltas and ignores citations, content ends and a trailing [DONE]', async () => {
    const text = sse([
      { type: 'message-start', id: 'm2', delta: { message: { role: 'assistant' } } },
      { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Hi ' } } } },
      { type: 'citation-start', index: 0, delta: { message: { citations: { start: 0, end: 2, text: 'Hi' } } } },
      { type: 'citation-end', index: 0 },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'thére' } } } },
      { type: 'content-end', index: 0 },
      { type: 'message-end', delta: { finish_reason: 'MAX_TOKENS', usage: USAGE } },
    ])
    const chunks = await drain(
      cohereChunks(body(`${text}data: [DONE]\n\n`, 3), new AbortController().signal, {
        includeUsage: false,
        model: 'cmd',
      }),
    )
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hi thére')
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['length'])
  })

  it('throws an UpstreamError for finish_reason ERROR, after the text that came before', async () => {
    const text = sse([
      { type: 'message-start', id: 'm3', delta: { message: { role: 'assistant' } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'part' } } } },
      { type: 'message-end', delta: { finish_reason: 'ERROR', error: 'model crashed' } },
    ])
    const seen: ChatChunk[] = []
    const run = async () => {
      for await (const chunk of cohereChunks(body(text), new AbortController().signal, {
        includeUsage: false,
        model: 'cmd',
      })) {
        seen.push(chunk)
      }
    }
    await expect(run()).rejects.toThrow(/model crashed/)
    await expect(run()).rejects.toBeInstanceOf(UpstreamError)
    expect(seen.some((chunk) => chunk.choices[0]?.delta.content === 'part')).toBe(true)
  })

  it('throws when the stream ends before message-end, or sends an event that is not JSON', async () => {
    const cut = sse([
      { type: 'message-start', id: 'm4', delta: { message: { role: 'assistant' } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'par' } } } },
    ])
    const signal = new AbortController().signal
    await expect(drain(cohereChunks(body(cut), signal, { includeUsage: false, model: 'm' }))).rejects.toThrow(
      /ended before/,
    )
    await expect(
      drain(cohereChunks(body('event: content-delta\ndata: {oops\n\n'), signal, { includeUsage: false, model: 'm' })),
    ).rejects.toThrow(/not JSON/)
  })

  it('destroys the upstream body when the consumer stops early', async () => {
    const upstream = body(toolStream)
    const chunks = cohereChunks(upstream, new AbortController().signal, { includeUsage: false, model: 'm' })
    for await (const _chunk of chunks) break
    expect(upstream.destroyed).toBe(true)
  })
})

describe('Cohere embeddings', () => {
  it('sends texts with the default input_type, a client input_type, and dimensions as output_dimension', () => {
    expect(toCohereEmbedRequest({ model: 'x', input: 'one' }, 'embed-v4.0')).toEqual({
      model: 'embed-v4.0',
      texts: ['one'],
      input_type: 'search_document',
      embedding_types: ['float'],
    })
    expect(
      toCohereEmbedRequest({ model: 'x', input: ['a', 'b'], input_type: 'search_query', dimensions: 256 }, 'e'),
    ).toEqual({
      model: 'e',
      texts: ['a', 'b'],
      input_type: 'search_query',
      embedding_types: ['float'],
      output_dimension: 256,
    })
  })

  it('refuses token arrays and empty input', () => {
    expect(() => toCohereEmbedRequest({ model: 'x', input: [1, 2, 3] }, 'e')).toThrow(/token arrays/)
    expect(() => toCohereEmbedRequest({ model: 'x', input: [] }, 'e')).toThrow(/empty/)
  })

  const answer = {
    id: 'e1',
    embeddings: {
      float: [
        [0.5, -1.25],
        [2, 0],
      ],
    },
    meta: { billed_units: { input_tokens: 6 } },
  }

  it('returns floats, or little-endian float32 base64, with billed usage', () => {
    const floats = fromCohereEmbedResponse(answer, { model: 'x', input: ['a', 'b'] }, 'e', 2)
    expect(floats).toEqual({
      object: 'list',
      model: 'e',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -1.25] },
        { object: 'embedding', index: 1, embedding: [2, 0] },
      ],
      usage: { prompt_tokens: 6, total_tokens: 6 },
    })
    const encoded = fromCohereEmbedResponse(
      answer,
      { model: 'x', input: ['a', 'b'], encoding_format: 'base64' },
      'e',
      2,
    )
    expect(encoded.data.map((item) => base64ToFloats(item.embedding as string))).toEqual([
      [0.5, -1.25],
      [2, 0],
    ])
  })

  it('throws when the answer does not have one vector per input', () => {
    expect(() => fromCohereEmbedResponse(answer, { model: 'x', input: ['a', 'b', 'c'] }, 'e', 3)).toThrow(
      /2 float embeddings for 3 inputs/,
    )
    expect(() => fromCohereEmbedResponse({ embeddings: {} }, { model: 'x', input: 'a' }, 'e', 1)).toThrow(UpstreamError)
  })
})
