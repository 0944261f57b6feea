/**
 * The moderation plugin against a moderation model served by a mock OpenAI
 * upstream that answers the JSON contract with deterministic scores: text
 * containing "violence" or "hate" scores high in that category.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const MODERATION = JSON.stringify(
  path.join(fileURLToPath(new URL('../..', import.meta.url)), 'plugins', 'moderation', 'index.ts'),
)

function scores(req: RecordedRequest) {
  const text = String((req.body as { messages: Array<{ content: string }> }).messages.at(-1)?.content ?? '')
  const category_scores = {
    violence: text.includes('violence') ? 0.97 : 0.01,
    hate: text.includes('hate') ? 0.91 : 0.02,
    sexual: text.includes('borderline') ? 0.6 : 0.0,
  }
  const categories = Object.fromEntries(Object.entries(category_scores).map(([k, v]) => [k, v >= 0.5]))
  const flagged = Object.values(categories).some(Boolean)
  return { text: `\`\`\`json\n${JSON.stringify({ flagged, categories, category_scores })}\n\`\`\`` }
}

function config(upstream: MockUpstream, entry: string): string {
  return tsConfig(`{
  providers: {
    mock: { type: 'mock' },
    mod: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: 'sk-moderation-test-key-0000000000' }] },
  },
  routes: {
    demo: { targets: ['mock/demo'] },
    moderation: { targets: ['mod/moderator'], retry: { attempts: 1 } },
    broken: { targets: ['mod/broken'], retry: { attempts: 1 } },
    slow: { targets: ['mod/slow'], retry: { attempts: 1 } },
  },
  plugins: [${entry}],
}`).replace('export default', `import moderation from ${MODERATION}\nexport default`)
}

const chat = async (gateway: TestGateway, content: string) => {
  const res = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content }] }),
  })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

describe('moderation plugin', () => {
  let upstream: MockUpstream
  let strict: TestGateway
  let closed: TestGateway
  let open: TestGateway
  let slow: TestGateway

  beforeAll(async () => {
    upstream = await startMockUpstream()
    upstream.when('moderator', scores)
    upstream.when('slow', (req) => ({ ...scores(req), delayMs: 3000 }))
    upstream.when('broken', { status: 500, error: { message: 'moderation is down', type: 'server_error' } })
    ;[strict, closed, open, slow] = await Promise.all([
      startTestGateway(config(upstream, `moderation({ route: 'moderation', thresholds: { sexual: 0.8 } })`)),
      startTestGateway(config(upstream, `moderation({ route: 'broken' })`)),
      startTestGateway(config(upstream, `{ ...moderation({ route: 'broken' }), failOpen: true }`)),
      startTestGateway(config(upstream, `{ ...moderation({ route: 'slow', callTimeoutMs: 5000 }), timeoutMs: 300 }`)),
    ])
  })
  afterAll(async () => {
    await Promise.all([strict?.close(), closed?.close(), open?.close(), slow?.close()])
    await upstream?.close()
  })

  it('blocks flagged content with 400 content_flagged naming the categories', async () => {
    const { status, body } = await chat(strict, 'a story full of violence and hate')
    expect(status).toBe(400)
    const error = body.error as { code: string; message: string; type: string }
    expect(error.code).toBe('content_flagged')
    expect(error.type).toBe('invalid_request_error')
    expect(error.message).toContain('violence')
    expect(error.message).toContain('hate')
    expect(error.message).not.toContain('sexual')
    const sent = upstream.requests.at(-1)?.body as { model: string; messages: Array<{ role: string; content: string }> }
    expect(sent.model).toBe('moderator')
    expect(sent.messages[0]?.role).toBe('system')
    expect(sent.messages[1]?.content).toBe('a story full of violence and hate')
    const line = strict.logs.filter((l) => l.includes('"msg":"request"')).at(-1) as string
    expect(line).toContain('"verdicts":{"moderation":"block"}')
  })

  it('lets clean content through, and applies per-category thresholds', async () => {
    const clean = await chat(strict, 'a poem about spring')
    expect(clean.status).toBe(200)
    expect((clean.body.choices as Array<{ message: { content: string } }>)[0]?.message.content).toBe(
      'You said: a poem about spring',
    )
    // sexual scores 0.6: over the default 0.5, under its own 0.8.
    expect((await chat(strict, 'something borderline')).status).toBe(200)
    const line = strict.logs.filter((l) => l.includes('"msg":"request"')).at(-1) as string
    expect(line).toContain('"verdicts":{"moderation":"allow"}')
  })

  it('fails closed (503) when the moderation model fails', async () => {
    const { status, body } = await chat(closed, 'a poem about spring')
    expect(status).toBe(503)
    expect((body.error as { code: string }).code).toBe('plugin_error')
  })

  it('fails closed (503) when the moderation model is slower than the hook budget', async () => {
    const started = performance.now()
    const { status, body } = await chat(slow, 'a poem about spring')
    expect(status).toBe(503)
    expect((body.error as { message: string }).message).toContain('did not finish within 300 ms')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('serves anyway with failOpen', async () => {
    const { status } = await chat(open, 'a poem about spring')
    expect(status).toBe(200)
    const line = open.logs.filter((l) => l.includes('"msg":"request"')).at(-1) as string
    expect(line).toContain('"verdicts":{"moderation":"error"}')
  })
})
