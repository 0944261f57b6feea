/** Anthropic Messages response -> canonical chat completion. */
import {
  type ChatCompletion,
  type FinishReason,
  nowSeconds,
  type ThinkingBlock,
  type ToolCall,
} from '../../canonical/chat.js'
import { type AnthropicUsage, usageFromAnthropic } from './usage.js'

export interface AnthropicResponse {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: Array<{
    type: string
    text?: string
    id?: string
    name?: string
    input?: unknown
    thinking?: string
    signature?: string
    data?: string
  }>
  stop_reason: string | null
  stop_sequence?: string | null
  usage: AnthropicUsage
}

/** Anthropic `stop_reason` -> OpenAI `finish_reason`. */
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
    case 'refusal':
      return 'content_filter'
    default:
      // end_turn, stop_sequence, pause_turn and anything newer.
      return 'stop'
  }
}

export function fromAnthropicResponse(response: AnthropicResponse, created = nowSeconds()): ChatCompletion {
  const text = response.content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text)
    .join('')
  const toolCalls: ToolCall[] = response.content
    .filter((block) => block.type === 'tool_use')
    .map((block) => ({
      id: block.id ?? '',
      type: 'function',
      function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
    }))
  const thinking: ThinkingBlock[] = response.content.flatMap((block): ThinkingBlock[] => {
    if (block.type === 'thinking')
      return [{ type: 'thinking', thinking: block.thinking ?? '', signature: block.signature ?? '' }]
    if (block.type === 'redacted_thinking') return [{ type: 'redacted_thinking', data: block.data ?? '' }]
    return []
  })
  const reasoning = thinking.map((block) => (block.type === 'thinking' ? block.thinking : '')).join('')
  return {
    id: response.id,
    object: 'chat.completion',
    created,
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
          ...(reasoning && { reasoning_content: reasoning }),
          ...(thinking.length > 0 && { thinking_blocks: thinking }),
        },
        finish_reason: finishReasonOf(response.stop_reason),
        logprobs: null,
      },
    ],
    usage: usageFromAnthropic(response.usage ?? { input_tokens: 0, output_tokens: 0 }),
  }
}
