/**
 * Where a canonical request says the model's output must end: a token cap
 * and stop sequences. Clients send these loosely (either max-tokens field,
 * `stop` as a string or a list), and every translated provider wants them
 * the same way: one cap, a list of strings.
 */
import type { ChatRequest } from './chat.js'

/** `max_completion_tokens` (OpenAI's current name) over `max_tokens`; zero, negative and non-numbers mean unset. */
export function maxOutputTokens(request: ChatRequest): number | undefined {
  return positive(request.max_completion_tokens) ?? positive(request.max_tokens)
}

/** `stop` as a list of strings; undefined when there is none. */
export function stopSequences(request: ChatRequest): string[] | undefined {
  const { stop } = request
  if (typeof stop === 'string') return [stop]
  if (Array.isArray(stop) && stop.length > 0) return stop.map(String)
  return undefined
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined
}
