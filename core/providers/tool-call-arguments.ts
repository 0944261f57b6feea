/**
 * An assistant tool call's arguments, which the canonical (OpenAI) shape
 * carries as a JSON string, as the parsed value that Anthropic, Bedrock and
 * Gemini take: when a conversation replays a call to them, and when a
 * surface of theirs renders a call a model made.
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

/**
 * For an answer going out on the Anthropic or Bedrock surface: a model's
 * malformed arguments are not the client's fault, so they are kept, as a
 * string inside an object, for the client to see what the model produced.
 */
export function answeredToolInput(text: string): unknown {
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    return { arguments: text }
  }
}
