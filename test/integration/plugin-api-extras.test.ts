import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'

/** Plugins that use the API built-in plugins rely on: headers, replayed chunks, internal calls, verdicts, content. */
const config = `import { defineConfig, definePlugin } from ${JSON.stringify(CORE_ENTRY)}
const seen = []
globalThis.__extrasSeen = seen
const replay = definePlugin({
  name: 'replay',
  setup: (_o, api) => ({
    onRequest: async (ctx) => {
      ctx.responseHeaders['x-replay'] = 'considered'
      const last = ctx.body.messages?.at(-1)?.content
      if (last === 'replay please') {
        const base = { id: 'r1', object: 'chat.completion.chunk', created: 1, model: 'demo' }
        return {
          respond: { id: 'r1', object: 'chat.completion', created: 1, model: 'demo', choices: [{ index: 0, message: { role: 'assistant', content: 'AB' }, finish_reason: 'stop' }] },
          chunks: [
            { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'A' }, finish_reason: null }] },
            { ...base, choices: [{ index: 0, delta: { content: 'B' }, finish_reason: null }] },
            { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          ],
        }
      }
      if (last === 'ask the gateway') {
        const inner = await api.gateway.chat({ model: 'demo', messages: [{ role: 'user', content: 'inner' }] })
        const vectors = await api.gateway.embeddings({ model: 'mock/demo', input: ['x'] })
        ctx.responseHeaders['x-inner'] = inner.choices[0].message.content + '|' + vectors.data[0].embedding.length
      }
      api.verdict('allow', ctx)
    },
    onComplete: (record) => { seen.push(record) },
  }),
})
export default defineConfig({
  providers: { mock: { type: 'mock', embeddingDimensions: 4 } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [replay()],
})
`

describe('plugin API for built-in plugins', () => {
  let gateway: TestGateway
  const seen = () => (globalThis as unknown as { __extrasSeen: Array<Record<string, unknown>> }).__extrasSeen
  beforeAll(async () => {
    gateway = await startTestGateway(config)
  })
  afterAll(() => gateway.close())

  const chat = (content: string, stream = false) =>
    request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', stream, messages: [{ role: 'user', content }] }),
    })

  it('sends headers plugins set, on JSON and stream answers', async () => {
    const json = await chat('hello')
    await json.body.dump()
    expect(json.headers['x-replay']).toBe('considered')
    const stream = await chat('hello', true)
    await stream.body.dump()
    expect(stream.headers['x-replay']).toBe('considered')
  })

  it('replays recorded chunks exactly for a stream request', async () => {
    const res = await chat('replay please', true)
    const frames = (await res.body.text()).split('\n\n').filter(Boolean)
    expect(frames.map((f) => f.slice('data: '.length))).toEqual([
      JSON.stringify({
        id: 'r1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'demo',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'A' }, finish_reason: null }],
      }),
      JSON.stringify({
        id: 'r1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'demo',
        choices: [{ index: 0, delta: { content: 'B' }, finish_reason: null }],
      }),
      JSON.stringify({
        id: 'r1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'demo',
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      }),
      '[DONE]',
    ])
  })

  it('lets a plugin call the provider layer (chat and embeddings) without recursing into itself', async () => {
    const res = await chat('ask the gateway')
    await res.body.dump()
    expect(res.headers['x-inner']).toBe('You said: inner|4')
  })

  it('keeps verdicts and content in the record for audit, and out of the log line', async () => {
    await (await chat('remember this')).body.dump()
    const record = seen().at(-1) as {
      verdicts: object
      content: { request: { messages: unknown[] }; response: string }
    }
    expect(record.verdicts).toEqual({ replay: 'allow' })
    expect(record.content.response).toBe('You said: remember this')
    expect(record.content.request.messages).toEqual([{ role: 'user', content: 'remember this' }])
    const line = gateway.logs.filter((l) => l.includes('"msg":"request"')).at(-1) as string
    expect(line).toContain('"verdicts":{"replay":"allow"}')
    expect(line).not.toContain('remember this')
  })
})
