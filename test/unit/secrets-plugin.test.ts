/**
 * The secrets plugin without a gateway: recall and false positives over the
 * fixture corpora, each action, per team and per key overrides, where a
 * secret is reported, that no value is ever echoed (error, logs), redaction
 * of requests and of answers (streamed ones split into one-character chunks).
 */
import { Writable } from 'node:stream'
import { Ajv } from 'ajv'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { isGatewayError } from '../../core/errors.js'
import type {
  ChatChunk,
  ChatCompletion,
  ChatMessage,
  GatewayError,
  PluginApi,
  PluginHooks,
  RequestContext,
} from '../../core/index.js'
import { pluginRejection } from '../../core/plugins/reject.js'
import type { GuardrailVerdict } from '../../core/plugins/types.js'
import secrets, { optionsSchema, type SecretsOptions } from '../../plugins/secrets/index.js'
import { RULES } from '../../plugins/secrets/rules.js'
import { createScanner, StreamRedactor } from '../../plugins/secrets/scanner.js'
import { evaluate } from '../fixtures/secrets/evaluate.js'
import { NEGATIVES } from '../fixtures/secrets/negatives.js'
import { POSITIVES } from '../fixtures/secrets/positives.js'

// Fake credentials built at run time (never real, never a literal a scanner would flag in this file).
const AWS_KEY = `AKIA${'Q7ZP3MVK2XWN4RTB'}`
const GH_TOKEN = `ghp_${'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz1A2'}`
const STRIPE_TEST = `sk_test_${'Zx81Hq2Lm4Np6Rs9Tv3Wy5Bc7Df0Gh2Jk4'}`

interface Harness {
  hooks: PluginHooks
  verdicts: GuardrailVerdict[]
  counted: Array<{ labels: Record<string, string> | undefined; value: number | undefined }>
  logs: string[]
}

async function harness(options: SecretsOptions = {}): Promise<Harness> {
  const verdicts: GuardrailVerdict[] = []
  const counted: Harness['counted'] = []
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })
  const api = {
    logger: pino({ level: 'debug' }, stream),
    store: { get: async () => undefined, set: async () => {}, delete: async () => false },
    metrics: {
      counter: () => ({ inc: (labels?: Record<string, string>, value?: number) => counted.push({ labels, value }) }),
      histogram: () => ({ observe() {} }),
    },
    env: () => undefined,
    configDir: process.cwd(),
    reject: pluginRejection,
    verdict: (v: GuardrailVerdict) => verdicts.push(v),
    gateway: {} as PluginApi['gateway'],
    cacheLookup() {},
  } as unknown as PluginApi
  const hooks = await secrets.definition.setup(options, api)
  return { hooks, verdicts, counted, logs }
}

function context(messages: ChatMessage[], caller: Partial<RequestContext['caller']> = {}): RequestContext {
  return {
    requestId: 'req-1',
    surface: 'openai',
    endpoint: 'chat',
    body: { model: 'demo', messages },
    headers: {},
    caller: { key: null, team: null, org: null, metadata: {}, ...caller },
    metadata: {},
    tags: {},
    route: null,
    responseHeaders: {},
    verdicts: {},
    required: new Set(),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
  }
}

function rejection(fn: () => unknown): GatewayError {
  try {
    fn()
  } catch (error) {
    if (isGatewayError(error)) return error
    throw error
  }
  throw new Error('expected the request to be refused')
}

const messagesOf = (ctx: RequestContext) => (ctx.body as { messages: ChatMessage[] }).messages

describe('the rule set and the corpora', () => {
  it('every rule has an id, a compilable pattern and a documented source', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length)
    for (const rule of RULES) {
      expect(() => new RegExp(rule.pattern, `gd${rule.flags ?? ''}`)).not.toThrow()
      expect(rule.source).toMatch(/^https:\/\//)
    }
  })

  it('the corpora are big enough: >= 150 fake credentials in >= 40 formats, >= 200 benign texts', () => {
    expect(POSITIVES.length).toBeGreaterThanOrEqual(150)
    expect(new Set(POSITIVES.map((p) => p.format)).size).toBeGreaterThanOrEqual(40)
    expect(NEGATIVES.length).toBeGreaterThanOrEqual(200)
  })

  it('recall >= 95% and false positives <= 1%', () => {
    const result = evaluate()
    expect(result.misses).toEqual([])
    expect(result.recall).toBeGreaterThanOrEqual(0.95)
    expect(result.falsePositiveRate).toBeLessThanOrEqual(0.01)
    expect(result.rightKind / result.positives).toBeGreaterThanOrEqual(0.95)
  })

  it('documented example keys, public keys and placeholders are not secrets', () => {
    const scanner = createScanner()
    expect(scanner.scan('AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toEqual([])
    expect(scanner.scan('OPENAI_API_KEY=$' + '{OPENAI_API_KEY}')).toEqual([])
    expect(
      scanner.scan(`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk3b0mS9c2R8vQw1yZ4t6uXeFgHjKlMnOpQrStUvWxY me@host`),
    ).toEqual([])
  })
})

describe('the secrets plugin on requests', () => {
  it('block: 400 secret_detected naming the kind and where, never the value', async () => {
    const h = await harness()
    const ctx = context([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
      { role: 'user', content: `my key is ${AWS_KEY}, why does s3 say denied?` },
    ])
    const error = rejection(() => h.hooks.onRequest!(ctx))
    expect(error).toMatchObject({ status: 400, code: 'secret_detected', param: 'messages[2].content' })
    expect(error.message).toContain('AWS access key ID')
    expect(error.message).toContain('messages[2].content')
    expect(error.message).not.toContain(AWS_KEY)
    expect(h.verdicts).toEqual(['block'])
    expect(h.counted).toEqual([
      { labels: { rule: 'aws-access-key', action: 'block', phase: 'request' }, value: undefined },
    ])
    expect(h.logs.join('')).toContain('messages[2].content')
    expect(h.logs.join('')).not.toContain(AWS_KEY)
  })

  it('redact: the secret is replaced before the request leaves; the caller’s body is not mutated', async () => {
    const h = await harness({ action: 'redact' })
    const original: ChatMessage[] = [{ role: 'user', content: `export GITHUB_TOKEN=${GH_TOKEN} then run the job` }]
    const ctx = context(original)
    expect(h.hooks.onRequest!(ctx)).toBeUndefined()
    expect(messagesOf(ctx)[0]!.content).toBe('export GITHUB_TOKEN=[REDACTED:github-pat] then run the job')
    expect(original[0]!.content).toContain(GH_TOKEN)
    expect(h.verdicts).toEqual(['redact'])
    expect(ctx.tags.secrets).toBe('redacted')
  })

  it('log: the request goes on unchanged, flagged, with the kind and where logged but not the value', async () => {
    const h = await harness({ action: 'log' })
    const ctx = context([{ role: 'user', content: `token: ${GH_TOKEN}` }])
    const before = structuredClone(ctx.body)
    h.hooks.onRequest!(ctx)
    expect(ctx.body).toEqual(before)
    expect(h.verdicts).toEqual(['flag'])
    const logged = h.logs.join('')
    expect(logged).toContain('github-pat')
    expect(logged).toContain('messages[0].content')
    expect(logged).not.toContain(GH_TOKEN)
  })

  it('a clean request is allowed', async () => {
    const h = await harness()
    h.hooks.onRequest!(context([{ role: 'user', content: 'What is the capital of France?' }]))
    expect(h.verdicts).toEqual(['allow'])
  })

  it('per team and per key overrides: a key’s action wins over its team’s, the team’s over the default', async () => {
    const h = await harness({
      action: 'block',
      overrides: { teams: { security: { action: 'log' } }, keys: { 'security-ci': { action: 'redact' } } },
    })
    const messages = (): ChatMessage[] => [{ role: 'user', content: `key ${AWS_KEY}` }]
    expect(() => h.hooks.onRequest!(context(messages(), { team: 'security', key: 'alice' }))).not.toThrow()
    const ci = context(messages(), { team: 'security', key: 'security-ci' })
    h.hooks.onRequest!(ci)
    expect(messagesOf(ci)[0]!.content).toBe('key [REDACTED:aws-access-key]')
    expect(rejection(() => h.hooks.onRequest!(context(messages(), { team: 'sales', key: 'bob' }))).status).toBe(400)
    expect(h.verdicts).toEqual(['flag', 'redact', 'block'])
  })

  it('reports where: text parts, tool call arguments and tool results', async () => {
    const cases: Array<[ChatMessage[], string]> = [
      [
        [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              { type: 'text', text: `use ${GH_TOKEN}` },
            ],
          },
        ],
        'messages[0].content[1].text',
      ],
      [
        [
          { role: 'user', content: 'deploy it' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'c1',
                type: 'function',
                function: { name: 'deploy', arguments: JSON.stringify({ token: GH_TOKEN }) },
              },
            ],
          },
        ],
        'messages[1].tool_calls[0].function.arguments',
      ],
      [
        [
          { role: 'user', content: 'read the env' },
          { role: 'tool', tool_call_id: 'c1', content: `AWS_ACCESS_KEY_ID=${AWS_KEY}\nHOME=/root` },
        ],
        'messages[1].content',
      ],
    ]
    const h = await harness()
    for (const [messages, where] of cases) {
      const error = rejection(() => h.hooks.onRequest!(context(messages)))
      expect(error.param).toBe(where)
      expect(error.message).toContain(where)
    }
  })

  it('redacts tool call arguments so they stay valid JSON', async () => {
    const h = await harness({ action: 'redact' })
    const ctx = context([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: JSON.stringify({ key: AWS_KEY, n: 1 }) } },
        ],
      },
    ])
    h.hooks.onRequest!(ctx)
    const args = messagesOf(ctx)[0]!.tool_calls![0]!.function.arguments
    expect(JSON.parse(args)).toEqual({ key: '[REDACTED:aws-access-key]', n: 1 })
  })

  it('scanToolCalls: false leaves tool results and arguments alone', async () => {
    const h = await harness({ scanToolCalls: false })
    h.hooks.onRequest!(context([{ role: 'tool', tool_call_id: 'c1', content: AWS_KEY }]))
    expect(h.verdicts).toEqual(['allow'])
  })

  it('never echoes a value: every fake credential of the corpus, blocked, appears in neither error nor logs', async () => {
    const h = await harness()
    for (const p of POSITIVES) {
      if (p.rule === 'stripe-test-key') continue
      const error = rejection(() => h.hooks.onRequest!(context([{ role: 'user', content: p.text }])))
      expect(error.message).not.toContain(p.secret)
      expect(error.message).toContain('messages[0].content')
    }
    const logged = h.logs.join('')
    for (const p of POSITIVES) expect(logged).not.toContain(p.secret)
  })

  it('test-mode keys (Stripe sk_test_) are only flagged by default, and blocked with lowSeverity: same', async () => {
    const lenient = await harness()
    const ctx = context([{ role: 'user', content: `stripe.api_key = "${STRIPE_TEST}"` }])
    lenient.hooks.onRequest!(ctx)
    expect(lenient.verdicts).toEqual(['flag'])
    expect(messagesOf(ctx)[0]!.content).toContain(STRIPE_TEST)
    const strict = await harness({ lowSeverity: 'same' })
    expect(rejection(() => strict.hooks.onRequest!(ctx)).message).toContain('Stripe test-mode')
  })

  it('redacts embeddings inputs too', async () => {
    const h = await harness({ action: 'redact' })
    const ctx = { ...context([]), endpoint: 'embeddings' as const, body: { model: 'e', input: ['ok', `x ${AWS_KEY}`] } }
    h.hooks.onRequest!(ctx)
    expect((ctx.body as { input: string[] }).input).toEqual(['ok', 'x [REDACTED:aws-access-key]'])
  })

  it('options are checked by their JSON Schema (as gateway check does), with defaults', () => {
    const validate = new Ajv({ strict: false, useDefaults: true }).compile(optionsSchema)
    const options: Record<string, unknown> = {}
    expect(validate(options)).toBe(true)
    expect(options).toMatchObject({ action: 'block', scanResponses: false, lowSeverity: 'log' })
    expect(validate({ action: 'mask' })).toBe(false)
    expect(validate({ overrides: { teams: { a: { action: 'nope' } } } })).toBe(false)
    expect(validate({ disable: ['not-a-rule'] })).toBe(false)
    expect(validate({ overrides: { keys: { k: { action: 'log' } } }, disable: ['jwt'] })).toBe(true)
  })
})

describe('the secrets plugin on answers', () => {
  const completion = (content: string): ChatCompletion => ({
    id: 'c',
    object: 'chat.completion',
    created: 0,
    model: 'demo',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  })
  const chunk = (content: string | undefined, finish: 'stop' | null = null): ChatChunk => ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'demo',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  })

  it('without scanResponses there are no answer hooks', async () => {
    const h = await harness()
    expect(h.hooks.onResponse).toBeUndefined()
    expect(h.hooks.onChunk).toBeUndefined()
  })

  it('masks a secret in a complete answer', async () => {
    const h = await harness({ scanResponses: true })
    const out = h.hooks.onResponse!(context([]), completion(`Use ${GH_TOKEN} as the token.`)) as ChatCompletion
    expect(out.choices[0]!.message.content).toBe('Use [REDACTED:github-pat] as the token.')
    expect(h.verdicts).toEqual(['redact'])
  })

  it('masks secrets split across one-character chunks, and lets clean text through', async () => {
    const h = await harness({ scanResponses: true, streamWindow: 64 })
    const ctx = context([])
    const answer = `Here is the key ${AWS_KEY} and a token ${GH_TOKEN}. ${'Plain text follows. '.repeat(10)}Done.`
    let streamed = ''
    for (const ch of answer) {
      const out = h.hooks.onChunk!(ctx, chunk(ch))
      streamed += (out === undefined ? ch : out?.choices[0]?.delta.content) ?? ''
    }
    const last = h.hooks.onChunk!(ctx, chunk(undefined, 'stop'))
    streamed += last?.choices[0]?.delta.content ?? ''
    expect(streamed).toBe(
      `Here is the key [REDACTED:aws-access-key] and a token [REDACTED:github-pat]. ${'Plain text follows. '.repeat(10)}Done.`,
    )
    expect(streamed).not.toContain(AWS_KEY.slice(4))
    expect(h.verdicts).toEqual(['redact'])
    expect(h.counted.map((c) => c.labels?.rule).sort()).toEqual(['aws-access-key', 'github-pat'])
  })

  it('the stream redactor holds an unfinished private key block until its END line', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(4)
    const key = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`
    const redactor = new StreamRedactor(createScanner(), 64, false)
    let out = ''
    for (let i = 0; i < key.length; i += 7) out += redactor.push(key.slice(i, i + 7))
    out += redactor.push('\nbye', true)
    expect(out).toBe('[REDACTED:private-key]\nbye')
  })
})
