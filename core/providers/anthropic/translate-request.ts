/**
 * Canonical (OpenAI chat) request -> Anthropic Messages request.
 *
 * - system/developer messages become the top-level `system` (joined by blank lines);
 * - assistant `tool_calls` become `tool_use` blocks, `tool` messages become
 *   `tool_result` blocks in a user turn (consecutive ones share that turn);
 * - consecutive turns of the same role are merged, as Anthropic wants them alternating;
 * - image parts: `data:` URLs go as base64 sources, others as url sources;
 * - `reasoning_effort` asks for extended thinking (see core/canonical/reasoning.ts),
 *   and an assistant turn's `thinking_blocks` go back first in that turn.
 */
import { type ChatContentPart, type ChatMessage, type ChatRequest, messageText } from '../../canonical/chat.js'
import { maxOutputTokens, stopSequences } from '../../canonical/output-limits.js'
import { isReasoningEffort, thinkingBudgetFor } from '../../canonical/reasoning.js'
import { parseToolCallArguments } from '../tool-call-arguments.js'
import { badRequest } from '../upstream-error.js'

export type AnthropicBlock = { type: string; [field: string]: unknown }

export interface AnthropicMessage {
  role: 'user' | 'assistant'
  content: AnthropicBlock[]
}

export interface AnthropicRequest {
  model: string
  messages: AnthropicMessage[]
  max_tokens: number
  system?: string
  stop_sequences?: string[]
  temperature?: number
  top_p?: number
  tools?: Array<{ name: string; description?: string; input_schema: unknown }>
  tool_choice?: { type: 'auto' | 'any' | 'none' } | { type: 'tool'; name: string }
  stream?: boolean
  metadata?: { user_id: string }
  thinking?: { type: 'enabled'; budget_tokens: number }
}

export function toAnthropicRequest(request: ChatRequest, model: string, defaultMaxTokens: number): AnthropicRequest {
  const system: string[] = []
  const messages: AnthropicMessage[] = []
  const push = (role: 'user' | 'assistant', blocks: AnthropicBlock[]): void => {
    if (blocks.length === 0) return
    const last = messages[messages.length - 1]
    if (last && last.role === role) last.content.push(...blocks)
    else messages.push({ role, content: blocks })
  }

  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = messageText(message)
        if (text) system.push(text)
        break
      }
      case 'user':
        push('user', contentBlocks(message))
        break
      case 'assistant': {
        // Anthropic wants an assistant turn's thinking first, exactly as it was sent (signature included).
        const blocks: AnthropicBlock[] = [...(message.thinking_blocks ?? []), ...contentBlocks(message)]
        for (const call of message.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseToolCallArguments(call.function.arguments),
          })
        }
        push('assistant', blocks)
        break
      }
      case 'tool':
      case 'function':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id ?? message.name ?? '',
            content: typeof message.content === 'string' ? message.content : contentBlocks(message),
          },
        ])
        break
    }
  }

  const body: AnthropicRequest = {
    model,
    messages,
    max_tokens: maxOutputTokens(request) ?? defaultMaxTokens,
  }
  if (system.length > 0) body.system = system.join('\n\n')
  const stop = stopSequences(request)
  if (stop) body.stop_sequences = stop
  const thinking = thinkingConfig(request.reasoning_effort, body.max_tokens)
  if (thinking) body.thinking = thinking
  // Anthropic refuses sampling changes while thinking: the effort asked for wins.
  else {
    if (typeof request.temperature === 'number') body.temperature = request.temperature
    if (typeof request.top_p === 'number') body.top_p = request.top_p
  }
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description !== undefined && { description: tool.function.description }),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }))
  }
  const choice = toolChoice(request.tool_choice)
  if (choice) body.tool_choice = choice
  if (typeof request.user === 'string' && request.user) body.metadata = { user_id: request.user }
  if (request.stream) body.stream = true
  return body
}

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024

/**
 * `reasoning_effort` -> extended thinking. The budget counts against
 * max_tokens and must stay below it; when max_tokens leaves no room for the
 * smallest budget, the request goes without thinking rather than failing.
 */
function thinkingConfig(effort: unknown, maxTokens: number): AnthropicRequest['thinking'] {
  if (!isReasoningEffort(effort)) return undefined
  const budget = Math.min(thinkingBudgetFor(effort), maxTokens - 1)
  return budget >= MIN_THINKING_BUDGET ? { type: 'enabled', budget_tokens: budget } : undefined
}

function toolChoice(choice: unknown): AnthropicRequest['tool_choice'] {
  if (choice === 'auto') return { type: 'auto' }
  if (choice === 'none') return { type: 'none' }
  if (choice === 'required') return { type: 'any' }
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name
  if (typeof name === 'string') return { type: 'tool', name }
  return undefined
}

function contentBlocks(message: ChatMessage): AnthropicBlock[] {
  const { content } = message
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : []
  if (!Array.isArray(content)) return []
  return content.flatMap((part) => partBlock(part))
}

function partBlock(part: ChatContentPart): AnthropicBlock[] {
  if (part.type === 'text') return typeof part.text === 'string' && part.text ? [{ type: 'text', text: part.text }] : []
  if (part.type === 'image_url') {
    const raw = part.image_url as { url?: unknown } | string | undefined
    const url = typeof raw === 'string' ? raw : raw?.url
    if (typeof url !== 'string') throw badRequest('an image_url part has no url')
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
    if (data) return [{ type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } }]
    return [{ type: 'image', source: { type: 'url', url } }]
  }
  throw badRequest(`content parts of type '${part.type}' are not supported by Anthropic`)
}
