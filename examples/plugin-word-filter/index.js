/**
 * gateway-plugin-word-filter: blocks or masks words and phrases in chat
 * requests, and masks them in the answers (streamed ones included).
 *
 * A plain plugin definition, `{ name, options, setup }`, with no dependency on
 * llm-gateway: the gateway hands everything the plugin needs to `setup` (a
 * logger, metrics, `reject` to refuse a request).
 */

/** Message roles a chat request may carry. */
export const ROLES = Object.freeze(['system', 'developer', 'user', 'assistant', 'tool', 'function'])

const WORD_LIST = {
  type: 'array',
  items: { type: 'string', minLength: 1, pattern: '\\S' },
  uniqueItems: true,
}

/** JSON Schema of the options; `gateway check` validates a config's options against it (and fills the defaults). */
export const optionsSchema = Object.freeze({
  type: 'object',
  properties: {
    block: {
      ...WORD_LIST,
      description: 'Words and phrases that refuse the request (400) when a checked message contains one.',
    },
    mask: {
      ...WORD_LIST,
      description: 'Words and phrases replaced by `replacement` before the request leaves the gateway.',
    },
    replacement: { type: 'string', default: '***', description: 'What a masked word is replaced with.' },
    roles: {
      type: 'array',
      items: { enum: [...ROLES] },
      minItems: 1,
      uniqueItems: true,
      description: 'Roles of the messages to check (default: all).',
    },
    responses: {
      type: 'boolean',
      default: true,
      description: 'Also mask every listed word (block and mask) in answers, streamed or not.',
    },
    code: {
      type: 'string',
      minLength: 1,
      default: 'word_blocked',
      description: 'The error code a blocked request gets.',
    },
    message: {
      type: 'string',
      minLength: 1,
      default: 'The request contains a word that is not allowed.',
      description: 'The error message a blocked request gets (never names the word).',
    },
  },
  additionalProperties: false,
})

/** The plugin: the default export, what `{ use: 'gateway-plugin-word-filter' }` loads. */
const wordFilterPlugin = {
  name: 'word-filter',
  options: optionsSchema,
  setup,
}
export default wordFilterPlugin

/** For TypeScript configs: `plugins: [wordFilter({ mask: ['hunter2'] })]`. */
export function wordFilter(options) {
  return { plugin: wordFilterPlugin, options }
}

function setup(options, api) {
  const settings = settle(options)
  const blocked = wordPattern(settings.block)
  const masked = wordPattern(settings.mask)
  const inAnswers = settings.responses ? wordPattern([...settings.block, ...settings.mask]) : null
  const roles = new Set(settings.roles)
  const matches = api.metrics.counter('matches_total', 'Words or phrases the filter matched.', ['action', 'phase'])
  // The gateway's guardrail verdicts (gateway_guardrail_verdicts_total): one per request checked, one per masked answer.
  const verdict = typeof api.verdict === 'function' ? (v) => api.verdict(v) : () => {}

  if (!blocked && !masked) api.logger.warn('no words to block or mask: the plugin does nothing')
  if (blocked && typeof api.reject !== 'function') {
    throw new Error('gateway-plugin-word-filter needs a gateway whose plugin api has reject() (llm-gateway >= 0.1.0)')
  }

  const hooks = {}

  if (blocked || masked) {
    hooks.onRequest = (ctx) => {
      if (ctx.endpoint !== 'chat') return
      const messages = ctx.body.messages
      if (blocked) {
        let count = 0
        let first = -1
        messages.forEach((message, i) => {
          if (!roles.has(message.role)) return
          const found = countIn(message.content, blocked)
          if (found > 0 && first < 0) first = i
          count += found
        })
        if (count > 0) {
          matches.inc({ action: 'block', phase: 'request' }, count)
          verdict('block')
          // The counts and where, never the words: a log must not repeat what the filter keeps out.
          api.logger.info(
            { requestId: ctx.requestId, matches: count, messageIndex: first },
            'request refused: it contains a blocked word',
          )
          throw api.reject({
            status: 400,
            code: settings.code,
            message: settings.message,
            param: `messages[${first}].content`,
          })
        }
      }
      if (masked) {
        let count = 0
        const next = messages.map((message) => {
          if (!roles.has(message.role)) return message
          const result = maskContent(message.content, masked, settings.replacement)
          count += result.count
          return result.count > 0 ? { ...message, content: result.content } : message
        })
        if (count > 0) {
          ctx.body = { ...ctx.body, messages: next }
          matches.inc({ action: 'mask', phase: 'request' }, count)
          verdict('redact')
          api.logger.debug({ requestId: ctx.requestId, matches: count }, 'masked words in the request')
          return
        }
      }
      verdict('allow')
    }
  }

  if (inAnswers) {
    hooks.onResponse = (ctx, response) => {
      let count = 0
      const choices = response.choices.map((choice) => {
        const result = maskContent(choice.message?.content, inAnswers, settings.replacement)
        count += result.count
        return result.count > 0 ? { ...choice, message: { ...choice.message, content: result.content } } : choice
      })
      if (count === 0) return undefined
      matches.inc({ action: 'mask', phase: 'response' }, count)
      verdict('redact')
      api.logger.debug({ requestId: ctx.requestId, matches: count }, 'masked words in the answer')
      return { ...response, choices }
    }

    // One masker per request and choice; a WeakMap lets a request's state go with the request.
    const streams = new WeakMap()
    const reported = new WeakSet()
    const holdback = longest([...settings.block, ...settings.mask])
    hooks.onChunk = (ctx, chunk) => {
      if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return undefined
      let perChoice = streams.get(ctx)
      if (!perChoice) {
        perChoice = new Map()
        streams.set(ctx, perChoice)
      }
      let count = 0
      let changed = false
      const choices = chunk.choices.map((choice) => {
        const text = typeof choice.delta?.content === 'string' ? choice.delta.content : ''
        const last = choice.finish_reason != null
        if (text === '' && !last) return choice
        let masker = perChoice.get(choice.index)
        if (!masker) {
          masker = new StreamMasker(inAnswers, holdback, settings.replacement)
          perChoice.set(choice.index, masker)
        }
        const out = masker.push(text, last)
        count += out.count
        if (last) perChoice.delete(choice.index)
        if (out.text === text) return choice
        changed = true
        return { ...choice, delta: { ...choice.delta, content: out.text } }
      })
      if (count > 0) {
        matches.inc({ action: 'mask', phase: 'response' }, count)
        if (!reported.has(ctx)) {
          reported.add(ctx)
          verdict('redact')
          api.logger.debug({ requestId: ctx.requestId }, 'masking words in the streamed answer')
        }
      }
      return changed ? { ...chunk, choices } : undefined
    }
  }

  return hooks
}

/** The options with their defaults, checked (setup may be called without the gateway's validation, as in tests). */
function settle(options = {}) {
  const words = (list, name) => {
    if (list === undefined) return []
    if (!Array.isArray(list) || list.some((w) => typeof w !== 'string' || w.trim() === '')) {
      throw new TypeError(`word-filter: '${name}' must be a list of non-empty strings`)
    }
    return list
  }
  return {
    block: words(options.block, 'block'),
    mask: words(options.mask, 'mask'),
    replacement: options.replacement ?? '***',
    roles: options.roles ?? ROLES,
    responses: options.responses ?? true,
    code: options.code ?? 'word_blocked',
    message: options.message ?? 'The request contains a word that is not allowed.',
  }
}

/** A letter, digit, combining mark or underscore: what makes the text around a word part of another word. */
const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}_]'

/**
 * One case-insensitive regular expression for the list: whole words only
 * (not inside a longer word), the words of a phrase separated by any
 * whitespace, longer entries first so a phrase wins over a word it starts with.
 */
export function wordPattern(list) {
  const entries = [...new Set(list.map((w) => w.trim().toLowerCase()).filter(Boolean))]
  if (entries.length === 0) return null
  const alternatives = entries
    .sort((a, b) => b.length - a.length)
    .map((entry) => entry.split(/\s+/).map(escapeRegExp).join('\\s+'))
  return new RegExp(`(?<!${WORD_CHAR})(?:${alternatives.join('|')})(?!${WORD_CHAR})`, 'giu')
}

function escapeRegExp(text) {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

/** Matches of `pattern` in a message's text (a string, or a list of parts with `text`). */
function countIn(content, pattern) {
  if (typeof content === 'string') return content.match(pattern)?.length ?? 0
  if (!Array.isArray(content)) return 0
  return content.reduce((sum, part) => sum + (typeof part?.text === 'string' ? countIn(part.text, pattern) : 0), 0)
}

/** The content with every match replaced; images, audio and other parts pass untouched. */
export function maskContent(content, pattern, replacement) {
  if (typeof content === 'string') {
    let count = 0
    const masked = content.replace(pattern, () => {
      count++
      return replacement
    })
    return { content: masked, count }
  }
  if (!Array.isArray(content)) return { content, count: 0 }
  let count = 0
  const parts = content.map((part) => {
    if (typeof part?.text !== 'string') return part
    const result = maskContent(part.text, pattern, replacement)
    count += result.count
    return result.count > 0 ? { ...part, text: result.content } : part
  })
  return { content: count > 0 ? parts : content, count }
}

function longest(list) {
  return list.reduce((max, w) => Math.max(max, w.trim().length), 0)
}

/**
 * Masks a streamed text whose words may be split across chunks ("hun" +
 * "ter2"). It holds back the last few characters of what it has seen (as
 * many as the longest listed word, plus slack for the spacing in phrases)
 * until the next chunk shows whether they start a listed word; a match that
 * ends exactly at the end of what has arrived is held too, since the next
 * chunk could make it part of a longer word. `push(text, true)` at the end of
 * the stream lets everything out.
 */
export class StreamMasker {
  #pattern
  #holdback
  #replacement
  /** Received, not yet sent. */
  #pending = ''
  /** The last character already sent, so a word at the start of #pending is still tested as a whole word. */
  #before = ''

  constructor(pattern, longestWord, replacement) {
    this.#pattern = new RegExp(pattern.source, pattern.flags)
    this.#holdback = longestWord + 8
    this.#replacement = replacement
  }

  /** Returns the text to send now and how many matches it masked. */
  push(text, end = false) {
    const buffer = this.#pending + text
    const lead = this.#before
    const scan = lead + buffer
    let cut = end ? buffer.length : Math.max(0, buffer.length - this.#holdback)
    let out = ''
    let sent = 0
    let count = 0
    const pattern = this.#pattern
    pattern.lastIndex = lead.length
    for (let m = pattern.exec(scan); m !== null; m = pattern.exec(scan)) {
      const start = m.index - lead.length
      const stop = start + m[0].length
      if (start >= cut) break
      if (stop === buffer.length && !end) {
        // The next chunk could still extend it: wait.
        cut = start
        break
      }
      out += buffer.slice(sent, start) + this.#replacement
      sent = stop
      count++
      cut = Math.max(cut, stop)
    }
    // Never split a surrogate pair between what is sent and what is held.
    if (cut > sent && cut < buffer.length && isHighSurrogate(buffer.charCodeAt(cut - 1))) cut--
    if (cut > sent) out += buffer.slice(sent, cut)
    if (cut > 0) this.#before = lastCodePoint(buffer.slice(0, cut))
    this.#pending = buffer.slice(cut)
    return { text: out, count }
  }
}

function isHighSurrogate(code) {
  return code >= 0xd800 && code <= 0xdbff
}

function lastCodePoint(text) {
  const code = text.codePointAt(text.length - 2)
  return code !== undefined && code > 0xffff ? text.slice(-2) : text.slice(-1)
}
