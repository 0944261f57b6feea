/** Canonical chat completion -> Bedrock Converse response, for clients of the Bedrock surface. */
import type { ChatCompletion, ChatMessage, FinishReason } from '../../../canonical/chat.js'
import { messageText } from '../../../canonical/chat.js'
import { type BedrockReasoningContent, toReasoningContent } from '../../../providers/bedrock/reasoning.js'
import { answeredToolInput } from '../../../providers/tool-call-arguments.js'
import type { AnswerContext } from '../../chat/surface.js'
import { type ConverseUsage, usageToBedrock } from './usage.js'

export type ConverseOutputBlock =
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { reasoningContent: BedrockReasoningContent }

export interface ConverseAnswer {
  output: { message: { role: 'assistant'; content: ConverseOutputBlock[] } }
  stopReason: string
  usage: ConverseUsage
  metrics: { latencyMs: number }
}

/** OpenAI `finish_reason` -> Bedrock `stopReason`. */
export function stopReasonOf(finishReason: FinishReason | null | undefined): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens'
    case 'tool_calls':
    case 'function_call':
      return 'tool_use'
    case 'content_filter':
      return 'content_filtered'
    default:
      return 'end_turn'
  }
}

export function outputBlocks(message: ChatMessage | undefined): ConverseOutputBlock[] {
  if (!message) return []
  const content: ConverseOutputBlock[] = []
  // Anthropic's own blocks (with signatures) when the answer came from Anthropic, else plain reasoning text.
  if (message.thinking_blocks?.length)
    content.push(...message.thinking_blocks.map((block) => ({ reasoningContent: toReasoningContent(block) })))
  else if (typeof message.reasoning_content === 'string' && message.reasoning_content)
    content.push({ reasoningContent: { reasoningText: { text: message.reasoning_content } } })
  const text = messageText(message)
  if (text) content.push({ text })
  for (const call of message.tool_calls ?? [])
    content.push({
      toolUse: { toolUseId: call.id, name: call.function.name, input: answeredToolInput(call.function.arguments) },
    })
  return content
}

export function renderConverseAnswer(completion: ChatCompletion, answer: AnswerContext): ConverseAnswer {
  // Converse has one answer per request (no `n`): the first choice is it.
  const choice = completion.choices[0]
  return {
    output: { message: { role: 'assistant', content: outputBlocks(choice?.message) } },
    stopReason: stopReasonOf(choice?.finish_reason),
    usage: usageToBedrock(completion.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }),
    metrics: { latencyMs: Math.round(answer.elapsedMs()) },
  }
}
