/**
 * A canonical chat completion -> Gemini's `GenerateContentResponse`: each
 * choice a candidate whose `content` (role `model`) holds the reasoning as
 * `thought` parts, the text as a text part and each tool call as a
 * `functionCall` part, with `args` as the object the JSON arguments encode
 * and the call's id as `id` (the client echoes it in its `functionResponse`).
 */
import type { ChatCompletion, ChatMessage, FinishReason } from '../../../canonical/chat.js'
import { GatewayError } from '../../../errors.js'
import type { GeminiCandidate, GeminiPart, GeminiResponse } from '../../../providers/gemini/wire.js'
import { usageMetadataOf } from './usage.js'

export function renderGenerateContent(completion: ChatCompletion): GeminiResponse {
  const candidates: GeminiCandidate[] = completion.choices.map((choice) => ({
    content: { role: 'model', parts: messageParts(choice.message) },
    ...(choice.finish_reason && { finishReason: finishReasonOf(choice.finish_reason) }),
    index: choice.index,
  }))
  return {
    candidates,
    ...(completion.usage && { usageMetadata: usageMetadataOf(completion.usage) }),
    modelVersion: completion.model,
    responseId: completion.id,
  }
}

/**
 * Gemini has no "tool calls" finish: a turn that calls functions ends with
 * STOP, and the client tells calls from text by the parts.
 */
export function finishReasonOf(reason: FinishReason | string): string {
  switch (reason) {
    case 'stop':
    case 'tool_calls':
    case 'function_call':
      return 'STOP'
    case 'length':
      return 'MAX_TOKENS'
    case 'content_filter':
      return 'SAFETY'
    default:
      return 'OTHER'
  }
}

function messageParts(message: ChatMessage): GeminiPart[] {
  const parts: GeminiPart[] = []
  const reasoning = message.reasoning_content ?? message.reasoning
  if (typeof reasoning === 'string' && reasoning) parts.push({ text: reasoning, thought: true })
  const text = contentText(message)
  if (text) parts.push({ text })
  for (const call of message.tool_calls ?? [])
    parts.push(functionCallPart(call.id, call.function.name, call.function.arguments))
  return parts
}

/** The answer's text; a refusal is the text the client is shown when there is no other. */
function contentText(message: ChatMessage): string {
  const { content } = message
  let text = ''
  if (typeof content === 'string') text = content
  else if (Array.isArray(content)) for (const part of content) if (typeof part.text === 'string') text += part.text
  if (!text && typeof message.refusal === 'string') text = message.refusal
  return text
}

/**
 * A tool call as a whole `functionCall` part. Gemini carries arguments as an
 * object, so arguments that are not a JSON object cannot be relayed; that is
 * the upstream model's failure, reported as such rather than altered.
 */
export function functionCallPart(id: string | undefined, name: string, args: string): GeminiPart {
  let parsed: unknown = {}
  if (args.trim() !== '') {
    try {
      parsed = JSON.parse(args)
    } catch {
      parsed = undefined
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError({
      status: 502,
      type: 'upstream_error',
      code: 'invalid_tool_arguments',
      message: `The model called '${name}' with arguments that are not a JSON object; Gemini's format cannot carry them.`,
    })
  }
  return { functionCall: { ...(id && { id }), name, args: parsed as Record<string, unknown> } }
}
