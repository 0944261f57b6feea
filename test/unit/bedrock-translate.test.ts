/**
 * The pure parts of the Bedrock adapter: request and response translation,
 * usage, error classification, and the event-stream codec (including frames
 * that arrive split across reads, or several in one read).
 */
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatRequest } from '../../core/canonical/chat.js'
import { encodeModelId } from '../../core/providers/bedrock/adapter.js'
import { errorFromBedrock, errorTypeName } from '../../core/providers/bedrock/errors.js'
import {
  decodeEventStream,
  EventStreamDecodeError,
  EventStreamDecoder,
  type EventStreamOutgoing,
  encodeEventStreamMessage,
} from '../../core/providers/bedrock/event-stream.js'
import { converseStreamChunks } from '../../core/providers/bedrock/stream.js'
import { toConverseRequest } from '../../core/providers/bedrock/translate-request.js'
import { finishReasonOf, fromConverseResponse } from '../../core/providers/bedrock/translate-response.js'
import { usageFromBedrock } from '../../core/providers/bedrock/usage.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

function request(fields: Partial<ChatRequest>): ChatRequest {
  return { model: 'm', messages: [], ...fields }
}

describe('toConverseRequest', () => {
  it('maps system, merges same-role turns, and carries inference settings', () => {
    const body = toConverseRequest(
      request({
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
          { role: 'user', content: 'one' },
          { role: 'user', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: 'ok' },
        ],
        max_tokens: 10,
        max_completion_tokens: 20,
        temperature: 0.3,
        top_p: 0.8,
        stop: 'END',
      }),
    )
    expect(body).toEqual({
      system: [{ text: 'Be terse.' }, { text: 'Use metric units.' }],
      messages: [
        { role: 'user', content: [{ text: 'one' }, { text: 'two' }] },
        { role: 'assistant', content: [{ text: 'ok' }] },
      ],
      inferenceConfig: { maxTokens: 20, temperature: 0.3, topP: 0.8, stopSequences: ['END'] },
    })
  })

  it('turns tool calls into toolUse and consecutive tool results into one user turn', () => {
    const body = toConverseRequest(
      request({
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":"é \\"q\\""}' } },
              { id: 't2', type: 'function', function: { name: 'b', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 't1', content: '21°C' },
          { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: '{"ok":true}' }] },
        ],
        tools: [{ type: 'function', function: { name: 'a', description: 'A', parameters: { type: 'object' } } }],
        tool_choice: { type: 'function', function: { name: 'a' } },
      }),
    )
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'weather?' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 't1', name: 'a', input: { x: 'é "q"' } } },
          { toolUse: { toolUseId: 't2', name: 'b', input: {} } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 't1', content: [{ text: '21°C' }] } },
          { toolResult: { toolUseId: 't2', content: [{ text: '{"ok":true}' }] } },
        ],
      },
    ])
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'a', description: 'A', inputSchema: { json: { type: 'object' } } } }],
      toolChoice: { tool: { name: 'a' } },
    })
  })

  it('maps tool_choice auto/required, and leaves tools out for none unless the history used them', () => {
    const tools: ChatRequest['tools'] = [{ type: 'function', function: { name: 'a' } }]
    const user = [{ role: 'user' as const, content: 'hi' }]
    expect(toConverseRequest(request({ messages: user, tools, tool_choice: 'auto' })).toolConfig?.toolChoice).toEqual({
      auto: {},
    })
    expect(
      toConverseRequest(request({ messages: user, tools, tool_choice: 'required' })).toolConfig?.toolChoice,
    ).toEqual({ any: {} })
    expect(toConverseRequest(request({ messages: user, tools, tool_choice: 'none' })).toolConfig).toBeUndefined()
    const withHistory = toConverseRequest(
      request({
        messages: [...user, { role: 'tool', tool_call_id: 't', content: 'x' }],
        tools,
        tool_choice: 'none',
      }),
    )
    expect(withHistory.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'a', inputSchema: { json: { type: 'object', properties: {} } } } }],
    })
  })

  it('sends data: images as bytes and refuses links and unknown formats before calling', () => {
    const body = toConverseRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: `data:image/jpg;base64,${PNG_BASE64}` } },
            ],
          },
        ],
      }),
    )
    expect(body.messages[0]?.content[1]).toEqual({ image: { format: 'jpeg', source: { bytes: PNG_BASE64 } } })
    const link = (): unknown =>
      toConverseRequest(
        request({
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }],
        }),
      )
    expect(link).toThrow(UpstreamError)
    expect(link).toThrow(/data: URL/)
    try {
      link()
    } catch (error) {
      expect((error as UpstreamError).errorClass).toBe('bad_request')
      expect((error as UpstreamError).uncalled).toBe(true)
    }
    expect(() =>
      toConverseRequest(
        request({
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA==' } }] },
          ],
        }),
      ),
    ).toThrow(/bmp/)
  })
})

describe('reasoning handed back', () => {
  it("puts an assistant turn's thinking blocks first, as reasoning content with the signature", () => {
    const body = toConverseRequest(
      request({
        messages: [
          { role: 'user', content: '2+2?' },
          {
            role: 'assistant',
            content: '4',
            thinking_blocks: [
              { type: 'thinking', thinking: 'Two plus two.', signature: 'sig-1' },
              { type: 'redacted_thinking', data: 'opaque' },
            ],
          },
          { role: 'user', content: 'and 3+3?' },
        ],
      }),
    )
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { reasoningContent: { reasoningText: { text: 'Two plus two.', signature: 'sig-1' } } },
        { reasoningContent: { redactedContent: Buffer.from('opaque').toString('base64') } },
        { text: '4' },
      ],
    })
  })
})

describe('fromConverseResponse and usage', () => {
  it('maps text, reasoning, tool uses, finish reason and usage including the cache', () => {
    const completion = fromConverseResponse(
      {
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'thinking', signature: 's' } } },
              { text: 'Hi ' },
              { text: 'there' },
              { toolUse: { toolUseId: 'tu1', name: 'f', input: { q: 'ü "x"' } } },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: {
          inputTokens: 10,
          outputTokens: 5,
          totalTokens: 45,
          cacheReadInputTokens: 20,
          cacheWriteInputTokens: 10,
        },
      },
      { id: 'chatcmpl-1', model: 'anthropic.claude' },
      7,
    )
    expect(completion).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 7,
      model: 'anthropic.claude',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hi there',
            reasoning_content: 'thinking',
            thinking_blocks: [{ type: 'thinking', thinking: 'thinking', signature: 's' }],
            tool_calls: [{ id: 'tu1', type: 'function', function: { name: 'f', arguments: '{"q":"ü \\"x\\""}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 40,
        completion_tokens: 5,
        total_tokens: 45,
        prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 10 },
      },
    })
  })

  it('maps every stop reason', () => {
    expect(finishReasonOf('end_turn')).toBe('stop')
    expect(finishReasonOf('stop_sequence')).toBe('stop')
    expect(finishReasonOf('tool_use')).toBe('tool_calls')
    expect(finishReasonOf('max_tokens')).toBe('length')
    expect(finishReasonOf('guardrail_intervened')).toBe('content_filter')
    expect(finishReasonOf('content_filtered')).toBe('content_filter')
    expect(finishReasonOf(undefined)).toBeNull()
  })

  it('counts missing cache fields as zero', () => {
    expect(usageFromBedrock({ inputTokens: 3, outputTokens: 4 })).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    })
  })
})

describe('errorFromBedrock', () => {
  it('reads the type from header-style and __type-style names', () => {
    expect(errorTypeName('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/')).toBe(
      'ThrottlingException',
    )
    expect(errorTypeName('com.amazon.bedrock#ValidationException')).toBe('ValidationException')
  })

  it.each([
    [429, 'ThrottlingException', 'slow down', 'rate_limited'],
    [503, 'ServiceUnavailableException', 'busy', 'overloaded'],
    [429, 'ModelNotReadyException', 'warming', 'overloaded'],
    [408, 'ModelTimeoutException', 'late', 'timeout'],
    [500, 'InternalServerException', 'oops', 'server_error'],
    [403, 'AccessDeniedException', 'no', 'auth'],
    [403, 'UnrecognizedClientException', 'who', 'auth'],
    [403, 'ExpiredTokenException', 'old', 'auth'],
    [404, 'ResourceNotFoundException', 'gone', 'not_found'],
    [400, 'ValidationException', 'messages.0: bad field', 'bad_request'],
    [400, 'ValidationException', 'Input is too long for requested model.', 'context_length_exceeded'],
  ] as const)('%i %s -> %s', (status, type, message, errorClass) => {
    const error = errorFromBedrock(status, `${type}:http://x`, message)
    expect(error.errorClass).toBe(errorClass)
    expect(error.code).toBe(errorClass === 'context_length_exceeded' ? 'context_length_exceeded' : type)
    expect(error.status).toBe(status)
  })

  it('classifies an exception frame (camelCase member name, no HTTP status) by its modelled status', () => {
    const error = errorFromBedrock(undefined, 'throttlingException', 'Too many tokens')
    expect(error.errorClass).toBe('rate_limited')
    expect(error.status).toBe(429)
    expect(error.code).toBe('ThrottlingException')
  })
})

describe('event-stream codec', () => {
  const messages: EventStreamOutgoing[] = [
    { messageType: 'event', eventType: 'messageStart', payload: { role: 'assistant' } },
    {
      messageType: 'event',
      eventType: 'contentBlockDelta',
      payload: { contentBlockIndex: 0, delta: { text: 'ü 你好' } },
    },
    { messageType: 'exception', exceptionType: 'throttlingException', payload: { message: 'slow' } },
  ]
  const frames = messages.map(encodeEventStreamMessage)
  const all = Buffer.concat(frames)
  const decoded = (list: ReturnType<EventStreamDecoder['push']>) =>
    list.map((m) => ({
      messageType: m.messageType,
      type: m.type,
      payload: JSON.parse(Buffer.from(m.body).toString('utf8')),
    }))
  const expected = [
    { messageType: 'event', type: 'messageStart', payload: { role: 'assistant' } },
    { messageType: 'event', type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'ü 你好' } } },
    { messageType: 'exception', type: 'throttlingException', payload: { message: 'slow' } },
  ]

  it('round-trips several frames delivered in one read', () => {
    expect(decoded(new EventStreamDecoder().push(all))).toEqual(expected)
  })

  it('reassembles frames split at every byte boundary', () => {
    const decoder = new EventStreamDecoder()
    const out: ReturnType<EventStreamDecoder['push']> = []
    for (let i = 0; i < all.length; i += 1) out.push(...decoder.push(all.subarray(i, i + 1)))
    expect(decoded(out)).toEqual(expected)
    expect(decoder.pendingBytes).toBe(0)
  })

  it('writes the headers the AWS SDKs route on', () => {
    const [message] = new EventStreamDecoder().push(frames[1] as Uint8Array)
    expect(message?.headers[':message-type']).toEqual({ type: 'string', value: 'event' })
    expect(message?.headers[':event-type']).toEqual({ type: 'string', value: 'contentBlockDelta' })
    expect(message?.headers[':content-type']).toEqual({ type: 'string', value: 'application/json' })
  })

  it('rejects a corrupted frame and a stream cut inside a frame', async () => {
    const damaged = Buffer.from(frames[1] as Uint8Array)
    damaged[damaged.length - 6] = (damaged[damaged.length - 6] ?? 0) ^ 0xff
    expect(() => new EventStreamDecoder().push(damaged)).toThrow(EventStreamDecodeError)
    const cut = async (): Promise<void> => {
      for await (const _ of decodeEventStream(Readable.from([all.subarray(0, all.length - 3)]))) {
        // drain
      }
    }
    await expect(cut()).rejects.toThrow(/ended inside a frame/)
  })
})

describe('converseStreamChunks', () => {
  const frame = (eventType: string, payload: unknown) =>
    Buffer.from(encodeEventStreamMessage({ messageType: 'event', eventType, payload }))
  const collect = async (parts: Buffer[], includeUsage = true): Promise<ChatChunk[]> => {
    const out: ChatChunk[] = []
    const body = Readable.from(parts)
    for await (const chunk of converseStreamChunks(body, new AbortController().signal, {
      includeUsage,
      model: 'm',
      id: 'c1',
    })) {
      out.push(chunk)
    }
    return out
  }

  it('yields role, text, tool calls on their own index, finish and a final usage chunk', async () => {
    const bytes = Buffer.concat([
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu', name: 'f' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '1}' } } }),
      frame('contentBlockStop', { contentBlockIndex: 1 }),
      frame('messageStop', { stopReason: 'tool_use' }),
      frame('metadata', {
        usage: { inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 3, cacheWriteInputTokens: 4 },
      }),
    ])
    // Odd-sized reads so frames straddle them.
    const parts: Buffer[] = []
    for (let i = 0; i < bytes.length; i += 13) parts.push(bytes.subarray(i, i + 13))
    const chunks = await collect(parts)
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      { tool_calls: [{ index: 0, id: 'tu', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '1}' } }] },
      {},
      null,
    ])
    expect(chunks[5]?.choices[0]?.finish_reason).toBe('tool_calls')
    expect(chunks[6]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
    })
  })

  it('streams reasoning as it comes, then the whole block with its signature; redacted reasoning whole', async () => {
    const chunks = await collect(
      [
        Buffer.concat([
          frame('messageStart', { role: 'assistant' }),
          frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Two plus ' } } }),
          frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'two.' } } }),
          frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig-1' } } }),
          frame('contentBlockStop', { contentBlockIndex: 0 }),
          frame('contentBlockDelta', {
            contentBlockIndex: 1,
            delta: { reasoningContent: { redactedContent: Buffer.from('opaque').toString('base64') } },
          }),
          frame('contentBlockStop', { contentBlockIndex: 1 }),
          frame('contentBlockDelta', { contentBlockIndex: 2, delta: { text: '4' } }),
          frame('messageStop', { stopReason: 'end_turn' }),
        ]),
      ],
      false,
    )
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Two plus ' },
      { reasoning_content: 'two.' },
      { thinking_blocks: [{ type: 'thinking', thinking: 'Two plus two.', signature: 'sig-1' }] },
      { thinking_blocks: [{ type: 'redacted_thinking', data: 'opaque' }] },
      { content: '4' },
      {},
    ])
  })

  it('destroys the upstream body when the consumer stops early', async () => {
    const body = new Readable({ read() {} })
    body.push(frame('messageStart', { role: 'assistant' }))
    body.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }))
    const chunks = converseStreamChunks(body, new AbortController().signal, {
      includeUsage: false,
      model: 'm',
      id: 'c1',
    })
    const first = await chunks.next()
    expect(first.value?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    expect(body.destroyed).toBe(false)
    await chunks.return(undefined)
    expect(body.destroyed).toBe(true)
  })

  it('throws a classified error on an exception frame, and on a stream that stops early', async () => {
    const exception = Buffer.from(
      encodeEventStreamMessage({
        messageType: 'exception',
        exceptionType: 'throttlingException',
        payload: { message: 'slow' },
      }),
    )
    const failed = collect([frame('messageStart', { role: 'assistant' }), exception])
    await expect(failed).rejects.toMatchObject({ errorClass: 'rate_limited', message: 'slow' })
    await expect(collect([frame('messageStart', { role: 'assistant' })])).rejects.toMatchObject({
      errorClass: 'server_error',
    })
  })
})

describe('encodeModelId', () => {
  it('encodes ids and ARNs as one path segment', () => {
    expect(encodeModelId('anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic.claude-3-haiku-20240307-v1%3A0')
    expect(encodeModelId('arn:aws:bedrock:us-east-1:1:inference-profile/us.x')).toBe(
      'arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x',
    )
  })
})
