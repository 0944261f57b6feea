/** Bedrock Converse response -> canonical chat completion. */

import { type ChatCompletion, type FinishReason, nowSeconds, type ToolCall } from '../../canonical/chat.js'
import { fromReasoningContent } from './reasoning.js'
import { type BedrockUsage, usageFromBedrock } from './usage.js'

export interface BedrockOutputBlock {
  text?: string
  toolUse?: { toolUseId?: string; name?: string; input?: unknown }
  reasoningContent?: { reasoningText?: { text?: string; signature?: string }; redactedContent?: string }
  [field: string]: unknown
}

export interface ConverseResponse {
  output?: { message?: { role?: string; content?: BedrockOutputBlock[] } }
  stopReason?: string
  usage?: BedrockUsage
  [field: string]: unknown
}

/** Bedrock `stopReason` -> OpenAI `finish_reason`. */
export function finishReasonOf(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter'
    default:
      // end_turn, stop_sequence, malformed_* and anything newer.
      return 'stop'
  }
}

/**
 * `id` is the gateway's: Converse answers carry none in the body (the
 * adapter uses the `x-amzn-requestid` header), and `model` is the requested
 * one, which Bedrock does not echo.
 */
export function fromConverseResponse(
  response: ConverseResponse,
  meta: { id: string; model: string },
  created = nowSeconds(),
): ChatCompletion {
  const blocks = response.output?.message?.content ?? []
  const text = blocks
    .filter((block) => typeof block.text === 'string')
    .map((block) => block.text)
    .join('')
  const reasoning = blocks
    .map((block) => block.reasoningContent?.reasoningText?.text)
    .filter((piece): piece is string => typeof piece === 'string')
    .join('')
  const thinking = blocks.flatMap((block) => {
    const kept = block.reasoningContent && fromReasoningContent(block.reasoningContent)
    return kept ? [kept] : []
  })
  const toolCalls: ToolCall[] = blocks
    .filter((block) => block.toolUse)
    .map((block) => ({
      id: block.toolUse?.toolUseId ?? '',
      type: 'function',
      function: { name: block.toolUse?.name ?? '', arguments: JSON.stringify(block.toolUse?.input ?? {}) },
    }))
  return {
    id: meta.id,
    object: 'chat.completion',
    created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          ...(reasoning.length > 0 && { reasoning_content: reasoning }),
          ...(thinking.length > 0 && { thinking_blocks: thinking }),
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        finish_reason: finishReasonOf(response.stopReason),
        logprobs: null,
      },
    ],
    usage: usageFromBedrock(response.usage ?? {}),
  }
}
