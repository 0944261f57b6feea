/**
 * Cohere v2 chat response -> canonical chat completion.
 *
 * `message.tool_plan` is the text Cohere writes before its tool calls ("I
 * will look up the weather, then..."). It is not hidden reasoning: it is
 * what an OpenAI model says in `content` beside `tool_calls`, so it goes to
 * `content`, and the request translation sends such text back as `tool_plan`.
 * `thinking` parts (reasoning models) are left out: OpenAI's chat shape has
 * no place for them and clients would show them as the answer.
 */
import { type ChatCompletion, type FinishReason, nowSeconds, type ToolCall } from '../../canonical/chat.js'
import { generationError } from './errors.js'
import { type CohereUsage, usageFromCohere } from './usage.js'

export interface CohereChatResponse {
  id: string
  finish_reason: string | null
  message: {
    role?: 'assistant'
    content?: Array<{ type: string; text?: string; [field: string]: unknown }> | null
    tool_plan?: string | null
    tool_calls?: Array<{
      id?: string
      type?: string
      function?: { name?: string; arguments?: string }
    }> | null
    citations?: unknown
  }
  usage?: CohereUsage | null
  [field: string]: unknown
}

/**
 * Cohere `finish_reason` -> OpenAI `finish_reason`. `ERROR` is not a way to
 * finish (it throws, see `finishOrThrow`); `ERROR_TOXIC` and `ERROR_LIMIT`
 * come from older models and the v1 vocabulary.
 */
export function finishReasonOf(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
      return null
    case 'MAX_TOKENS':
    case 'ERROR_LIMIT':
      return 'length'
    case 'TOOL_CALL':
      return 'tool_calls'
    case 'ERROR_TOXIC':
      return 'content_filter'
    default:
      // COMPLETE, STOP_SEQUENCE, USER_CANCEL and anything newer.
      return 'stop'
  }
}

/** The canonical finish reason, or the UpstreamError of a generation that failed. */
export function finishOrThrow(reason: string | null | undefined, error?: string | null): FinishReason | null {
  if (reason === 'ERROR') throw generationError(error)
  return finishReasonOf(reason)
}

export function fromCohereResponse(
  response: CohereChatResponse,
  model: string,
  created = nowSeconds(),
): ChatCompletion {
  const finishReason = finishOrThrow(response.finish_reason)
  const message = response.message ?? {}
  const answer = (message.content ?? [])
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('')
  const toolCalls: ToolCall[] = (message.tool_calls ?? []).map((call) => ({
    id: call.id ?? '',
    type: 'function',
    function: { name: call.function?.name ?? '', arguments: call.function?.arguments || '{}' },
  }))
  const text = (message.tool_plan ?? '') + answer
  const usage = usageFromCohere(response.usage)
  return {
    id: response.id,
    object: 'chat.completion',
    created,
    // Cohere's answer does not name the model; the one asked for is the one that answered.
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
    ...(usage && { usage }),
  }
}
