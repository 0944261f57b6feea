/**
 * Types for gateway-plugin-word-filter. Self-contained on purpose: the
 * package does not depend on llm-gateway, so these describe only what the
 * plugin reads of the gateway's plugin API.
 */

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function'

export type WordFilterOptions = {
  /** Words and phrases that refuse the request (400, code `code`) when a checked message contains one. */
  block?: string[]
  /** Words and phrases replaced by `replacement` before the request leaves the gateway. */
  mask?: string[]
  /** What a masked word is replaced with. Default `***`. */
  replacement?: string
  /** Roles of the messages to check. Default: all. */
  roles?: Role[]
  /** Also mask every listed word (block and mask) in answers, streamed or not. Default true. */
  responses?: boolean
  /** The error code of a blocked request. Default `word_blocked`. */
  code?: string
  /** The error message of a blocked request (never names the word). */
  message?: string
}

/** What the plugin uses of the gateway's plugin API (`PluginApi` in llm-gateway). */
export interface WordFilterApi {
  readonly logger: {
    debug(fields: object, message: string): void
    info(fields: object, message: string): void
    warn(message: string): void
  }
  readonly metrics: {
    counter(
      name: string,
      help: string,
      labelNames?: readonly string[],
    ): { inc(labels?: Record<string, string>, value?: number): void }
  }
  reject(rejection: {
    status?: number
    code: string
    message: string
    param?: string | null
    headers?: Record<string, string>
  }): Error
  /** Reports a guardrail verdict (counted in gateway_guardrail_verdicts_total); used when the gateway has it. */
  verdict?(verdict: 'allow' | 'block' | 'redact' | 'flag' | 'error'): void
}

/** What the hooks read of a request in flight (`RequestContext` in llm-gateway). */
export interface RequestLike {
  readonly requestId: string
  readonly endpoint: 'chat' | 'embeddings'
  body: unknown
}

/** What the hooks read of a complete answer (`ChatCompletion`). */
export interface CompletionLike {
  choices: ReadonlyArray<{ message?: { content?: unknown } }>
}

/** What the hooks read of a stream chunk (`ChatChunk`). */
export interface ChunkLike {
  choices: ReadonlyArray<{ index: number; delta?: { content?: unknown }; finish_reason?: unknown }>
}

/**
 * The hooks `setup` returns; which ones depends on the options. An answer or
 * chunk comes back as the same type, masked, or undefined when unchanged.
 */
export interface WordFilterHooks {
  onRequest?(ctx: RequestLike): void
  onResponse?<R extends CompletionLike>(ctx: RequestLike, response: R): R | undefined
  onChunk?<C extends ChunkLike>(ctx: RequestLike, chunk: C): C | undefined
}

export interface WordFilterPlugin {
  readonly name: 'word-filter'
  /** JSON Schema of `WordFilterOptions`. */
  readonly options: Readonly<Record<string, unknown>>
  setup(options: WordFilterOptions, api: WordFilterApi): WordFilterHooks
}

/** The plugin definition: what `{ use: 'gateway-plugin-word-filter', options }` loads. */
declare const wordFilterPlugin: WordFilterPlugin
export default wordFilterPlugin

/** For TypeScript configs: `plugins: [wordFilter({ mask: ['hunter2'] })]`. */
export function wordFilter(options: WordFilterOptions): { plugin: WordFilterPlugin; options: WordFilterOptions }

export const optionsSchema: Readonly<Record<string, unknown>>
export const ROLES: readonly Role[]

/** The whole-word, case-insensitive pattern for a list of words (null for an empty list). */
export function wordPattern(list: readonly string[]): RegExp | null

/** A message's content with every match of `pattern` replaced. */
export function maskContent<C>(content: C, pattern: RegExp, replacement: string): { content: C; count: number }

/** Masks a text that arrives in pieces, holding back what could be the start of a listed word. */
export class StreamMasker {
  constructor(pattern: RegExp, longestWord: number, replacement: string)
  push(text: string, end?: boolean): { text: string; count: number }
}
