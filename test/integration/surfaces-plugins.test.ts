/**
 * Plugins see the canonical request whatever the client's surface, so the
 * same cache serves every surface (a hit rendered in the asking client's own
 * format, streamed or not), a guardrail refuses in that surface's error
 * format, and a redaction reaches an Anthropic stream.
 */
import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { type MockUpstream, startMockUpstream } from '../mocks/openai-upstream.js'

const CACHE_ENTRY = new URL('../../plugins/cache/index.ts', import.meta.url).pathname
const REGEX_GUARD_ENTRY = new URL('../../plugins/regex-guard/index.ts', import.meta.url).pathname

describe('plugins on every surface', () => {
  let upstream: MockUpstream
  let gateway: TestGateway
  let anthropic: Anthropic
  let openai: OpenAI
  let genai: GoogleGenAI

  beforeAll(async () => {
    upstream = await startMockUpstream()
    gateway = await startTestGateway(`import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import cache from ${JSON.stringify(CACHE_ENTRY)}
import regexGuard from ${JSON.stringify(REGEX_GUARD_ENTRY)}
export default defineConfig({
  providers: { up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: 'sk-surfaces-test' }] } },
  routes: { chat: { targets: ['up/gpt-4o-mini'] } },
  plugins: [
    regexGuard({
      rules: [
        { name: 'codename', pattern: 'project\\\\s+bluebird', flags: 'i', action: 'block' },
        { name: 'ticket', pattern: 'PROJ-\\\\d{3,6}', action: 'redact', maxLength: 11 },
      ],
    }),
    cache({ ttlSeconds: 60 }),
  ],
})
`)
    anthropic = new Anthropic({ apiKey: 'unused', baseURL: `${gateway.url}/anthropic`, maxRetries: 0 })
    openai = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1`, maxRetries: 0 })
    genai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: `${gateway.url}/genai` } })
  })
  afterAll(async () => {
    await gateway.close()
    await upstream.close()
  })
  beforeEach(() => upstream.reset())

  it('answers an Anthropic client from what an OpenAI client put in the cache, as an Anthropic message', async () => {
    upstream.when('gpt-4o-mini', { text: 'Cached across surfaces.' })
    const first = await openai.chat.completions
      .create({ model: 'chat', max_tokens: 50, messages: [{ role: 'user', content: 'cross-surface question' }] })
      .withResponse()
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss')

    const second = await anthropic.messages
      .create({ model: 'chat', max_tokens: 50, messages: [{ role: 'user', content: 'cross-surface question' }] })
      .withResponse()
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit')
    expect(second.data.content).toEqual([{ type: 'text', text: 'Cached across surfaces.' }])
    expect(second.data.stop_reason).toBe('end_turn')
    expect(upstream.requests).toHaveLength(1)
  })

  it('replays a cached stream as Anthropic events, usage included', async () => {
    upstream.when('gpt-4o-mini', { text: 'A streamed answer worth caching.', pieceSize: 4 })
    const ask = () =>
      anthropic.messages
        .stream({ model: 'chat', max_tokens: 60, messages: [{ role: 'user', content: 'stream me once' }] })
        .finalMessage()
    const live = await ask()
    const replayed = await ask()
    expect(upstream.requests).toHaveLength(1)
    expect(replayed.content).toEqual([{ type: 'text', text: 'A streamed answer worth caching.' }])
    expect(replayed.content).toEqual(live.content)
    expect(replayed.usage.input_tokens).toBe(live.usage.input_tokens)
    expect(replayed.usage.output_tokens).toBe(live.usage.output_tokens)
  })

  it('refuses a blocked prompt in each surface’s own error format', async () => {
    const fromAnthropic = await anthropic.messages
      .create({
        model: 'chat',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'tell me about Project Bluebird' }],
      })
      .catch((error: unknown) => error)
    expect(fromAnthropic).toBeInstanceOf(Anthropic.BadRequestError)
    expect((fromAnthropic as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    })

    const fromGenai = await genai.models
      .generateContent({ model: 'chat', contents: 'what is project bluebird?' })
      .catch((error: unknown) => error)
    expect(fromGenai).toMatchObject({ status: 400 })
    expect(String((fromGenai as Error).message)).toContain('INVALID_ARGUMENT')
    expect(upstream.requests).toHaveLength(0)
  })

  it('redacts a streamed answer on its way to an Anthropic client', async () => {
    upstream.when('gpt-4o-mini', { text: 'Your ticket is PROJ-12345, noted.', pieceSize: 3 })
    const message = await anthropic.messages
      .stream({ model: 'chat', max_tokens: 60, messages: [{ role: 'user', content: 'my ticket?' }] })
      .finalMessage()
    expect(message.content).toEqual([{ type: 'text', text: 'Your ticket is [REDACTED], noted.' }])
  })
})
