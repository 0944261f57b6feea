import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatRequest } from '../../core/canonical/chat.js'
import { base64ToFloats } from '../../core/canonical/embeddings.js'
import { MockAdapter } from '../../core/providers/mock/adapter.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

const attempt = { model: 'demo', signal: new AbortController().signal, requestId: 'r' }
const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'demo',
  messages: [{ role: 'user', content }],
  ...extra,
})

async function collect(chunks: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const all: ChatChunk[] = []
  for await (const chunk of chunks) all.push(chunk)
  return all
}

describe('mock provider', () => {
  it('echoes the last user message, with usage', async () => {
    const result = await new MockAdapter('m', { type: 'mock' }).chat(ask('hello world'), attempt)
    expect(result.stream).toBe(false)
    if (result.stream) return
    expect(result.completion.choices[0]?.message.content).toBe('You said: hello world')
    expect(result.completion.choices[0]?.finish_reason).toBe('stop')
    expect(result.completion.usage?.total_tokens).toBeGreaterThan(0)
  })

  it('truncates at max_tokens with finish_reason length', async () => {
    const result = await new MockAdapter('m', { type: 'mock', reply: 'one two three four' }).chat(
      ask('x', { max_tokens: 2 }),
      attempt,
    )
    if (result.stream) throw new Error('expected JSON')
    expect(result.completion.choices[0]).toMatchObject({ message: { content: 'one two ' }, finish_reason: 'length' })
  })

  it('streams chunks that reassemble to the reply, then usage when asked', async () => {
    const result = await new MockAdapter('m', { type: 'mock', chunkSize: 2 }).chat(
      ask('a b c d e', { stream: true, stream_options: { include_usage: true } }),
      attempt,
    )
    if (!result.stream) throw new Error('expected a stream')
    const chunks = await collect(result.chunks)
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    expect(text).toBe('You said: a b c d e')
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop')
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } })
  })

  it('calls the offered tool, streaming its arguments in fragments', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup' } }]
    const result = await new MockAdapter('m', { type: 'mock' }).chat(ask('find "it"', { stream: true, tools }), attempt)
    if (!result.stream) throw new Error('expected a stream')
    const chunks = await collect(result.chunks)
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '').join('')
    expect(JSON.parse(args)).toEqual({ input: 'find "it"' })
    expect(chunks.filter((c) => c.choices[0]?.delta.tool_calls).length).toBeGreaterThan(2)
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls')
  })

  it('injects failures every Nth call and on a matching message', async () => {
    const mock = new MockAdapter('m', {
      type: 'mock',
      failures: [
        { status: 503, every: 3 },
        { status: 429, match: 'throttle me', retryAfterSeconds: 2 },
      ],
    })
    const outcomes: Array<string | number> = []
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await mock.chat(ask('hi'), attempt).then(
          () => 'ok',
          (e: UpstreamError) => e.status as number,
        ),
      )
    }
    expect(outcomes).toEqual(['ok', 'ok', 503, 'ok', 'ok', 503])
    const throttled = await mock.chat(ask('please throttle me'), attempt).catch((e: unknown) => e)
    expect(throttled).toBeInstanceOf(UpstreamError)
    expect(throttled).toMatchObject({ errorClass: 'rate_limited', retryAfterSeconds: 2 })
  })

  it('rejects a model it does not serve as not_found', async () => {
    const error = await new MockAdapter('m', { type: 'mock' })
      .chat(ask('x'), { ...attempt, model: 'gpt-9' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ errorClass: 'not_found', status: 404 })
  })

  it('embeds deterministically as unit vectors, in float or base64', async () => {
    const mock = new MockAdapter('m', { type: 'mock', embeddingDimensions: 16 })
    const floats = await mock.embeddings({ model: 'demo', input: ['same', 'other'] }, attempt)
    const again = await mock.embeddings({ model: 'demo', input: 'same' }, attempt)
    const [same, other] = floats.data.map((d) => d.embedding as number[])
    expect(same).toHaveLength(16)
    expect(Math.hypot(...(same as number[]))).toBeCloseTo(1, 5)
    expect(again.data[0]?.embedding).toEqual(same)
    expect(other).not.toEqual(same)
    const encoded = await mock.embeddings({ model: 'demo', input: 'same', encoding_format: 'base64' }, attempt)
    expect(base64ToFloats(encoded.data[0]?.embedding as string)).toEqual(same)
  })
})
