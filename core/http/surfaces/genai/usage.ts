/**
 * Canonical usage -> Gemini `usageMetadata`, the inverse of
 * `usageFromGemini` (core/providers/gemini/usage.ts). The semantics differ
 * on reasoning: canonical `completion_tokens` INCLUDES the reasoning tokens,
 * Gemini's `candidatesTokenCount` does NOT (they are `thoughtsTokenCount`).
 * Cached tokens are part of the prompt count on both sides. So:
 *
 *   promptTokenCount        = prompt_tokens
 *   cachedContentTokenCount = cached_tokens               (when any)
 *   thoughtsTokenCount      = reasoning_tokens            (when any)
 *   candidatesTokenCount    = completion_tokens - reasoning_tokens
 *   totalTokenCount         = prompt_tokens + completion_tokens
 *
 * Cache writes have no Gemini field; they stay inside the prompt count,
 * where canonical usage counts them too.
 */
import type { Usage } from '../../../canonical/chat.js'
import type { GeminiUsageMetadata } from '../../../providers/gemini/usage.js'

export function usageMetadataOf(usage: Usage): GeminiUsageMetadata {
  const prompt = count(usage.prompt_tokens)
  const completion = count(usage.completion_tokens)
  const reasoning = Math.min(count(usage.completion_tokens_details?.reasoning_tokens), completion)
  const cached = Math.min(count(usage.prompt_tokens_details?.cached_tokens), prompt)
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: completion - reasoning,
    totalTokenCount: prompt + completion,
    ...(cached > 0 && { cachedContentTokenCount: cached }),
    ...(reasoning > 0 && { thoughtsTokenCount: reasoning }),
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0
}
