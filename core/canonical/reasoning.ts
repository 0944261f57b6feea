/**
 * Reasoning effort between wire formats. The canonical request carries
 * OpenAI's `reasoning_effort` (low | medium | high); Anthropic asks for a
 * thinking budget in tokens. A budget maps to the effort whose budget is
 * nearest, and back, so a request crossing two translations keeps its order
 * of magnitude (not its exact number: the canonical shape has no place for it).
 */

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high'

/** Thinking budgets per effort; Anthropic's minimum budget is 1024 tokens. */
const BUDGETS: Record<ReasoningEffort, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24_576 }

export function isReasoningEffort(value: unknown): value is ReasoningEffort {
  return typeof value === 'string' && value in BUDGETS
}

export function thinkingBudgetFor(effort: ReasoningEffort): number {
  return BUDGETS[effort]
}

export function effortForBudget(budgetTokens: number): ReasoningEffort {
  if (budgetTokens < 1536) return 'minimal'
  if (budgetTokens < 4096) return 'low'
  if (budgetTokens < 16_384) return 'medium'
  return 'high'
}
