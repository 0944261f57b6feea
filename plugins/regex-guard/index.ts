/**
 * regex-guard: custom rules (regular expressions) and word lists that block,
 * redact or log what they match, in requests and answers (streamed answers
 * through the same carry-over window as the pii plugin). Patterns are
 * compiled once, at setup; an invalid one fails setup with the rule's name.
 * See README.md.
 */
import { definePlugin, type PluginApi, type PluginHooks } from '../../core/index.js'
import {
  combineDetectors,
  type Detector,
  GUARD_ACTIONS,
  GUARD_PHASES,
  type GuardAction,
  type GuardPhase,
  MESSAGE_ROLES,
  regexDetector,
  textGuardHooks,
} from '../shared/text-guard.js'

export interface RegexRule {
  name: string
  pattern: string
  /** Regular expression flags among i, m, s, u, v (g is implied). */
  flags?: string
  action?: GuardAction
  replacement?: string
  /** The longest text the rule can match: what a stream holds back for it (default: the plugin's `window`). */
  maxLength?: number
}

export interface WordList {
  name: string
  words: string[]
  /** Only whole words (not inside a longer word); default true. */
  wholeWord?: boolean
  /** Default false. */
  caseSensitive?: boolean
  action?: GuardAction
  replacement?: string
}

export interface RegexGuardOptions {
  rules?: RegexRule[]
  wordLists?: WordList[]
  /** The action of a rule or list that names none (default `block`). */
  action?: GuardAction
  /** What a redacted match becomes; `{name}` is the rule's or list's name (default `[REDACTED]`). */
  replacement?: string
  scan?: GuardPhase[]
  roles?: string[]
  /** Characters a stream holds back for a rule without `maxLength` (default 256). */
  window?: number
  /** Error code of a refusal (default `content_blocked`). */
  code?: string
}

const NAME = {
  type: 'string',
  pattern: '^[A-Za-z0-9_.-]{1,64}$',
  description: 'Names the rule in logs, errors, metrics.',
}

export const optionsSchema = {
  type: 'object',
  properties: {
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'pattern'],
        properties: {
          name: NAME,
          pattern: { type: 'string', minLength: 1, description: 'A JavaScript regular expression (source).' },
          flags: { type: 'string', pattern: '^[imsuv]*$', description: 'Flags among i m s u v; g is implied.' },
          action: { enum: [...GUARD_ACTIONS] },
          replacement: { type: 'string' },
          maxLength: { type: 'integer', minimum: 1, maximum: 65536 },
        },
        additionalProperties: false,
      },
    },
    wordLists: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'words'],
        properties: {
          name: NAME,
          words: { type: 'array', items: { type: 'string', minLength: 1, pattern: '\\S' }, minItems: 1 },
          wholeWord: { type: 'boolean', default: true },
          caseSensitive: { type: 'boolean', default: false },
          action: { enum: [...GUARD_ACTIONS] },
          replacement: { type: 'string' },
        },
        additionalProperties: false,
      },
    },
    action: { enum: [...GUARD_ACTIONS], default: 'block' },
    replacement: { type: 'string', default: '[REDACTED]' },
    scan: {
      type: 'array',
      items: { enum: [...GUARD_PHASES] },
      minItems: 1,
      uniqueItems: true,
      default: ['input', 'output'],
    },
    roles: { type: 'array', items: { enum: [...MESSAGE_ROLES] }, minItems: 1, uniqueItems: true },
    window: { type: 'integer', minimum: 1, maximum: 65536, default: 256 },
    code: { type: 'string', minLength: 1, default: 'content_blocked' },
  },
  additionalProperties: false,
} as const

interface Compiled {
  detect: Detector<string>
  action: GuardAction
  replacement: string
  window: number
}

/** A letter, digit, combining mark or underscore: what makes text around a word part of another word. */
const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}_]'

export function setupRegexGuard(options: RegexGuardOptions, api: PluginApi): PluginHooks {
  const defaults = {
    action: options.action ?? 'block',
    replacement: options.replacement ?? '[REDACTED]',
    window: options.window ?? 256,
  }
  const compiled = new Map<string, Compiled>()
  const add = (name: string, entry: Compiled) => {
    if (compiled.has(name))
      throw new Error(`regex-guard: the name '${name}' is used twice; rules and lists need unique names`)
    compiled.set(name, entry)
  }
  const fill = (template: string, name: string) => template.replaceAll('{name}', name)

  for (const [i, rule] of (options.rules ?? []).entries()) {
    const label = `rule '${rule.name ?? `#${i}`}' (rules[${i}])`
    if (typeof rule.pattern !== 'string' || rule.pattern === '') throw new Error(`regex-guard: ${label} has no pattern`)
    const pattern = compilePattern(rule, label)
    add(rule.name, {
      detect: regexDetector(rule.name, pattern),
      action: rule.action ?? defaults.action,
      replacement: fill(rule.replacement ?? defaults.replacement, rule.name),
      window: rule.maxLength ?? defaults.window,
    })
  }

  for (const [i, list] of (options.wordLists ?? []).entries()) {
    const label = `word list '${list.name ?? `#${i}`}' (wordLists[${i}])`
    const words = [...new Set((list.words ?? []).map((w) => w.trim()).filter(Boolean))]
    if (words.length === 0) throw new Error(`regex-guard: ${label} has no words`)
    const alternatives = words
      .sort((a, b) => b.length - a.length)
      .map((w) => w.split(/\s+/).map(escapeRegExp).join('\\s+'))
      .join('|')
    const whole = list.wholeWord ?? true
    const source = whole ? `(?<!${WORD_CHAR})(?:${alternatives})(?!${WORD_CHAR})` : `(?:${alternatives})`
    add(list.name, {
      detect: regexDetector(list.name, new RegExp(source, list.caseSensitive ? 'gu' : 'giu')),
      action: list.action ?? defaults.action,
      replacement: fill(list.replacement ?? defaults.replacement, list.name),
      // Room for the whitespace between the words of a phrase, and the one character the end check reads.
      window: Math.max(...words.map((w) => w.length)) + 16,
    })
  }

  if (compiled.size === 0) api.logger.warn('regex-guard has no rules and no word lists: it does nothing')
  const entries = [...compiled.values()]
  const of = (name: string) => compiled.get(name)!
  return textGuardHooks(
    {
      detect: entries.length > 0 ? combineDetectors(entries.map((e) => e.detect)) : () => [],
      actionOf: (name) => of(name).action,
      replacementOf: (name) => of(name).replacement,
      window: Math.max(1, ...entries.map((e) => e.window)),
      holdsStream: entries.some((e) => e.action !== 'log'),
      phases: new Set(options.scan ?? ['input', 'output']),
      roles: new Set(options.roles ?? MESSAGE_ROLES),
      code: options.code ?? 'content_blocked',
      subject: 'blocked content',
    },
    api,
  )
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}

/** `plugins: [regexGuard({ rules: [...] })]` in a TS config; the default export is also what `{ use }` loads. */
/** A rule's pattern as a global RegExp; throws naming the rule when the flags or the syntax are wrong. */
function compilePattern(rule: NonNullable<RegexGuardOptions['rules']>[number], label: string): RegExp {
  const flags = rule.flags ?? ''
  if (!/^[imsuv]*$/.test(flags))
    throw new Error(`regex-guard: ${label} has invalid flags '${flags}' (allowed: i m s u v)`)
  try {
    return new RegExp(rule.pattern, `${flags}g`)
  } catch (error) {
    throw new Error(`regex-guard: ${label} has an invalid pattern: ${(error as Error).message}`)
  }
}

export const regexGuard = definePlugin<RegexGuardOptions>({
  name: 'regex-guard',
  options: optionsSchema as unknown as Record<string, unknown>,
  setup: setupRegexGuard,
  // Regex syntax is beyond JSON Schema: compiling the patterns here lets `gateway check` report them.
  validate: (options) =>
    (options.rules ?? []).flatMap((rule, i) => {
      try {
        compilePattern(rule, `rule '${rule.name ?? `#${i}`}' (rules[${i}])`)
        return []
      } catch (error) {
        return [(error as Error).message]
      }
    }),
})

export default regexGuard
