/**
 * Anthropic Messages usage -> canonical usage (see `Usage` in core/canonical/chat.ts).
 *
 * Anthropic's `input_tokens` EXCLUDES cache reads and cache writes; they are
 * reported beside it. Canonical `prompt_tokens` includes both, so:
 *
 *   prompt_tokens     = input_tokens + cache_read_input_tokens + cache_creation_input_tokens
 *   cached_tokens     = cache_read_input_tokens
 *   cache_write_tokens = cache_creation_input_tokens
 *   completion_tokens = output_tokens (extended thinking is billed as output and included;
 *                       Anthropic reports no separate thinking count)
 *
 * Cache writes are priced at the 5-minute write rate; the 1-hour split
 * (`cache_creation.ephemeral_1h_input_tokens`) is not modelled.
 */
import type { Usage } from '../../canonical/chat.js'
import { tokenCount, usageFromCacheSplit } from '../token-counts.js'

export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  [field: string]: unknown
}

export function usageFromAnthropic(usage: AnthropicUsage): Usage {
  return usageFromCacheSplit({
    uncachedInput: usage.input_tokens,
    cacheRead: usage.cache_read_input_tokens,
    cacheWrite: usage.cache_creation_input_tokens,
    output: usage.output_tokens,
  })
}

/** The inverse, for the Anthropic surface: input_tokens is what was neither read from nor written to the cache. */
export function usageToAnthropic(usage: Usage): AnthropicUsage {
  const cacheRead = tokenCount(usage.prompt_tokens_details?.cached_tokens)
  const cacheWrite = tokenCount(usage.prompt_tokens_details?.cache_write_tokens)
  return {
    input_tokens: Math.max(0, tokenCount(usage.prompt_tokens) - cacheRead - cacheWrite),
    output_tokens: tokenCount(usage.completion_tokens),
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  }
}

/** The stream events that carry usage (others may be passed too and are ignored). */
export type AnthropicUsageEvent =
  | { type: 'message_start'; message: { usage?: Partial<AnthropicUsage> | null; [field: string]: unknown } }
  | { type: 'message_delta'; usage?: Partial<AnthropicUsage> | null; [field: string]: unknown }
  | { type: string; [field: string]: unknown }

const FIELDS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const

/**
 * Usage of a streamed Anthropic message. `message_start` carries the input
 * usage (and a first, tiny `output_tokens`); each `message_delta` carries
 * CUMULATIVE counts, so a field it reports replaces the earlier value (never
 * add them up). Feed every event (or just those two) to `add`; read `usage()`
 * after `message_stop`, or whenever the stream ends: a stream cut short
 * still has the input usage of its `message_start`.
 */
export class AnthropicStreamUsage {
  #usage: Partial<Record<(typeof FIELDS)[number], number>> = {}
  #seen = false

  add(event: AnthropicUsageEvent): void {
    if (event.type === 'message_start') this.#merge((event.message as { usage?: unknown } | undefined)?.usage)
    else if (event.type === 'message_delta') this.#merge(event.usage)
  }

  /** Canonical usage so far; undefined if no usage has been seen. */
  usage(): Usage | undefined {
    if (!this.#seen) return undefined
    return usageFromAnthropic({
      ...this.#usage,
      input_tokens: this.#usage.input_tokens ?? 0,
      output_tokens: this.#usage.output_tokens ?? 0,
    })
  }

  #merge(usage: unknown): void {
    if (!usage || typeof usage !== 'object') return
    this.#seen = true
    for (const field of FIELDS) {
      const value = (usage as Record<string, unknown>)[field]
      if (typeof value === 'number' && Number.isFinite(value)) this.#usage[field] = value
    }
  }
}
