/**
 * The Bedrock surface's pure parts: Converse -> canonical request (and its
 * validation), canonical -> Converse answer and usage, the event-stream
 * encoder (its frames decoded with the outbound adapter's decoder), and the
 * exception names errors are given.
 */

import { toUtf8 } from '@smithy/util-utf8'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatCompletion, Usage } from '../../core/canonical/chat.js'
import { GatewayError, isGatewayError } from '../../core/errors.js'
import type { AnswerContext } from '../../core/http/chat/surface.js'
import { bedrockException, streamExceptionType } from '../../core/http/surfaces/bedrock/errors.js'
import { renderConverseAnswer } from '../../core/http/surfaces/bedrock/render-response.js'
import { bedrockStreamEncoder, EVENT_STREAM_CONTENT_TYPE } from '../../core/http/surfaces/bedrock/stream-encoder.js'
import { fromConverseRequest } from '../../core/http/surfaces/bedrock/translate-request.js'
import { usageToBedrock } from '../../core/http/surfaces/bedrock/usage.js'
import { EventStreamDecoder } from '../../core/providers/bedrock/event-stream.js'
import { usageFromBedrock } from '../../core/providers/bedrock/usage.js'

function rejection(body: unknown): GatewayError {
  try {
    fromConverseRequest(body, 'm', false)
  } catch (error) {
    if (isGatewayError(error)) return error
    throw error
  }
  throw new Error('expected the request to be refused')
}

const user = (text: string) => ({ role: 'user', content: [{ text }] })

describe('Converse request -> canonical', () => {
  it('translates system, turns, inference settings, tools and tool choice', () => {
    const request = fromConverseRequest(
      {
        system: [{ text: 'Be terse.' }, { cachePoint: { type: 'default' } }, { text: 'Be kind.' }],
        messages: [user('Hi'), { role: 'assistant', content: [{ text: 'Hello.' }] }, user('Weather?')],
        inferenceConfig: { maxTokens: 50, temperature: 0.5, topP: 0.8, stopSequences: ['END'] },
        toolConfig: {
          tools: [{ toolSpec: { name: 'w', description: 'weather', inputSchema: { json: { type: 'object' } } } }],
          toolChoice: { tool: { name: 'w' } },
        },
        requestMetadata: { team: 'a' },
      },
      'claude/claude-sonnet-4',
      true,
    )
    expect(request).toEqual({
      model: 'claude/claude-sonnet-4',
      stream: true,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      ],
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.8,
      stop: ['END'],
      tools: [{ type: 'function', function: { name: 'w', description: 'weather', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'w' } },
    })
  })

  it('maps tool choices auto and any', () => {
    const tools = [{ toolSpec: { name: 'w', inputSchema: { json: {} } } }]
    const auto = fromConverseRequest(
      { messages: [user('x')], toolConfig: { tools, toolChoice: { auto: {} } } },
      'm',
      false,
    )
    const any = fromConverseRequest(
      { messages: [user('x')], toolConfig: { tools, toolChoice: { any: {} } } },
      'm',
      false,
    )
    expect(auto.tool_choice).toBe('auto')
    expect(any.tool_choice).toBe('required')
  })

  it('puts tool results before the rest of their turn, and keeps tool uses and reasoning of the assistant', () => {
    const request = fromConverseRequest(
      {
        messages: [
          user('Go'),
          {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
              { reasoningContent: { redactedContent: Buffer.from('secret').toString('base64') } },
              { text: 'Calling.' },
              { toolUse: { toolUseId: 't1', name: 'w', input: { city: 'Zürich "x"' } } },
            ],
          },
          {
            role: 'user',
            content: [
              { text: 'and?' },
              { toolResult: { toolUseId: 't1', content: [{ text: 'sunny' }, { json: { c: 21 } }] } },
            ],
          },
        ],
      },
      'm',
      false,
    )
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Calling.',
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'w', arguments: '{"city":"Zürich \\"x\\""}' } }],
        thinking_blocks: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'secret' },
        ],
      },
      { role: 'tool', tool_call_id: 't1', content: 'sunny\n{"c":21}' },
      { role: 'user', content: [{ type: 'text', text: 'and?' }] },
    ])
  })

  it('turns image bytes into a data URL', () => {
    const request = fromConverseRequest(
      { messages: [{ role: 'user', content: [{ image: { format: 'jpeg', source: { bytes: 'AAEC' } } }] }] },
      'm',
      false,
    )
    expect(request.messages[0]?.content).toEqual([
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAEC' } },
    ])
  })

  it('reads thinking from additionalModelRequestFields and effort and JSON schema from outputConfig', () => {
    const thinking = fromConverseRequest(
      { messages: [user('x')], additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 20000 } } },
      'm',
      false,
    )
    expect(thinking.reasoning_effort).toBe('high')
    const output = fromConverseRequest(
      {
        messages: [user('x')],
        outputConfig: {
          effort: 'low',
          textFormat: { type: 'json_schema', structure: { jsonSchema: { name: 'out', schema: '{"type":"object"}' } } },
        },
      },
      'm',
      false,
    )
    expect(output.reasoning_effort).toBe('low')
    expect(output.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'out', schema: { type: 'object' } },
    })
  })

  it.each([
    ['a body that is not an object', [], 'the request body must be a JSON object'],
    ['no messages', {}, 'messages: must be a non-empty list'],
    ['a bad role', { messages: [{ role: 'system', content: [{ text: 'x' }] }] }, 'messages.0.role'],
    ['empty content', { messages: [{ role: 'user', content: [] }] }, 'messages.0.content'],
    [
      'a block with two members',
      { messages: [{ role: 'user', content: [{ text: 'a', image: {} }] }] },
      'messages.0.content.0',
    ],
    ['a document block', { messages: [{ role: 'user', content: [{ document: {} }] }] }, "'document' are not supported"],
    [
      'an S3 image',
      { messages: [{ role: 'user', content: [{ image: { format: 'png', source: { s3Location: {} } } }] }] },
      'source.s3Location',
    ],
    [
      'a bad image format',
      { messages: [{ role: 'user', content: [{ image: { format: 'bmp', source: { bytes: 'AA' } } }] }] },
      'image.format',
    ],
    [
      'a tool result without id',
      { messages: [{ role: 'user', content: [{ toolResult: { content: [] } }] }] },
      'toolResult.toolUseId',
    ],
    [
      'a tool use without name',
      { messages: [user('x'), { role: 'assistant', content: [{ toolUse: { toolUseId: 't' } }] }] },
      'toolUse.name',
    ],
    ['maxTokens 0', { messages: [user('x')], inferenceConfig: { maxTokens: 0 } }, 'inferenceConfig.maxTokens'],
    ['topP above 1', { messages: [user('x')], inferenceConfig: { topP: 2 } }, 'inferenceConfig.topP'],
    ['stop sequences not strings', { messages: [user('x')], inferenceConfig: { stopSequences: [1] } }, 'stopSequences'],
    [
      'a tool without schema',
      { messages: [user('x')], toolConfig: { tools: [{ toolSpec: { name: 'w' } }] } },
      'inputSchema.json',
    ],
    [
      'an unknown tool choice',
      {
        messages: [user('x')],
        toolConfig: { tools: [{ toolSpec: { name: 'w', inputSchema: { json: {} } } }], toolChoice: { none: {} } },
      },
      'toolConfig.toolChoice',
    ],
    ['a guardrail', { messages: [user('x')], guardrailConfig: { guardrailIdentifier: 'g' } }, 'guardrailConfig'],
    [
      'a bad output schema',
      {
        messages: [user('x')],
        outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{' } } } },
      },
      'is not valid JSON',
    ],
  ])('refuses %s with a 400 naming the field', (_name, body, fragment) => {
    const error = rejection(body)
    expect(error.status).toBe(400)
    expect(error.message).toContain(fragment)
  })
})

const USAGE: Usage = {
  prompt_tokens: 5500,
  completion_tokens: 200,
  total_tokens: 5700,
  prompt_tokens_details: { cached_tokens: 4000, cache_write_tokens: 500 },
}

describe('canonical usage -> Bedrock usage', () => {
  it('takes the cache reads and writes out of inputTokens and reports them beside it', () => {
    expect(usageToBedrock(USAGE)).toEqual({
      inputTokens: 1000,
      outputTokens: 200,
      totalTokens: 5700,
      cacheReadInputTokens: 4000,
      cacheWriteInputTokens: 500,
    })
  })

  it('is the inverse of the outbound adapter conversion', () => {
    const bedrock = {
      inputTokens: 12,
      outputTokens: 7,
      totalTokens: 49,
      cacheReadInputTokens: 20,
      cacheWriteInputTokens: 10,
    }
    expect(usageToBedrock(usageFromBedrock(bedrock))).toEqual(bedrock)
  })

  it('leaves the cache fields out when nothing was cached, and never goes negative', () => {
    expect(usageToBedrock({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })).toEqual({
      inputTokens: 3,
      outputTokens: 2,
      totalTokens: 5,
    })
    const odd = usageToBedrock({
      prompt_tokens: 1,
      completion_tokens: 0,
      total_tokens: 1,
      prompt_tokens_details: { cached_tokens: 5 },
    })
    expect(odd.inputTokens).toBe(0)
  })
})

describe('canonical answer -> Converse', () => {
  const completion = (
    message: ChatCompletion['choices'][number]['message'],
    finish: ChatCompletion['choices'][number]['finish_reason'],
  ): ChatCompletion => ({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: USAGE,
  })

  it('renders reasoning, text and tool uses with the stop reason, usage and latency', () => {
    const answer = renderConverseAnswer(
      completion(
        {
          role: 'assistant',
          content: 'Calling.',
          reasoning_content: 'thought',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'w', arguments: '{"a":"ü"}' } }],
        },
        'tool_calls',
      ),
      answered(50),
    )
    expect(answer.output).toEqual({
      message: {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'thought' } } },
          { text: 'Calling.' },
          { toolUse: { toolUseId: 't1', name: 'w', input: { a: 'ü' } } },
        ],
      },
    })
    expect(answer.stopReason).toBe('tool_use')
    expect(answer.usage).toEqual(usageToBedrock(USAGE))
    expect(answer.metrics.latencyMs).toBe(50)
  })

  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['content_filter', 'content_filtered'],
    [null, 'end_turn'],
  ] as const)('maps finish reason %s to %s', (finish, stop) => {
    expect(renderConverseAnswer(completion({ role: 'assistant', content: 'x' }, finish), answered(0)).stopReason).toBe(
      stop,
    )
  })
})

/** An answer context whose request has been served for `ms` milliseconds. */
function answered(ms: number): AnswerContext {
  return { request: { model: 'm', messages: [] }, elapsedMs: () => ms }
}

/** Decodes encoder output into [event type, payload] pairs. */
function decode(frames: Array<Uint8Array | string | null>) {
  const decoder = new EventStreamDecoder()
  const out: Array<{ messageType: string; type: string; contentType: unknown; payload: Record<string, unknown> }> = []
  for (const frame of frames) {
    if (frame === null) continue
    if (typeof frame === 'string') throw new Error('the Bedrock encoder must write binary frames')
    for (const message of decoder.push(frame))
      out.push({
        messageType: message.messageType,
        type: message.type,
        contentType: message.headers[':content-type']?.value,
        payload: JSON.parse(toUtf8(message.body)) as Record<string, unknown>,
      })
  }
  expect(decoder.pendingBytes).toBe(0)
  return out
}

function chunk(
  delta: ChatChunk['choices'][number]['delta'],
  finish: ChatChunk['choices'][number]['finish_reason'] = null,
): ChatChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  }
}

describe('the ConverseStream encoder', () => {
  it('writes reasoning, text and two tool calls as Bedrock events with block indexes', () => {
    const encoder = bedrockStreamEncoder(answered(0))
    expect(encoder.contentType).toBe(EVENT_STREAM_CONTENT_TYPE)
    const events = decode([
      encoder.chunk(chunk({ role: 'assistant', content: '' })),
      encoder.chunk(chunk({ reasoning_content: 'think' })),
      encoder.chunk(chunk({ thinking_blocks: [{ type: 'thinking', thinking: 'think', signature: 'sig' }] })),
      encoder.chunk(chunk({ content: 'Hi ' })),
      encoder.chunk(chunk({ content: 'there' })),
      encoder.chunk(chunk({ tool_calls: [{ index: 0, id: 't1', function: { name: 'a', arguments: '{"x"' } }] })),
      encoder.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })),
      encoder.chunk(chunk({ tool_calls: [{ index: 1, id: 't2', function: { name: 'b', arguments: '{}' } }] })),
      encoder.chunk(chunk({}, 'tool_calls')),
      encoder.chunk({ ...chunk({}), choices: [], usage: USAGE }),
      encoder.end(),
    ])
    expect(events.every((e) => e.messageType === 'event' && e.contentType === 'application/json')).toBe(true)
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Hi ' } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'there' } }],
      ['contentBlockStop', { contentBlockIndex: 1 }],
      ['contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 't1', name: 'a' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"x"' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: ':1}' } } }],
      ['contentBlockStop', { contentBlockIndex: 2 }],
      ['contentBlockStart', { contentBlockIndex: 3, start: { toolUse: { toolUseId: 't2', name: 'b' } } }],
      ['contentBlockDelta', { contentBlockIndex: 3, delta: { toolUse: { input: '{}' } } }],
      ['contentBlockStop', { contentBlockIndex: 3 }],
      ['messageStop', { stopReason: 'tool_use' }],
      ['metadata', { usage: usageToBedrock(USAGE), metrics: { latencyMs: 0 } }],
    ])
  })

  it('closes a stream that never finished with messageStart, messageStop and metadata', () => {
    const encoder = bedrockStreamEncoder(answered(0))
    expect(decode([encoder.end()]).map((e) => e.type)).toEqual(['messageStart', 'messageStop', 'metadata'])
  })

  it('signals a mid-stream failure as an exception frame the SDK raises', () => {
    const encoder = bedrockStreamEncoder(answered(0))
    const failure = new GatewayError({ status: 429, type: 'rate_limit_error', message: 'slow down sk-secret' })
    const [frame] = decode([encoder.error(failure, (text) => text.replace('sk-secret', '***'))])
    expect(frame).toMatchObject({
      messageType: 'exception',
      type: 'throttlingException',
      payload: { message: 'slow down ***' },
    })
  })
})

describe('Bedrock exception names', () => {
  it.each([
    [400, 'invalid_request_error', null, 'ValidationException', 400],
    [401, 'authentication_error', 'invalid_api_key', 'UnrecognizedClientException', 403],
    [403, 'permission_error', 'model_not_allowed', 'AccessDeniedException', 403],
    [404, 'not_found_error', null, 'ResourceNotFoundException', 404],
    [404, 'not_found_error', 'unknown_endpoint', 'UnknownOperationException', 404],
    [429, 'rate_limit_error', null, 'ThrottlingException', 429],
    [500, 'api_error', null, 'InternalServerException', 500],
    [502, 'upstream_error', null, 'ModelErrorException', 502],
    [503, 'upstream_error', null, 'ServiceUnavailableException', 503],
    [504, 'timeout_error', null, 'ModelTimeoutException', 504],
  ] as const)('%i %s (%s) -> %s %i', (status, type, code, name, sent) => {
    expect(bedrockException({ status, type, code })).toEqual({ name, status: sent })
  })

  it.each([
    [429, 'throttlingException'],
    [503, 'serviceUnavailableException'],
    [502, 'modelStreamErrorException'],
    [400, 'validationException'],
    [500, 'internalServerException'],
  ])('a mid-stream %i is a %s frame', (status, type) => {
    expect(streamExceptionType(status)).toBe(type)
  })
})
