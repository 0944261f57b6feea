/**
 * The semantic cache plugin (plugins/semantic-cache): embeddings through the
 * gateway's own embedding route. The mock provider embeds text from its
 * SHA-256 (paraphrases are unrelated vectors), so the paraphrase cases use an
 * OpenAI-compatible mock upstream answering hand-made vectors with known
 * cosine similarities.
 */
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadUsearch } from '../../plugins/semantic-cache/vector-index.js'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const PLUGIN_ENTRY = fileURLToPath(new URL('../../plugins/semantic-cache/index.ts', import.meta.url))

const CAPITAL = 'What is the capital of France?'
const PARAPHRASE = 'Tell me the capital city of France'
const UNRELATED = 'How do I bake bread?'
const JUST_BELOW = 'France: which city is its capital, roughly?'
const JUST_ABOVE = 'Which city is the capital of France?'
const THRESHOLD = 0.9

/** Hand-made unit vectors: their cosine similarity to CAPITAL's is the first component. */
const VECTORS: Record<string, number[]> = {
  [CAPITAL]: [1, 0, 0, 0],
  [PARAPHRASE]: [0.96, 0.28, 0, 0],
  [UNRELATED]: [0, 0, 0, 1],
  // 0.89 to CAPITAL (below 0.9); to JUST_ABOVE: 0.89 * 0.91 = 0.81, so neither answers the other.
  [JUST_BELOW]: [0.89, Math.sqrt(1 - 0.89 ** 2), 0, 0],
  [JUST_ABOVE]: [0.91, 0, Math.sqrt(1 - 0.91 ** 2), 0],
}

function config(upstream: MockUpstream, index: 'usearch' | 'scan'): string {
  return `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import semanticCache from ${JSON.stringify(PLUGIN_ENTRY)}
export default defineConfig({
  providers: {
    up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: 'sk-semantic-test' }] },
    mock: { type: 'mock', embeddingDimensions: 16 },
  },
  routes: {
    chat: { targets: ['up/gpt-4o-mini'] },
    embed: { targets: ['up/text-embedding-3-small'] },
    'mock-chat': { targets: ['mock/demo'] },
  },
  plugins: [
    semanticCache({ embeddingRoute: 'embed', threshold: ${THRESHOLD}, ttlSeconds: 60, index: '${index}' }),
  ],
})
`
}

async function ask(url: string, body: Record<string, unknown>) {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> }
  return { status: res.statusCode, headers: res.headers, content: json.choices?.[0]?.message.content }
}

const user = (content: string, system?: string) => ({
  model: 'chat',
  messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content }],
})

for (const index of ['usearch', 'scan'] as const) {
  describe(`semantic cache (${index} index)`, () => {
    let upstream: MockUpstream
    let gateway: TestGateway
    const chatCalls = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length

    beforeAll(async () => {
      upstream = await startMockUpstream()
      gateway = await startTestGateway(config(upstream, index))
    })
    afterAll(async () => {
      await gateway.close()
      await upstream.close()
    })
    beforeEach(() => {
      upstream.reset()
      upstream.when('text-embedding-3-small', {
        embedding: (input) => VECTORS[input] ?? upstream.embeddingFor(input, 4),
      })
      // Each answer names its question, so a hit shows which stored question answered.
      upstream.setDefault((req: RecordedRequest) => {
        const messages = (req.body as { messages: Array<{ content: string }> }).messages
        return { text: `answer to: ${messages.at(-1)?.content}` }
      })
    })

    it('loads usearch here (the fallback scan is tested alongside)', () => {
      expect(loadUsearch()).not.toBeNull()
    })

    it('answers a paraphrase from the stored answer, and misses an unrelated question', async () => {
      const system = `system ${randomUUID()}`
      const first = await ask(gateway.url, user(CAPITAL, system))
      expect(first.headers['x-gateway-cache']).toBe('miss')
      expect(first.content).toBe(`answer to: ${CAPITAL}`)

      const paraphrase = await ask(gateway.url, user(PARAPHRASE, system))
      expect(paraphrase.headers['x-gateway-cache']).toBe('hit')
      expect(paraphrase.headers['x-gateway-cache-match']).toBe('semantic')
      expect(Number(paraphrase.headers['x-gateway-cache-similarity'])).toBeCloseTo(0.96, 3)
      expect(paraphrase.headers['x-gateway-cost-usd']).toBe('0.000000000')
      expect(paraphrase.content).toBe(`answer to: ${CAPITAL}`)

      const unrelated = await ask(gateway.url, user(UNRELATED, system))
      expect(unrelated.headers['x-gateway-cache']).toBe('miss')
      expect(unrelated.content).toBe(`answer to: ${UNRELATED}`)

      const exact = await ask(gateway.url, user(CAPITAL, system))
      expect(exact.headers['x-gateway-cache-match']).toBe('exact')
      expect(chatCalls()).toBe(2)
    })

    it('respects the threshold: just below misses, just above hits', async () => {
      const system = `system ${randomUUID()}`
      await ask(gateway.url, user(CAPITAL, system))
      const below = await ask(gateway.url, user(JUST_BELOW, system))
      expect(below.headers['x-gateway-cache']).toBe('miss')
      expect(below.content).toBe(`answer to: ${JUST_BELOW}`)
      const above = await ask(gateway.url, user(JUST_ABOVE, system))
      expect(above.headers['x-gateway-cache']).toBe('hit')
      expect(above.content).toBe(`answer to: ${CAPITAL}`)
      expect(Number(above.headers['x-gateway-cache-similarity'])).toBeCloseTo(0.91, 3)
      expect(chatCalls()).toBe(2)
    })

    it('is scoped by system prompt (and route/model): the same question under another one misses', async () => {
      const terse = `terse ${randomUUID()}`
      const verbose = `verbose ${randomUUID()}`
      await ask(gateway.url, user(CAPITAL, terse))
      expect((await ask(gateway.url, user(PARAPHRASE, verbose))).headers['x-gateway-cache']).toBe('miss')
      expect((await ask(gateway.url, user(PARAPHRASE, terse))).headers['x-gateway-cache']).toBe('hit')
      // Another route (served by the mock provider) with the same messages is another namespace.
      const other = await ask(gateway.url, { ...user(CAPITAL, terse), model: 'mock-chat' })
      expect(other.headers['x-gateway-cache']).toBe('miss')
      expect(chatCalls()).toBe(2)
    })

    it('honours no-cache and no-store like the exact cache', async () => {
      const system = `system ${randomUUID()}`
      const noStore = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gateway-cache': 'no-store' },
        body: JSON.stringify(user(CAPITAL, system)),
      })
      await noStore.body.dump()
      expect((await ask(gateway.url, user(PARAPHRASE, system))).headers['x-gateway-cache']).toBe('miss')
      expect(chatCalls()).toBe(2)
    })
  })
}

describe('semantic cache with the mock provider embeddings', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(`import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import semanticCache from ${JSON.stringify(PLUGIN_ENTRY)}
export default defineConfig({
  providers: { mock: { type: 'mock', embeddingDimensions: 32 } },
  routes: { demo: { targets: ['mock/demo'] }, embed: { targets: ['mock/demo'] } },
  plugins: [semanticCache({ embeddingRoute: 'embed', threshold: 0.9 })],
})
`)
  })
  afterAll(() => gateway.close())

  it('embeds deterministically: different texts are far apart (miss), the same text hits', async () => {
    const body = (content: string) => ({ model: 'demo', messages: [{ role: 'user', content }] })
    expect((await ask(gateway.url, body('one question'))).headers['x-gateway-cache']).toBe('miss')
    expect((await ask(gateway.url, body('another question'))).headers['x-gateway-cache']).toBe('miss')
    const again = await ask(gateway.url, { ...body('one question'), user: 'someone else' })
    expect(again.headers['x-gateway-cache']).toBe('hit')
    expect(again.content).toBe('You said: one question')
  })
})

describe('semantic cache bounds', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  beforeAll(async () => {
    upstream = await startMockUpstream()
    upstream.when('text-embedding-3-small', { embedding: (input) => VECTORS[input] ?? upstream.embeddingFor(input, 4) })
    gateway = await startTestGateway(
      config(upstream, 'usearch').replace(`index: 'usearch'`, `index: 'usearch', maxEntries: 1`),
    )
  })
  afterAll(async () => {
    await gateway.close()
    await upstream.close()
  })

  it('evicts the oldest question past maxEntries', async () => {
    const system = `system ${randomUUID()}`
    await ask(gateway.url, user(CAPITAL, system))
    expect((await ask(gateway.url, user(PARAPHRASE, system))).headers['x-gateway-cache']).toBe('hit')
    await ask(gateway.url, user(UNRELATED, system))
    expect((await ask(gateway.url, user(PARAPHRASE, system))).headers['x-gateway-cache']).toBe('miss')
  })

  it('forgets a question after its TTL', async () => {
    const system = `system ${randomUUID()}`
    const first = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gateway-cache': 'ttl=1' },
      body: JSON.stringify(user(CAPITAL, system)),
    })
    await first.body.dump()
    expect((await ask(gateway.url, user(JUST_ABOVE, system))).headers['x-gateway-cache']).toBe('hit')
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect((await ask(gateway.url, user(JUST_ABOVE, system))).headers['x-gateway-cache']).toBe('miss')
  })
})
