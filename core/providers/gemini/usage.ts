/**
 * Gemini `usageMetadata` -> canonical usage (see `Usage` in core/canonical/chat.ts).
 *
 * - `promptTokenCount` INCLUDES the cached tokens (`cachedContentTokenCount`).
 * - `toolUsePromptTokenCount` (results of built-in tools such as search or code
 *   execution, fed back to the model) is input too, reported beside the prompt.
 * - `thoughtsTokenCount` is billed as output and is NOT part of
 *   `candidatesTokenCount`.
 *
 * So:
 *
 *   prompt_tokens     = promptTokenCount + toolUsePromptTokenCount
 *   cached_tokens     = cachedContentTokenCount
 *   completion_tokens = candidatesTokenCount + thoughtsTokenCount
 *   reasoning_tokens  = thoughtsTokenCount
 *
 * Guard: if `totalTokenCount` shows the candidates already include the
 * thoughts (prompt + tool-use + candidates = total, as some responses have
 * reported), the thoughts are not added a second time.
 */
import type { Usage } from '../../canonical/chat.js'
import { tokenCount } from '../token-counts.js'

export interface GeminiUsageMetadata {
  promptTokenCount?: number
  candidatesTokenCount?: number
  cachedContentTokenCount?: number
  thoughtsTokenCount?: number
  toolUsePromptTokenCount?: number
  totalTokenCount?: number
  [field: string]: unknown
}

export function usageFromGemini(metadata: GeminiUsageMetadata): Usage {
  const prompt = tokenCount(metadata.promptTokenCount) + tokenCount(metadata.toolUsePromptTokenCount)
  const candidates = tokenCount(metadata.candidatesTokenCount)
  const thoughts = tokenCount(metadata.thoughtsTokenCount)
  const cached = Math.min(tokenCount(metadata.cachedContentTokenCount), prompt)
  const total = metadata.totalTokenCount
  const thoughtsInCandidates = thoughts > 0 && thoughts <= candidates && total === prompt + candidates
  const completion = thoughtsInCandidates ? candidates : candidates + thoughts
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: thoughts },
  }
}

/**
 * Usage of a streamed Gemini response. Every chunk's `usageMetadata` is a
 * running total and the last chunk carries the final one, so each field
 * reported replaces the earlier value. Feed every chunk to `add`; read
 * `usage()` at the end (undefined if no chunk had usage).
 */
export class GeminiStreamUsage {
  #metadata: GeminiUsageMetadata = {}
  #seen = false

  add(chunk: { usageMetadata?: GeminiUsageMetadata | null; [field: string]: unknown }): void {
    const metadata = chunk.usageMetadata
    if (!metadata || typeof metadata !== 'object') return
    this.#seen = true
    for (const [field, value] of Object.entries(metadata)) {
      if (typeof value === 'number' && Number.isFinite(value)) this.#metadata[field] = value
    }
  }

  usage(): Usage | undefined {
    return this.#seen ? usageFromGemini(this.#metadata) : undefined
  }
}
