/**
 * Bedrock Converse usage -> canonical usage (see `Usage` in core/canonical/chat.ts).
 *
 * Like Anthropic's, Bedrock's `inputTokens` EXCLUDES the tokens read from
 * and written to the prompt cache; those come beside it as
 * `cacheReadInputTokens` and `cacheWriteInputTokens`, and `totalTokens` is
 * the sum of all four. Canonical `prompt_tokens` includes both, so:
 *
 *   prompt_tokens         = inputTokens + cacheReadInputTokens + cacheWriteInputTokens
 *   cached_tokens         = cacheReadInputTokens
 *   cache_write_tokens = cacheWriteInputTokens
 *   completion_tokens     = outputTokens (reasoning is billed as output and included;
 *                           Bedrock reports no separate reasoning count)
 *
 * `totalTokens` is not trusted: it is recomputed so the canonical identity
 * (total = prompt + completion) always holds. The per-TTL split of cache
 * writes (`cacheDetails`) is not modelled.
 */
import type { Usage } from '../../canonical/chat.js'
import { usageFromCacheSplit } from '../token-counts.js'

export interface BedrockUsage {
  inputTokens?: number | null
  outputTokens?: number | null
  totalTokens?: number | null
  cacheReadInputTokens?: number | null
  cacheWriteInputTokens?: number | null
  [field: string]: unknown
}

export function usageFromBedrock(usage: BedrockUsage): Usage {
  return usageFromCacheSplit({
    uncachedInput: usage.inputTokens,
    cacheRead: usage.cacheReadInputTokens,
    cacheWrite: usage.cacheWriteInputTokens,
    output: usage.outputTokens,
  })
}
