/**
 * The scanner: rules (data, see rules.ts) compiled once; a text in, the
 * secrets found in it out (rule and span, never logged with the value);
 * redaction; and a stream redactor that holds back a window of text so a
 * secret split across chunks is still caught.
 */
import { DOCUMENTED_EXAMPLES, RULES, type SecretRule } from './rules.js'

export interface Finding {
  rule: string
  name: string
  severity: 'high' | 'low'
  /** The span to redact (the `secret` group, or the whole match). */
  start: number
  end: number
  /** Where the whole match ends (streams hold back a match that reaches the end of what has arrived). */
  matchEnd: number
}

interface CompiledRule {
  rule: SecretRule
  regex: RegExp
  before: RegExp | null
  /** Indices into the scanner's keyword table; null: the rule always runs. */
  keywords: readonly number[] | null
  entropy: number
  severity: 'high' | 'low'
  generic: boolean
}

export interface Scanner {
  readonly rules: readonly CompiledRule[]
  /** The secrets in `text`, non-overlapping, in text order. */
  scan(text: string): Finding[]
}

const DEFAULT_ENTROPY = 3

export function createScanner(options: { disabled?: readonly string[]; rules?: readonly SecretRule[] } = {}): Scanner {
  const disabled = new Set(options.disabled ?? [])
  const selected = (options.rules ?? RULES).filter((rule) => !disabled.has(rule.id))
  const index = new KeywordIndex(selected.flatMap((rule) => rule.keywords ?? []))
  const rules: CompiledRule[] = selected.map((rule) => ({
    rule,
    regex: new RegExp(rule.pattern, `gd${rule.flags ?? ''}`),
    before: rule.before ? new RegExp(rule.before, rule.flags?.includes('i') ? 'i' : '') : null,
    keywords: rule.keywords && rule.keywords.length > 0 ? rule.keywords.map((k) => index.id(k)) : null,
    entropy: rule.entropy ?? DEFAULT_ENTROPY,
    severity: rule.severity ?? 'high',
    generic: rule.generic === true,
  }))
  return { rules, scan: (text) => scanWith(rules, index, text) }
}

function scanWith(rules: readonly CompiledRule[], index: KeywordIndex, text: string): Finding[] {
  if (text.length < 8) return []
  const present = index.find(text)
  let findings: Finding[] | null = null
  for (const compiled of rules) {
    if (compiled.keywords !== null && !hasAny(present, compiled.keywords)) continue
    const { regex } = compiled
    regex.lastIndex = 0
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      if (m[0].length === 0) {
        regex.lastIndex++
        continue
      }
      if (compiled.before !== null && !compiled.before.test(text.slice(Math.max(0, m.index - 24), m.index))) continue
      const group = m.indices?.groups?.secret
      const [start, end] = group ?? [m.index, m.index + m[0].length]
      const value = text.slice(start, end)
      const after = text.charCodeAt(m.index + m[0].length)
      if (!plausible(compiled, value, group ? text.slice(m.index, start) : '', after)) continue
      const finding: Finding = {
        rule: compiled.rule.id,
        name: compiled.rule.name,
        severity: compiled.severity,
        start,
        end,
        matchEnd: m.index + m[0].length,
      }
      findings ??= []
      // Rules run most specific first: a later rule's match inside an earlier one's is the same secret.
      if (!findings.some((f) => f.start < finding.end && finding.start < f.end)) findings.push(finding)
    }
  }
  if (findings === null) return []
  return findings.sort((a, b) => a.start - b.start)
}

function hasAny(present: Uint8Array, keywords: readonly number[]): boolean {
  for (const k of keywords) if (present[k] === 1) return true
  return false
}

/**
 * Finds which of many keywords occur in a text in one pass: a bit table of
 * the (case-folded) three-character prefixes keywords start with, hashed to
 * 16 bits, then a comparison at the positions whose prefix is in the table.
 * Lower-case keywords match in any case; a keyword with a capital matches
 * exactly. Two-character keywords are looked up with `includes`.
 */
class KeywordIndex {
  #keywords: string[] = []
  #exact: boolean[] = []
  #short: number[] = []
  #byPrefix = new Map<number, number[]>()
  #table = new Uint8Array(1 << 16)

  constructor(keywords: readonly string[]) {
    for (const keyword of keywords) this.id(keyword)
  }

  id(keyword: string): number {
    const known = this.#keywords.indexOf(keyword)
    if (known >= 0) return known
    if (keyword.length < 2 || !/^[\x20-\x7e]+$/.test(keyword)) {
      throw new Error(`secrets: keyword '${keyword}' must be 2+ printable ASCII characters`)
    }
    const id = this.#keywords.push(keyword) - 1
    this.#exact.push(keyword !== keyword.toLowerCase())
    if (keyword.length === 2) {
      this.#short.push(id)
      return id
    }
    const prefix =
      (FOLD[keyword.charCodeAt(0)]! << 14) | (FOLD[keyword.charCodeAt(1)]! << 7) | FOLD[keyword.charCodeAt(2)]!
    this.#table[hash(prefix)] = 1
    const list = this.#byPrefix.get(prefix)
    if (list) list.push(id)
    else this.#byPrefix.set(prefix, [id])
    return id
  }

  /** A flag per keyword id: 1 when the keyword occurs in `text`. */
  find(text: string): Uint8Array {
    const keywords = this.#keywords
    const exact = this.#exact
    const table = this.#table
    const present = new Uint8Array(keywords.length)
    for (const id of this.#short) {
      const keyword = keywords[id]!
      if (exact[id] ? text.includes(keyword) : text.toLowerCase().includes(keyword)) present[id] = 1
    }
    const length = text.length
    let a = FOLD[text.charCodeAt(0)] ?? 0
    let b = FOLD[text.charCodeAt(1)] ?? 0
    for (let i = 0; i + 2 < length; i++) {
      const c = FOLD[text.charCodeAt(i + 2)] ?? 0
      if (a !== 0 && b !== 0 && c !== 0) {
        const prefix = (a << 14) | (b << 7) | c
        if (table[hash(prefix)] === 1) {
          const ids = this.#byPrefix.get(prefix)
          if (ids !== undefined) {
            for (const id of ids) {
              if (present[id] === 0 && matchesAt(text, i, keywords[id]!, exact[id]!)) present[id] = 1
            }
          }
        }
      }
      a = b
      b = c
    }
    return present
  }
}

function hash(prefix: number): number {
  return (prefix ^ (prefix >>> 11)) & 0xffff
}

function matchesAt(text: string, i: number, keyword: string, exact: boolean): boolean {
  if (i + keyword.length > text.length) return false
  if (exact) return text.startsWith(keyword, i)
  for (let j = 3; j < keyword.length; j++) {
    if (FOLD[text.charCodeAt(i + j)] !== keyword.charCodeAt(j)) return false
  }
  return true
}

/** ASCII folded to lower case; 0 for what no keyword holds (beyond ASCII). */
const FOLD = new Uint8Array(128).map((_, c) => (c >= 65 && c <= 90 ? c + 32 : c))

const PLACEHOLDER =
  /example|xxxx|\*\*\*|\.\.\.|…|placeholder|your[_-]|<[^>]*>|\$\{|\{\{|%\(|changeme|change_me|replace_?me|redacted|dummy|insert[_-]|sample/i
const STOP_VALUES = new Set([
  'password',
  'passw0rd',
  'password1',
  'password123',
  'secret',
  'changeme',
  'admin',
  'root',
  'postgres',
  'guest',
  'test',
  'pass',
  'user',
  'mysql',
  'redis',
  'rabbitmq',
  'mongo',
  'default',
  'none',
  'null',
  'undefined',
  'true',
  'false',
  'token',
  'apikey',
  'api_key',
  'letmein',
  'qwerty',
  '123456',
  '12345678',
  'hunter2',
])
/** Words in a generic rule's NAME that say the value is not the secret itself. */
const NOT_A_SECRET_NAME =
  /hash|digest|salt|_?len(?:gth)?\b|policy|field|label|hint|regex|pattern|format|file|path|url|uri|endpoint|name|type|expir|count|limit|header|prompt|_id\b|[_.-]id\b|min|max|reset|confirm|required|length|version/i
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/
const SNAKE_OR_CONSTANT = /^(?:[a-z]+(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)$/
const CAMEL = /^[a-z]+(?:[A-Z][a-z0-9]+)+$/
const ALL_DIGITS = /^\d+$/
const KEBAB_WORDS = /^[a-z]+(?:-[a-z]+)+$/

const EXAMPLES = new Set(DOCUMENTED_EXAMPLES)

/** Whether a match is a real-looking secret rather than an example, a placeholder or a reference. */
function plausible(compiled: CompiledRule, value: string, prefix: string, after: number): boolean {
  if (EXAMPLES.has(value)) return false
  for (const example of DOCUMENTED_EXAMPLES) if (value.includes(example)) return false
  if (PLACEHOLDER.test(value)) return false
  if (STOP_VALUES.has(value.toLowerCase())) return false
  if (entropy(value) < compiled.entropy) return false
  if (compiled.generic) {
    if (NOT_A_SECRET_NAME.test(prefix.replace(/\s*(?::=|=>|==|=|:)[\s\S]*$/, ''))) return false
    if (DOTTED_IDENTIFIER.test(value) || SNAKE_OR_CONSTANT.test(value) || CAMEL.test(value)) return false
    if (ALL_DIGITS.test(value) || KEBAB_WORDS.test(value)) return false
    if (classes(value) < 2) return false
    // A call: `auth = HTTPBasicAuth(user, password)`.
    if (after === 0x28) return false
  }
  return true
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  if (text.length === 0) return 0
  const counts = new Map<number, number>()
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let bits = 0
  for (const n of counts.values()) {
    const p = n / text.length
    bits -= p * Math.log2(p)
  }
  return bits
}

function classes(value: string): number {
  return (
    (/[a-z]/.test(value) ? 1 : 0) +
    (/[A-Z]/.test(value) ? 1 : 0) +
    (/\d/.test(value) ? 1 : 0) +
    (/[^A-Za-z0-9]/.test(value) ? 1 : 0)
  )
}

/** The text with every finding replaced by `[REDACTED:<rule>]`. */
export function redact(text: string, findings: readonly Finding[]): string {
  let out = ''
  let at = 0
  for (const f of findings) {
    if (f.start < at) continue
    out += text.slice(at, f.start) + `[REDACTED:${f.rule}]`
    at = f.end
  }
  return out + text.slice(at)
}

/** Already-sent text kept as context, so a name sent earlier still anchors a value that arrives now. */
const LEAD = 64
/** How much longer a private key block may be held while its END line is awaited. */
const MAX_BLOCK = 16_384

/**
 * Redacts a streamed text whose secrets may be split across chunks. It holds
 * back the last `window` characters of what has arrived (and any match that
 * reaches the end of it, and an unfinished `-----BEGIN` block) until later
 * chunks show where the secret ends; `push(text, true)` lets everything out.
 */
export class StreamRedactor {
  #scanner: Scanner
  #window: number
  #redactLow: boolean
  #pending = ''
  #lead = ''
  readonly found: Finding[] = []

  constructor(scanner: Scanner, window: number, redactLow: boolean) {
    this.#scanner = scanner
    this.#window = window
    this.#redactLow = redactLow
  }

  push(text: string, end = false): string {
    const buffer = this.#pending + text
    if (!end && buffer.length <= this.#window) {
      this.#pending = buffer
      return ''
    }
    const lead = this.#lead
    const scan = lead + buffer
    const findings = this.#scanner.scan(scan)
    let cut = end ? buffer.length : buffer.length - this.#window
    if (!end) {
      const begin = buffer.lastIndexOf('-----BEGIN')
      if (begin >= 0 && buffer.indexOf('-----END', begin) < 0 && buffer.length - begin < MAX_BLOCK) {
        cut = Math.min(cut, begin)
      }
    }
    let out = ''
    let sent = 0
    for (const f of findings) {
      const start = f.start - lead.length
      const stop = f.end - lead.length
      if (stop <= 0) continue
      if (start >= cut) break
      if (!end && f.matchEnd - lead.length >= buffer.length) {
        cut = Math.max(sent, start)
        break
      }
      this.found.push(f)
      if (f.severity === 'low' && !this.#redactLow) continue
      const from = Math.max(start, sent)
      out += buffer.slice(sent, from) + `[REDACTED:${f.rule}]`
      sent = stop
      cut = Math.max(cut, stop)
    }
    if (cut > sent && cut < buffer.length && isHighSurrogate(buffer.charCodeAt(cut - 1))) cut--
    if (cut > sent) out += buffer.slice(sent, cut)
    const released = Math.max(cut, sent)
    this.#lead = (lead + buffer.slice(0, released)).slice(-LEAD)
    this.#pending = buffer.slice(released)
    return out
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
