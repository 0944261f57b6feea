/**
 * The regex-guard plugin: rules and word lists, their actions in requests
 * and answers, the shared stream window, and setup errors for bad patterns.
 */
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../core/index.js'
import { type RegexGuardOptions, setupRegexGuard } from '../../plugins/regex-guard/index.js'
import { fakeApi, fakeContext, textChunk } from '../helpers/fake-plugin-api.js'

function plugin(options: RegexGuardOptions) {
  const api = fakeApi()
  return { api, hooks: setupRegexGuard(options, api) }
}

const body = (content: string): ChatRequest => ({ model: 'demo', messages: [{ role: 'user', content }] })

async function refusal(run: () => unknown) {
  return Promise.resolve()
    .then(run)
    .catch((e: unknown) => e) as Promise<{ status: number; code: string; param: string | null; message: string }>
}

function stream(hooks: ReturnType<typeof setupRegexGuard>, pieces: string[]) {
  const ctx = fakeContext(body('hi'), fakeApi())
  const emitted: string[] = []
  for (const [i, piece] of pieces.entries()) {
    const chunk = textChunk(piece, i === pieces.length - 1)
    const out = (hooks.onChunk!(ctx, chunk) ?? chunk) as ChatChunk
    emitted.push(out.choices[0]?.delta.content ?? '')
  }
  return { emitted, text: emitted.join('') }
}

const TICKET = { name: 'ticket', pattern: 'PROJ-\\d{3,6}', action: 'redact' as const, maxLength: 11 }

describe('setup', () => {
  it('an invalid pattern fails setup with a message naming the rule', () => {
    expect(() => plugin({ rules: [TICKET, { name: 'broken', pattern: '(unclosed', action: 'block' }] })).toThrow(
      /regex-guard: rule 'broken' \(rules\[1\]\) has an invalid pattern: .*unclosed/i,
    )
    expect(() => plugin({ rules: [{ name: 'flags', pattern: 'x', flags: 'uv' }] })).toThrow(
      /rule 'flags'.*invalid pattern/,
    )
    expect(() => plugin({ rules: [{ name: 'flags', pattern: 'x', flags: 'gy' }] })).toThrow(/invalid flags 'gy'/)
  })

  it('duplicate names and empty word lists are refused', () => {
    expect(() => plugin({ rules: [TICKET], wordLists: [{ name: 'ticket', words: ['x'] }] })).toThrow(
      /'ticket' is used twice/,
    )
    expect(() => plugin({ wordLists: [{ name: 'empty', words: ['  '] }] })).toThrow(/'empty'.*has no words/)
  })

  it('no rules: warns and passes everything', async () => {
    const { api, hooks } = plugin({})
    const ctx = fakeContext(body('anything'), api)
    await hooks.onRequest!(ctx)
    expect(api.verdicts).toEqual(['allow'])
    expect(api.logs.join('\n')).toContain('does nothing')
  })
})

describe('requests', () => {
  it('block names the rule and the place, never the text', async () => {
    const { api, hooks } = plugin({ rules: [{ name: 'codename', pattern: 'project\\s+bluebird', flags: 'i' }] })
    const ctx = fakeContext(
      {
        model: 'demo',
        messages: [
          { role: 'system', content: 'ok' },
          { role: 'user', content: 'About Project  Bluebird?' },
        ],
      },
      api,
    )
    const error = await refusal(() => hooks.onRequest!(ctx))
    expect(error).toMatchObject({ status: 400, code: 'content_blocked', param: 'messages[1].content' })
    expect(error.message).toContain('codename')
    expect(error.message.toLowerCase()).not.toContain('bluebird')
    expect(api.logs.join('\n').toLowerCase()).not.toContain('bluebird')
    expect(api.verdicts).toEqual(['block'])
  })

  it('redact with rule replacements; word lists: whole words, case, phrases', async () => {
    const { api, hooks } = plugin({
      rules: [TICKET],
      wordLists: [
        { name: 'swear', words: ['darn', 'heck no'], action: 'redact', replacement: '***' },
        { name: 'Names', words: ['Alice'], caseSensitive: true, action: 'redact', replacement: '[{name}]' },
        { name: 'parts', words: ['cat'], wholeWord: false, action: 'redact', replacement: '#' },
      ],
    })
    const ctx = fakeContext(body('DARN, heck\n no: PROJ-1234 for Alice, not alice or darned; concatenate'), api)
    await hooks.onRequest!(ctx)
    expect((ctx.body as ChatRequest).messages[0]!.content).toBe(
      '***, ***: [REDACTED] for [Names], not alice or darned; con#enate',
    )
    expect(api.counts.get('detections_total{kind=swear,phase=input,action=redact}')).toBe(2)
  })

  it('log passes the request and logs rule names only', async () => {
    const { api, hooks } = plugin({ rules: [{ ...TICKET, action: 'log' }] })
    const ctx = fakeContext(body('see PROJ-4242'), api)
    const before = ctx.body
    await hooks.onRequest!(ctx)
    expect(ctx.body).toBe(before)
    expect(api.verdicts).toEqual(['flag'])
    expect(api.logs.at(-1)).toContain('"ticket":1')
    expect(api.logs.join('\n')).not.toContain('4242')
  })

  it('a pattern that can match the empty string only acts on real matches', async () => {
    const { api, hooks } = plugin({ rules: [{ name: 'as', pattern: 'a*', action: 'redact', replacement: '_' }] })
    const ctx = fakeContext(body('baaad'), api)
    await hooks.onRequest!(ctx)
    expect((ctx.body as ChatRequest).messages[0]!.content).toBe('b_d')
  })
})

describe('answers', () => {
  it('complete answers: redact and block', async () => {
    const answer = (content: string): ChatCompletion => ({
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: 'demo',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    })
    const redact = plugin({ rules: [TICKET], scan: ['output'] })
    const out = (await redact.hooks.onResponse!(
      fakeContext(body('x'), redact.api),
      answer('fixed in PROJ-99999'),
    )) as ChatCompletion
    expect(out.choices[0]!.message.content).toBe('fixed in [REDACTED]')
    expect(redact.hooks.onRequest).toBeUndefined()

    const block = plugin({ wordLists: [{ name: 'secret', words: ['classified'] }], scan: ['output'] })
    const error = await refusal(() =>
      block.hooks.onResponse!(fakeContext(body('x'), block.api), answer('it is CLASSIFIED')),
    )
    expect(error).toMatchObject({ status: 400, code: 'content_blocked', param: null })
  })

  it('streams: a word split across chunks is redacted; block degrades to redact', () => {
    const { hooks } = plugin({ wordLists: [{ name: 'secret', words: ['classified', 'top secret'] }] })
    expect(stream(hooks, ['this is clas', 'sifi', 'ed and top ', 'secret', ' stuff', '']).text).toBe(
      'this is [REDACTED] and [REDACTED] stuff',
    )
    // Not a whole word: released as it was.
    expect(stream(hooks, ['declassifi', 'ed', '']).text).toBe('declassified')
  })

  it('streams: a rule match split across chunks; text is held no longer than the window', () => {
    const { hooks } = plugin({ rules: [TICKET] })
    expect(stream(hooks, ['see PR', 'OJ-12', '3456 now', '']).text).toBe('see [REDACTED] now')
    const pieces = Array.from({ length: 30 }, (_, i) => `w${i} `)
    const { emitted, text } = stream(hooks, [...pieces, ''])
    expect(text).toBe(pieces.join(''))
    // Window 11: once more than 11 characters arrived, every chunk releases something.
    expect(emitted.slice(4, 30).every((e) => e.length > 0)).toBe(true)
  })
})
