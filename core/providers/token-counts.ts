/**
 * Providers' token counts -> canonical usage. Counts arrive loosely typed
 * (missing, null, or whatever a proxy put there), and the canonical
 * identities (see `Usage`) must hold whatever came.
 */
import type { Usage } from '../canonical/chat.js'

/** A reported count; anything but a positive finite number counts as none. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}

/**
 * Usage from counts that report the input read from and written to the cache
 * apart from the rest (Anthropic's and Bedrock's accounting): the canonical
 * prompt counts all three, and the total is recomputed rather than trusted.
 */
export function usageFromCacheSplit(counts: {
  uncachedInput: unknown
  cacheRead: unknown
  cacheWrite: unknown
  output: unknown
}): Usage {
  const cacheRead = tokenCount(counts.cacheRead)
  const cacheWrite = tokenCount(counts.cacheWrite)
  const prompt = tokenCount(counts.uncachedInput) + cacheRead + cacheWrite
  const completion = tokenCount(counts.output)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
  }
}
