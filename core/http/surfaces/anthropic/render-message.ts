/** Canonical chat completion -> Anthropic Message, for clients of the Anthropic surface. */
import type { ChatCompletion, FinishReason } from '../../../canonical/chat.js'
import { messageText } from '../../../canonical/chat.js'
import { type AnthropicUsage, usageToAnthropic } from '../../../providers/anthropic/usage.js'
import { answeredToolInput } from '../../../providers/tool-call-arguments.js'
import type { AnthropicBlock } from './translate-request.js'

export interface AnthropicMessage {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicBlock[]
  stop_reason: string | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

/** OpenAI `finish_reason` -> Anthropic `stop_reason`. */
export function stopReasonOf(finishReason: FinishReason | null | undefined): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens'
    case 'tool_calls':
    case 'function_call':
      return 'tool_use'
    case 'content_filter':
      return 'refusal'
    default:
      return 'end_turn'
  }
}

export function renderAnthropicMessage(completion: ChatCompletion): AnthropicMessage {
  // Anthropic has one answer per request (no `n`): the first choice is it.
  const choice = completion.choices[0]
  const content: AnthropicBlock[] = []
  const message = choice?.message
  // Anthropic's own blocks when the answer came from Anthropic; other providers' reasoning has no signature.
  if (message?.thinking_blocks?.length) content.push(...message.thinking_blocks)
  else if (typeof message?.reasoning_content === 'string' && message.reasoning_content)
    content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' })
  const text = message ? messageText(message) : ''
  if (text) content.push({ type: 'text', text })
  for (const call of message?.tool_calls ?? [])
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: answeredToolInput(call.function.arguments),
    })
  return {
    id: completion.id,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason),
    stop_sequence: null,
    usage: completion.usage
      ? usageToAnthropic(completion.usage)
      : { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  }
}
