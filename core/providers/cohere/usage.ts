/**
 * Cohere v2 usage -> canonical usage (see `Usage` in core/canonical/chat.ts).
 *
 * Cohere reports two counts side by side:
 *
 * - `tokens.{input,output}_tokens`: every token the model read and wrote,
 *   including the ones Cohere adds itself (the chat template, tool and
 *   special tokens);
 * - `billed_units.{input,output}_tokens`: only the tokens Cohere charges for,
 *   which leaves those added tokens out (so billed <= tokens).
 *
 * The canonical fields count EVERY token (OpenAI's semantics, which clients
 * use to reason about context windows and `max_tokens`), so `tokens` is
 * used, with `billed_units` as the fallback when an answer carries only the
 * billing view. The consequence: a cost computed from this usage is an upper
 * bound of Cohere's invoice, never below it, which is the safe side for
 * budgets.
 *
 * `cached_tokens` (prompt tokens served from Cohere's inference cache) is a
 * part of the input count, as canonical `cached_tokens` is a part of
 * `prompt_tokens`; it is clamped to the prompt so a mismatched report cannot
 * make the uncached share negative. Cohere reports no cache writes and no
 * separate reasoning count (thinking is output and already in `output_tokens`).
 */
import type { Usage } from '../../canonical/chat.js'

export interface CohereTokenCounts {
  input_tokens?: number | null
  output_tokens?: number | null
  [field: string]: unknown
}

export interface CohereUsage {
  billed_units?: CohereTokenCounts | null
  tokens?: CohereTokenCounts | null
  cached_tokens?: number | null
  [field: string]: unknown
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/** Canonical usage, or undefined when the answer has no counts at all. */
export function usageFromCohere(usage: CohereUsage | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined
  const tokens = usage.tokens ?? undefined
  const billed = usage.billed_units ?? undefined
  const input = count(tokens?.input_tokens) ?? count(billed?.input_tokens)
  const output = count(tokens?.output_tokens) ?? count(billed?.output_tokens)
  if (input === undefined && output === undefined) return undefined
  const prompt = input ?? 0
  const completion = output ?? 0
  const cached = Math.min(count(usage.cached_tokens) ?? 0, prompt)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  }
}
