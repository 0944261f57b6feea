/**
 * The mock's token count: about four characters a token, as OpenAI's own rule
 * of thumb says. Deterministic, cheap and good enough for a provider that
 * exists to test configs; real providers report their own usage.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4))
}
