/**
 * How an OpenAI-format stream reaches an OpenAI client: with no chunk hooks
 * the upstream's own JSON text of each frame goes out unchanged (not parsed
 * and serialised again), and everything the gateway must change still
 * changes: the usage chunk a client did not ask for is hidden, a frame whose
 * data spans lines is re-framed, and a plugin that edits chunks in place is
 * seen by the client.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'

/** Written with spaces after colons and an extra field: re-serialising would change these bytes. */
const CONTENT_FRAMES = [
  '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}, "finish_reason": null}], "x_extra": {"kept": true}}',
  '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"content": " world"}, "finish_reason": null}]}',
  '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}',
]
const USAGE_FRAME =
  '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}'
/** The same chunk as the second content frame, sent as two `data:` lines (which SSE joins with a newline). */
const SPLIT_FRAME =
  'data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",\ndata:  "choices": [{"index": 0, "delta": {"content": " world"}, "finish_reason": null}]}\n\n'

function startUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const split = req.headers['x-split'] === 'yes'
      const [first, second, last] = CONTENT_FRAMES as [string, string, string]
      res.write(`data: ${first}\n\n`)
      res.write(split ? SPLIT_FRAME : `data: ${second}\n\n`)
      res.write(`data: ${last}\n\ndata: ${USAGE_FRAME}\n\ndata: [DONE]\n\n`)
      res.end()
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** The `data:` payloads the client received, in order. */
async function streamData(url: string, body: object, headers: Record<string, string> = {}): Promise<string[]> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
  })
  expect(res.statusCode).toBe(200)
  const text = await res.body.text()
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true)
      expect(frame.slice(6)).not.toContain('\n')
      return frame.slice(6)
    })
}

function configFor(upstream: Server, withHook: boolean): string {
  const { port } = upstream.address() as AddressInfo
  return `import { defineConfig, definePlugin } from ${JSON.stringify(CORE_ENTRY)}
const shout = definePlugin({
  name: 'shout',
  setup: () => ({
    // Edits the chunk in place and returns nothing: the client must still see the edit.
    onChunk(_ctx: any, chunk: any) {
      for (const choice of chunk.choices) if (choice.delta.content) choice.delta.content = choice.delta.content.toUpperCase()
    },
  }),
})
export default defineConfig({
  providers: { up: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:${port}/v1', models: ['m'] } },
  routes: { chat: { targets: ['up/m'] } },
  plugins: ${withHook ? '[shout()]' : '[]'},
})
`
}

describe('relaying an OpenAI-format stream to an OpenAI client', () => {
  let upstream: Server
  let plain: TestGateway
  let hooked: TestGateway

  beforeAll(async () => {
    upstream = await startUpstream()
    plain = await startTestGateway(configFor(upstream, false))
    hooked = await startTestGateway(configFor(upstream, true))
  })

  afterAll(async () => {
    await plain?.close()
    await hooked?.close()
    await new Promise((resolve) => upstream?.close(resolve))
  })

  it('forwards the upstream text of each frame unchanged, usage included when asked for', async () => {
    const data = await streamData(plain.url, { stream_options: { include_usage: true } })
    expect(data).toEqual([...CONTENT_FRAMES, USAGE_FRAME, '[DONE]'])
  })

  it('hides the usage chunk from a client that did not ask for usage', async () => {
    const data = await streamData(plain.url, {})
    expect(data).toEqual([...CONTENT_FRAMES, '[DONE]'])
  })

  it('re-frames a chunk whose data spans lines as one line of the same JSON', async () => {
    const data = await streamData(plain.url, {}, { 'x-split': 'yes' })
    expect(data).toHaveLength(4)
    expect(JSON.parse(data[1] as string)).toEqual(JSON.parse(CONTENT_FRAMES[1] as string))
    expect(data[0]).toBe(CONTENT_FRAMES[0])
  })

  it('sends what a chunk hook changed in place, not the upstream text', async () => {
    const data = await streamData(hooked.url, {})
    const content = data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta.content ?? '')
    expect(content.join('')).toBe('HELLO WORLD')
    expect(JSON.parse(data[0] as string).x_extra).toEqual({ kept: true })
  })
})
