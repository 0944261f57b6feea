/**
 * The plugin on its own: `setup` is called with a fake of the gateway's
 * plugin API, and the hooks with the objects the gateway would hand them.
 * Run with `npm test` (node:test, no dependencies).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import wordFilterPlugin, { maskContent, optionsSchema, StreamMasker, wordFilter, wordPattern } from '../index.js'

/** What the gateway passes to setup, recording what the plugin does with it. */
function fakeApi() {
  const logs = []
  const counts = []
  const verdicts = []
  const log = (level) => (fields, message) => logs.push({ level, fields, message })
  return {
    logs,
    counts,
    verdicts,
    api: {
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      metrics: {
        counter: (name, _help, labelNames) => ({
          inc: (labels = {}, value = 1) => counts.push({ name, labelNames, labels, value }),
        }),
        histogram: () => ({ observe: () => {} }),
      },
      store: { get: async () => undefined, set: async () => {}, delete: async () => false },
      env: () => undefined,
      configDir: '/tmp',
      // Like the gateway's: an error carrying the answer the client gets.
      reject: (rejection) => Object.assign(new Error(rejection.message), { status: 400, ...rejection }),
      verdict: (verdict) => verdicts.push(verdict),
      cacheLookup: () => {},
    },
  }
}

function chatContext(messages, extra = {}) {
  return { requestId: 'req-1', endpoint: 'chat', body: { model: 'demo', messages, ...extra } }
}

function start(options) {
  const fake = fakeApi()
  return { ...fake, hooks: wordFilterPlugin.setup(options, fake.api) }
}

const total = (counts, action, phase) =>
  counts.filter((c) => c.labels.action === action && c.labels.phase === phase).reduce((sum, c) => sum + c.value, 0)

describe('the package', () => {
  it('default-exports a plain plugin definition the gateway accepts', () => {
    assert.equal(wordFilterPlugin.name, 'word-filter')
    assert.equal(typeof wordFilterPlugin.setup, 'function')
    assert.equal(wordFilterPlugin.options, optionsSchema)
    assert.equal(optionsSchema.additionalProperties, false)
    assert.deepEqual(Object.keys(optionsSchema.properties).sort(), [
      'block',
      'code',
      'mask',
      'message',
      'replacement',
      'responses',
      'roles',
    ])
  })

  it('wordFilter(options) is the entry a TypeScript config lists', () => {
    assert.deepEqual(wordFilter({ mask: ['x'] }), { plugin: wordFilterPlugin, options: { mask: ['x'] } })
  })

  it('refuses word lists that are not lists of words', () => {
    assert.throws(() => start({ block: 'titan' }), /'block' must be a list of non-empty strings/)
    assert.throws(() => start({ mask: ['ok', '  '] }), /'mask' must be a list of non-empty strings/)
  })

  it('does nothing, and says so, without words', () => {
    const { hooks, logs } = start({})
    assert.deepEqual(hooks, {})
    assert.equal(logs[0].level, 'warn')
  })

  it('works with a gateway that has no verdict() in its api', () => {
    const { api } = fakeApi()
    delete api.verdict
    const hooks = wordFilterPlugin.setup({ mask: ['x'] }, api)
    const ctx = chatContext([{ role: 'user', content: 'x y' }])
    hooks.onRequest(ctx)
    assert.equal(ctx.body.messages[0].content, '*** y')
  })

  it('without answers to mask, adds no response hooks (no cost on the stream path)', () => {
    const { hooks } = start({ mask: ['x'], responses: false })
    assert.deepEqual(Object.keys(hooks), ['onRequest'])
  })
})

describe('matching', () => {
  const matches = (list, text) => text.match(wordPattern(list)) ?? []

  it('is case-insensitive and matches whole words only', () => {
    assert.deepEqual(matches(['titan'], 'Titan, TITAN and titan.'), ['Titan', 'TITAN', 'titan'])
    assert.deepEqual(matches(['titan'], 'titanic titans subtitan titan_x x2titan'), [])
    assert.deepEqual(matches(['café'], 'CAFÉ cafés'), ['CAFÉ'])
  })

  it('matches phrases whatever the spacing, the longest entry first', () => {
    assert.deepEqual(matches(['acme', 'acme corp'], 'ACME  Corp\nand acme'), ['ACME  Corp', 'acme'])
  })

  it('takes entries literally, not as regular expressions', () => {
    assert.deepEqual(matches(['a.b', 'c++'], 'axb a.b c++ c'), ['a.b', 'c++'])
  })

  it('masks string content and text parts, leaving other parts alone', () => {
    const pattern = wordPattern(['secret'])
    assert.deepEqual(maskContent('a Secret b', pattern, '[x]'), { content: 'a [x] b', count: 1 })
    const image = { type: 'image_url', image_url: { url: 'https://example.com/secret.png' } }
    const parts = [{ type: 'text', text: 'secret secret' }, image]
    assert.deepEqual(maskContent(parts, pattern, '*'), { content: [{ type: 'text', text: '* *' }, image], count: 2 })
    assert.deepEqual(maskContent(null, pattern, '*'), { content: null, count: 0 })
  })

  it('inserts the replacement literally ($ patterns are not expanded)', () => {
    assert.equal(maskContent('a secret', wordPattern(['secret']), "$& $' $1").content, "a $& $' $1")
  })
})

describe('onRequest: block', () => {
  it('refuses a request with a blocked word: 400, the code, the message at fault', () => {
    const { hooks, counts, verdicts } = start({ block: ['project titan'] })
    const ctx = chatContext([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Tell me about PROJECT Titan and project titan' },
    ])
    assert.throws(
      () => hooks.onRequest(ctx),
      (error) => {
        assert.equal(error.status, 400)
        assert.equal(error.code, 'word_blocked')
        assert.equal(error.param, 'messages[1].content')
        assert.equal(error.message, 'The request contains a word that is not allowed.')
        return true
      },
    )
    assert.equal(total(counts, 'block', 'request'), 2)
    assert.deepEqual(verdicts, ['block'])
  })

  it('takes its code and message from the options', () => {
    const { hooks } = start({ block: ['x'], code: 'no_x', message: 'No x here.' })
    assert.throws(() => hooks.onRequest(chatContext([{ role: 'user', content: 'an x' }])), {
      code: 'no_x',
      message: 'No x here.',
    })
  })

  it('finds words in text parts', () => {
    const { hooks } = start({ block: ['titan'] })
    const ctx = chatContext([{ role: 'user', content: [{ type: 'text', text: 'about Titan?' }] }])
    assert.throws(() => hooks.onRequest(ctx), { code: 'word_blocked' })
  })

  it('checks only the configured roles', () => {
    const { hooks } = start({ block: ['titan'], roles: ['user'] })
    const ctx = chatContext([
      { role: 'system', content: 'never mention titan' },
      { role: 'user', content: 'hello' },
    ])
    assert.equal(hooks.onRequest(ctx), undefined)
  })

  it('lets clean requests and embeddings through untouched', () => {
    const { hooks, counts, verdicts } = start({ block: ['titan'], mask: ['hunter2'] })
    const ctx = chatContext([{ role: 'user', content: 'titanic weather' }])
    const body = ctx.body
    hooks.onRequest(ctx)
    assert.equal(ctx.body, body)
    const embeddings = { requestId: 'r', endpoint: 'embeddings', body: { model: 'e', input: 'titan' } }
    assert.equal(hooks.onRequest(embeddings), undefined)
    assert.deepEqual(counts, [])
    assert.deepEqual(verdicts, ['allow'])
  })

  it('never logs the words it found', () => {
    const { hooks, logs } = start({ block: ['project titan'] })
    assert.throws(() => hooks.onRequest(chatContext([{ role: 'user', content: 'project titan' }])))
    assert.equal(logs.length, 1)
    assert.deepEqual(logs[0].fields, { requestId: 'req-1', matches: 1, messageIndex: 0 })
    assert.doesNotMatch(JSON.stringify(logs), /titan/i)
  })
})

describe('onRequest: mask', () => {
  it('replaces the words before the request leaves, without touching the caller’s objects', () => {
    const { hooks, counts, logs, verdicts } = start({ mask: ['hunter2', 'acme corp'], replacement: '[redacted]' })
    const messages = [
      { role: 'system', content: 'You work for ACME Corp.' },
      { role: 'user', content: [{ type: 'text', text: 'my password is Hunter2' }] },
      { role: 'assistant', content: 'noted' },
    ]
    const ctx = chatContext(structuredClone(messages), { temperature: 0 })
    const original = ctx.body
    hooks.onRequest(ctx)
    assert.deepEqual(ctx.body, {
      model: 'demo',
      temperature: 0,
      messages: [
        { role: 'system', content: 'You work for [redacted].' },
        { role: 'user', content: [{ type: 'text', text: 'my password is [redacted]' }] },
        { role: 'assistant', content: 'noted' },
      ],
    })
    assert.deepEqual(original.messages, messages)
    assert.equal(total(counts, 'mask', 'request'), 2)
    assert.deepEqual(verdicts, ['redact'])
    assert.doesNotMatch(JSON.stringify(logs), /hunter2|acme/i)
  })

  it('blocks before it masks', () => {
    const { hooks, counts } = start({ block: ['titan'], mask: ['hunter2'] })
    assert.throws(() => hooks.onRequest(chatContext([{ role: 'user', content: 'hunter2 titan' }])))
    assert.equal(total(counts, 'mask', 'request'), 0)
  })
})

describe('onResponse', () => {
  const completion = (content) => ({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'demo',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  })

  it('masks block and mask words in the answer', () => {
    const { hooks, counts, verdicts } = start({ block: ['titan'], mask: ['hunter2'] })
    const masked = hooks.onResponse(chatContext([]), completion('Titan uses hunter2.'))
    assert.equal(masked.choices[0].message.content, '*** uses ***.')
    assert.equal(masked.usage.total_tokens, 2)
    assert.equal(total(counts, 'mask', 'response'), 2)
    assert.deepEqual(verdicts, ['redact'])
  })

  it('returns nothing (keep the answer) when there is nothing to mask', () => {
    const { hooks } = start({ mask: ['hunter2'] })
    assert.equal(hooks.onResponse(chatContext([]), completion('all clear')), undefined)
    assert.equal(hooks.onResponse(chatContext([]), completion(null)), undefined)
  })
})

describe('onChunk', () => {
  const chunk = (content, finish = null, index = 0) => ({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'demo',
    choices: [{ index, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  })

  /** Streams `pieces` through the hook as the gateway would, then the closing chunk; returns what is sent. */
  function stream(hooks, pieces, ctx = chatContext([])) {
    const sent = []
    for (const piece of [...pieces.map((p) => chunk(p)), chunk(undefined, 'stop')]) {
      const out = hooks.onChunk(ctx, piece) ?? piece
      sent.push(out.choices[0].delta.content ?? '')
    }
    return sent
  }

  it('masks a word split across chunks', () => {
    const { hooks, counts, verdicts } = start({ mask: ['hunter2'] })
    const sent = stream(hooks, ['The pass', 'word is hun', 'ter2', ' ok hunter2', '?'])
    assert.equal(sent.join(''), 'The password is *** ok ***?')
    assert.doesNotMatch(sent.join('|'), /hun|ter2/)
    assert.equal(total(counts, 'mask', 'response'), 2)
    assert.deepEqual(verdicts, ['redact'], 'one verdict for the answer, however many chunks were masked')
  })

  it('does not mask a word that the next chunk turns into a longer one', () => {
    const { hooks } = start({ mask: ['hunter2'] })
    assert.equal(stream(hooks, ['hunter2', '3 is fine']).join(''), 'hunter23 is fine')
  })

  it('holds a phrase stretched by spacing until the next chunk shows where it ends', () => {
    const { hooks } = start({ mask: ['acme corp'] })
    const wide = `acme${' '.repeat(20)}corp`
    assert.equal(stream(hooks, [wide, 's']).join(''), `${wide}s`)
    assert.equal(stream(hooks, [wide, '.']).join(''), '***.')
  })

  it('sends everything, masked, by the end of the stream', () => {
    const { hooks } = start({ mask: ['acme corp'], replacement: '▇' })
    assert.equal(stream(hooks, ['Ask Acme', ' Corp']).join(''), 'Ask ▇')
  })

  it('gives the same text as masking the whole answer, wherever the chunks split', () => {
    const { hooks } = start({ block: ['project titan'], mask: ['hunter2', 'x'] })
    const text = 'x: Project  Titan said hunter2, not hunter22 or xhunter2; 🙂 x hunter2 ok 🙂 project titan'
    const expected = maskContent(text, wordPattern(['project titan', 'hunter2', 'x']), '***').content
    const points = Array.from(text) // split on code points, as decoded SSE text arrives
    for (let a = 1; a < points.length; a++) {
      for (const b of [a + 1, a + 3, a + 7]) {
        const pieces = [points.slice(0, a), points.slice(a, b), points.slice(b)].map((p) => p.join(''))
        const sent = stream(hooks, pieces)
        assert.equal(sent.join(''), expected, `split at ${a}, ${b}`)
        for (const piece of sent) assert.ok(piece.isWellFormed(), 'no half of a surrogate pair is sent alone')
      }
    }
  })

  it('keeps the state of each request and each choice apart', () => {
    const { hooks } = start({ mask: ['hunter2'] })
    const one = chatContext([])
    const two = chatContext([])
    const sent = { one: [], two: [] }
    const send = (ctx, to, piece) => {
      const out = hooks.onChunk(ctx, piece) ?? piece
      for (const choice of out.choices) to.push([choice.index, choice.delta.content ?? ''])
    }
    send(one, sent.one, chunk('hun', null, 0))
    send(two, sent.two, chunk('ter2 ', null, 0))
    send(one, sent.one, chunk('hun', null, 1))
    send(one, sent.one, chunk('ter2', null, 0))
    send(one, sent.one, chunk('gry', null, 1))
    send(one, sent.one, chunk(undefined, 'stop', 0))
    send(one, sent.one, chunk(undefined, 'stop', 1))
    send(two, sent.two, chunk(undefined, 'stop', 0))
    const text = (list, index) =>
      list
        .filter(([i]) => i === index)
        .map(([, t]) => t)
        .join('')
    assert.equal(text(sent.one, 0), '***')
    assert.equal(text(sent.one, 1), 'hungry')
    assert.equal(text(sent.two, 0), 'ter2 ')
  })

  it('passes chunks without text through as they are', () => {
    const { hooks } = start({ mask: ['hunter2'] })
    const ctx = chatContext([])
    const usageOnly = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'demo', choices: [], usage: {} }
    assert.equal(hooks.onChunk(ctx, usageOnly), undefined)
    const role = chunk(undefined)
    role.choices[0].delta = { role: 'assistant', content: '' }
    assert.equal(hooks.onChunk(ctx, role), undefined)
    const tool = chunk(undefined)
    tool.choices[0].delta = { tool_calls: [{ index: 0, function: { arguments: '{"x":"hunter2"}' } }] }
    assert.equal(hooks.onChunk(ctx, tool), undefined)
  })
})

describe('StreamMasker', () => {
  it('holds back only what could still be the start of a listed word', () => {
    const masker = new StreamMasker(wordPattern(['ab']), 2, '#')
    const first = masker.push('x'.repeat(30))
    assert.equal(first.text, 'x'.repeat(20))
    assert.deepEqual(masker.push('', true), { text: 'x'.repeat(10), count: 0 })
  })
})
