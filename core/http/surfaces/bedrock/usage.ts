/**
 * Canonical usage -> Bedrock Converse usage, the inverse of
 * `usageFromBedrock` (core/providers/bedrock/usage.ts). Canonical
 * `prompt_tokens` includes the prompt-cache reads and writes; Bedrock's
 * `inputTokens` excludes them and reports them beside it:
 *
 *   inputTokens           = prompt_tokens - cached_tokens - cache_write_tokens
 *   cacheReadInputTokens  = cached_tokens
 *   cacheWriteInputTokens = cache_write_tokens
 *   outputTokens          = completion_tokens
 *   totalTokens           = the sum of all four (= prompt_tokens + completion_tokens)
 *
 * The cache fields are sent only when the answer used the cache, as Bedrock does.
 */
import type { Usage } from '../../../canonical/chat.js'

export interface ConverseUsage {
  inputTokens: number
  outputTokens: number
  totalTokens: number
  cacheReadInputTokens?: number
  cacheWriteInputTokens?: number
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}

export function usageToBedrock(usage: Usage): ConverseUsage {
  const prompt = count(usage.prompt_tokens)
  const cacheRead = count(usage.prompt_tokens_details?.cached_tokens)
  const cacheWrite = count(usage.prompt_tokens_details?.cache_write_tokens)
  const output = count(usage.completion_tokens)
  // A provider reporting more cached than prompt tokens must not produce a negative count.
  const input = Math.max(0, prompt - cacheRead - cacheWrite)
  const converse: ConverseUsage = {
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + cacheRead + cacheWrite + output,
  }
  if (cacheRead > 0) converse.cacheReadInputTokens = cacheRead
  if (cacheWrite > 0) converse.cacheWriteInputTokens = cacheWrite
  return converse
}
