import { describe, expect, it } from 'vitest'
import { cacheKey, normaliseRequest } from '../../plugins/cache/key.js'
import { assemble } from '../../plugins/cache/shared.js'
import { canonicalJson } from '../../plugins/shared/canonical-json.js'

describe('cache key', () => {
  it('writes canonical JSON: keys sorted at every depth, arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    )
  })

  it('drops delivery fields, defaults and nulls, and folds max_tokens into max_completion_tokens', () => {
    expect(
      normaliseRequest({
        model: 'm',
        messages: [{ role: 'assistant', content: 'x', refusal: null, annotations: [] }],
        stream: true,
        stream_options: { include_usage: true },
        user: 'u',
        metadata: { a: 'b' },
        n: 1,
        temperature: 1,
        top_p: 1,
        max_tokens: 10,
        tool_choice: 'none',
        seed: 3,
      }),
    ).toEqual({ model: 'm', messages: [{ role: 'assistant', content: 'x' }], max_completion_tokens: 10, seed: 3 })
  })

  it('separates routes, models and partitions', () => {
    const body = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] }
    const keys = new Set([
      cacheKey(body, 'a'),
      cacheKey(body, 'b'),
      cacheKey(body, null),
      cacheKey({ ...body, model: 'n' }, 'a'),
      cacheKey(body, 'a', 'team:x'),
    ])
    expect(keys.size).toBe(5)
    expect(cacheKey({ messages: body.messages, model: 'm', stream: true }, 'a')).toBe(cacheKey(body, 'a'))
  })

  it('assembles a completion from stream chunks, tool calls included', () => {
    const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' }
    expect(
      assemble([
        { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] },
        {
          ...base,
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'f', arguments: '{"a"' } }],
              },
              finish_reason: null,
            },
          ],
        },
        {
          ...base,
          choices: [
            { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, finish_reason: null },
          ],
        },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
        { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      ]),
    ).toEqual({
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    })
  })
})
