/**
 * An assistant tool call's arguments, which the canonical (OpenAI) shape
 * carries as a JSON string, as the parsed value that Anthropic, Bedrock and
 * Gemini take when a conversation replays the call.
 */
import { badRequest } from './upstream-error.js'

/** Empty arguments mean none (`{}`); text that is not JSON is the client's to fix, so it is refused before any call. */
export function parseToolCallArguments(text: string): unknown {
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest('an assistant tool call has arguments that are not JSON')
  }
}
