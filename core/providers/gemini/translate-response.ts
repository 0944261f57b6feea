/**
 * Gemini GenerateContent response -> canonical chat completion. Each
 * candidate is a choice; thought parts are reasoning (`reasoning_content`),
 * never answer text; function calls become tool calls with JSON-string
 * arguments. A prompt blocked before any candidate is a `content_filter`
 * finish with no content, as OpenAI reports a filtered answer.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  type ChatCompletion,
  type ChatMessage,
  type FinishReason,
  nowSeconds,
  type ToolCall,
} from '../../canonical/chat.js'
import { usageFromGemini } from './usage.js'
import type { GeminiCandidate, GeminiFunctionCall, GeminiResponse } from './wire.js'

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY'])

/** Gemini `finishReason` -> OpenAI `finish_reason`; a turn with function calls that stopped normally is `tool_calls`. */
export function finishReasonOf(reason: string | undefined, hasToolCalls: boolean): FinishReason | null {
  if (!reason) return null
  if (reason === 'MAX_TOKENS') return 'length'
  if (FILTERED.has(reason) || reason.startsWith('IMAGE_PROHIBITED')) return 'content_filter'
  // STOP and anything else (OTHER, MALFORMED_FUNCTION_CALL, LANGUAGE, newer reasons): the turn is over.
  return hasToolCalls ? 'tool_calls' : 'stop'
}

/**
 * Ids for the calls of one response. Gemini 3 sends an `id` with each call;
 * older models send none, so one is made from the response id and the call's
 * position, stable for the same response (a stream and a replay agree).
 */
export class ToolCallIds {
  readonly #seed: string

  constructor(responseId: string | undefined) {
    this.#seed = responseId ?? randomBytes(12).toString('hex')
  }

  idOf(call: GeminiFunctionCall, candidate: number, position: number): string {
    if (typeof call.id === 'string' && call.id) return call.id
    const digest = createHash('sha256').update(`${this.#seed}:${candidate}:${position}`).digest('hex')
    return `call_${digest.slice(0, 24)}`
  }
}

export function toolCallOf(call: GeminiFunctionCall, id: string): ToolCall {
  return { id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } }
}

export function fromGeminiResponse(
  response: GeminiResponse,
  fallbackModel: string,
  created = nowSeconds(),
): ChatCompletion {
  const ids = new ToolCallIds(response.responseId)
  const candidates = response.candidates ?? []
  const choices: ChatCompletion['choices'] =
    candidates.length === 0 && response.promptFeedback?.blockReason
      ? [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter', logprobs: null }]
      : candidates.map((candidate, position) => choiceOf(candidate, candidate.index ?? position, ids))
  return {
    id: completionIdOf(response.responseId),
    object: 'chat.completion',
    created,
    model: response.modelVersion ?? fallbackModel,
    choices,
    usage: usageFromGemini(response.usageMetadata ?? {}),
  }
}

function choiceOf(candidate: GeminiCandidate, index: number, ids: ToolCallIds): ChatCompletion['choices'][number] {
  let text = ''
  let reasoning = ''
  const toolCalls: ToolCall[] = []
  for (const part of candidate.content?.parts ?? []) {
    if (part.functionCall)
      toolCalls.push(toolCallOf(part.functionCall, ids.idOf(part.functionCall, index, toolCalls.length)))
    else if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text
      else text += part.text
    }
  }
  const message: ChatMessage = {
    role: 'assistant',
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    ...(reasoning && { reasoning_content: reasoning }),
    ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
  }
  // A filtered answer carries no (partial) text: what was withheld is not the answer.
  if (finishReasonOf(candidate.finishReason, false) === 'content_filter' && !text) message.content = null
  return { index, message, finish_reason: finishReasonOf(candidate.finishReason, toolCalls.length > 0), logprobs: null }
}

export function completionIdOf(responseId: string | undefined): string {
  return `chatcmpl-${responseId ?? randomBytes(12).toString('hex')}`
}
