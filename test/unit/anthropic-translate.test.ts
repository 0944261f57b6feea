import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatRequest } from '../../core/canonical/chat.js'
import { anthropicChunks } from '../../core/providers/anthropic/stream.js'
import { toAnthropicRequest } from '../../core/providers/anthropic/translate-request.js'
import { fromAnthropicResponse } from '../../core/providers/anthropic/translate-response.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

const request = (fields: Partial<ChatRequest>): ChatRequest => ({ model: 'x', messages: [], ...fields })

describe('toAnthropicRequest', () => {
  it('moves system and developer messages to `system` and defaults max_tokens', () => {
    const body = toAnthropicRequest(
      request({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
          { role: 'user', content: 'hi' },
        ],
      }),
      'claude-sonnet-4',
      4096,
    )
    expect(body).toEqual({
      model: 'claude-sonnet-4',
      system: 'Be brief.\n\nNo emoji.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 4096,
    })
  })

  it('prefers max_completion_tokens over max_tokens, and maps stop, temperature, top_p, stream', () => {
    const body = toAnthropicRequest(
      request({
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 10,
        max_completion_tokens: 20,
        stop: 'END',
        temperature: 0,
        top_p: 0.5,
        stream: true,
      }),
      'm',
      4096,
    )
    expect(body).toMatchObject({ max_tokens: 20, stop_sequences: ['END'], temperature: 0, top_p: 0.5, stream: true })
    expect(toAnthropicRequest(request({ max_tokens: 10 }), 'm', 4096).max_tokens).toBe(10)
  })

  it('keeps multi-turn order and merges consecutive turns of one role', () => {
    const body = toAnthropicRequest(
      request({
        messages: [
          { role: 'user', content: 'one' },
          { role: 'user', content: 'two' },
          { role: 'assistant', content: 'three' },
          { role: 'user', content: 'four' },
        ],
      }),
      'm',
      1,
    )
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'three' }] },
      { role: 'user', content: [{ type: 'text', text: 'four' }] },
    ])
  })

  it('translates image parts: data URLs to base64 sources, http URLs to url sources', () => {
    const body = toAnthropicRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'compare' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
      'm',
      1,
    )
    expect(body.messages[0]?.content).toEqual([
      { type: 'text', text: 'compare' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ])
  })

  it('maps tools and every tool_choice form', () => {
    const tools: ChatRequest['tools'] = [
      { type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'g' } },
    ]
    const body = toAnthropicRequest(request({ tools }), 'm', 1)
    expect(body.tools).toEqual([
      { name: 'f', description: 'does f', input_schema: { type: 'object' } },
      { name: 'g', input_schema: { type: 'object', properties: {} } },
    ])
    const choice = (tool_choice: unknown) => toAnthropicRequest(request({ tools, tool_choice }), 'm', 1).tool_choice
    expect(choice('auto')).toEqual({ type: 'auto' })
    expect(choice('none')).toEqual({ type: 'none' })
    expect(choice('required')).toEqual({ type: 'any' })
    expect(choice({ type: 'function', function: { name: 'g' } })).toEqual({ type: 'tool', name: 'g' })
    expect(choice(undefined)).toBeUndefined()
  })

  it('turns tool calls into tool_use blocks and merges consecutive tool results into one user turn', () => {
    const body = toAnthropicRequest(
      request({
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: 'Calling.',
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
              { id: 'b', type: 'function', function: { name: 'g', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: 'one' },
          { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'two' }] },
          { role: 'user', content: 'and now?' },
        ],
      }),
      'm',
      1,
    )
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Calling.' },
          { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } },
          { type: 'tool_use', id: 'b', name: 'g', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'a', content: 'one' },
          { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: 'two' }] },
          { type: 'text', text: 'and now?' },
        ],
      },
    ])
  })

  it('refuses content it cannot translate as a bad request', () => {
    expect(() =>
      toAnthropicRequest(request({ messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] }), 'm', 1),
    ).toThrow(UpstreamError)
  })
})

describe('fromAnthropicResponse', () => {
  it('maps stop reasons', () => {
    const finish = (stop_reason: string) =>
      fromAnthropicResponse({
        id: 'msg',
        type: 'message',
        role: 'assistant',
        model: 'm',
        content: [{ type: 'text', text: 'x' }],
        stop_reason,
        usage: { input_tokens: 1, output_tokens: 1 },
      }).choices[0]?.finish_reason
    expect(finish('end_turn')).toBe('stop')
    expect(finish('stop_sequence')).toBe('stop')
    expect(finish('max_tokens')).toBe('length')
    expect(finish('tool_use')).toBe('tool_calls')
    expect(finish('refusal')).toBe('content_filter')
  })
})

describe('anthropicChunks', () => {
  const sse = (events: Array<Record<string, unknown>>): Readable =>
    Readable.from(events.map((event) => Buffer.from(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)))
  const collect = async (body: Readable): Promise<ChatChunk[]> => {
    const chunks: ChatChunk[] = []
    for await (const chunk of anthropicChunks(body, new AbortController().signal, { includeUsage: true, model: 'm' })) {
      chunks.push(chunk)
    }
    return chunks
  }

  it('turns an error event into an overloaded UpstreamError', async () => {
    const body = sse([
      { type: 'message_start', message: { id: 'msg', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    ])
    const error = await collect(body).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UpstreamError)
    expect((error as UpstreamError).errorClass).toBe('overloaded')
  })

  it('a stream cut before message_stop is an error', async () => {
    const body = sse([
      { type: 'message_start', message: { id: 'msg', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ])
    await expect(collect(body)).rejects.toThrow(/ended before/)
  })

  it('uses the cumulative usage of the last message_delta', async () => {
    const chunks = await collect(
      sse([
        { type: 'message_start', message: { id: 'msg', model: 'm', usage: { input_tokens: 10, output_tokens: 1 } } },
        { type: 'ping' },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } },
        { type: 'message_delta', delta: {}, usage: { output_tokens: 7 } },
        { type: 'message_stop' },
      ]),
    )
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 })
  })
})
