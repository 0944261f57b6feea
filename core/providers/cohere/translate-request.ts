/**
 * Canonical (OpenAI chat) request -> Cohere v2 chat request (`POST /v2/chat`).
 *
 * - system/developer messages become ONE leading `system` message (Cohere
 *   wants the system turn first; OpenAI allows them anywhere);
 * - user content keeps its text and `image_url` parts (Cohere's shape is the same);
 * - an assistant turn with `tool_calls` sends its text as `tool_plan`: that is
 *   where Cohere puts the text it writes beside tool calls, and where the
 *   response translation takes it from, so a conversation round-trips;
 * - `tool` messages keep their `tool_call_id`; tools have OpenAI's shape.
 */
import { type ChatContentPart, type ChatMessage, type ChatRequest, messageText } from '../../canonical/chat.js'
import { maxOutputTokens, stopSequences } from '../../canonical/output-limits.js'
import { badRequest } from '../upstream-error.js'

export type CohereContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }

export interface CohereToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export type CohereMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | CohereContentPart[] }
  | { role: 'assistant'; content?: string; tool_plan?: string; tool_calls?: CohereToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string | CohereContentPart[] }

export interface CohereTool {
  type: 'function'
  function: { name: string; description?: string; parameters: unknown }
}

export interface CohereChatRequest {
  model: string
  messages: CohereMessage[]
  stream?: boolean
  tools?: CohereTool[]
  tool_choice?: 'REQUIRED' | 'NONE'
  max_tokens?: number
  temperature?: number
  p?: number
  stop_sequences?: string[]
  seed?: number
  frequency_penalty?: number
  presence_penalty?: number
  response_format?: { type: 'json_object'; json_schema?: unknown }
}

export function toCohereRequest(request: ChatRequest, model: string): CohereChatRequest {
  if (typeof request.n === 'number' && request.n > 1) {
    throw badRequest('Cohere returns one choice per request: n must be 1')
  }
  const system: string[] = []
  const messages: CohereMessage[] = []
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = messageText(message)
        if (text) system.push(text)
        break
      }
      case 'user':
        messages.push({ role: 'user', content: userContent(message) })
        break
      case 'assistant':
        messages.push(assistantMessage(message))
        break
      case 'tool':
      case 'function':
        messages.push({
          role: 'tool',
          tool_call_id: message.tool_call_id ?? message.name ?? '',
          content: typeof message.content === 'string' ? message.content : textParts(message),
        })
        break
    }
  }
  if (system.length > 0) messages.unshift({ role: 'system', content: system.join('\n\n') })

  const body: CohereChatRequest = { model, messages }
  if (request.stream) body.stream = true
  const tools = toolsOf(request)
  if (tools) body.tools = tools.tools
  if (tools?.choice) body.tool_choice = tools.choice
  const maxTokens = maxOutputTokens(request)
  if (maxTokens !== undefined) body.max_tokens = maxTokens
  if (typeof request.temperature === 'number') body.temperature = request.temperature
  if (typeof request.top_p === 'number') body.p = request.top_p
  const stop = stopSequences(request)
  if (stop) body.stop_sequences = stop
  if (typeof request.seed === 'number') body.seed = request.seed
  if (typeof request.frequency_penalty === 'number') body.frequency_penalty = request.frequency_penalty
  if (typeof request.presence_penalty === 'number') body.presence_penalty = request.presence_penalty
  const format = responseFormat(request.response_format)
  if (format) body.response_format = format
  return body
}

/**
 * Tools and Cohere's `tool_choice`. Cohere has `REQUIRED` and `NONE` and
 * leaves "auto" as the default, but cannot name a function. A named choice is
 * sent as that one tool with `REQUIRED`: the model must call a tool and can
 * only call that one, which is what the client asked for.
 */
function toolsOf(request: ChatRequest): { tools?: CohereTool[]; choice?: 'REQUIRED' | 'NONE' } | undefined {
  let tools: CohereTool[] = (request.tools ?? []).map((tool) => ({
    type: 'function',
    function: {
      name: tool.function.name,
      ...(tool.function.description !== undefined && { description: tool.function.description }),
      parameters: tool.function.parameters ?? { type: 'object', properties: {} },
    },
  }))
  const choice = request.tool_choice
  let cohereChoice: 'REQUIRED' | 'NONE' | undefined
  if (choice === 'required') cohereChoice = 'REQUIRED'
  else if (choice === 'none') cohereChoice = 'NONE'
  else if (choice && typeof choice === 'object') {
    const name = (choice as { function?: { name?: unknown } }).function?.name
    if (typeof name !== 'string') throw badRequest('tool_choice names no function')
    tools = tools.filter((tool) => tool.function.name === name)
    if (tools.length === 0) throw badRequest(`tool_choice names '${name}', which is not among the tools`)
    cohereChoice = 'REQUIRED'
  }
  if (tools.length === 0) return undefined
  return { tools, ...(cohereChoice && { choice: cohereChoice }) }
}

/** json_object as is; json_schema as json_object with the schema (Cohere has no name or strict flag). */
function responseFormat(format: unknown): CohereChatRequest['response_format'] {
  if (!format || typeof format !== 'object') return undefined
  const { type, json_schema: jsonSchema } = format as { type?: unknown; json_schema?: { schema?: unknown } }
  if (type === 'json_object') return { type: 'json_object' }
  if (type === 'json_schema') {
    const schema = jsonSchema?.schema
    return schema === undefined ? { type: 'json_object' } : { type: 'json_object', json_schema: schema }
  }
  return undefined
}

function assistantMessage(message: ChatMessage): CohereMessage {
  const text = messageText(message)
  const calls = message.tool_calls ?? []
  if (calls.length === 0) return { role: 'assistant', content: text }
  return {
    role: 'assistant',
    ...(text && { tool_plan: text }),
    tool_calls: calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: call.function.arguments || '{}' },
    })),
  }
}

function userContent(message: ChatMessage): string | CohereContentPart[] {
  const { content } = message
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map(userPart)
}

function userPart(part: ChatContentPart): CohereContentPart {
  if (part.type === 'text') return { type: 'text', text: typeof part.text === 'string' ? part.text : '' }
  if (part.type === 'image_url') {
    const raw = part.image_url as { url?: unknown; detail?: unknown } | string | undefined
    const url = typeof raw === 'string' ? raw : raw?.url
    if (typeof url !== 'string') throw badRequest('an image_url part has no url')
    const detail = typeof raw === 'object' && typeof raw.detail === 'string' ? raw.detail : undefined
    return { type: 'image_url', image_url: { url, ...(detail && { detail }) } }
  }
  throw badRequest(`content parts of type '${part.type}' are not supported by Cohere`)
}

/** Tool results are text for Cohere; a non-text part in one is refused rather than dropped. */
function textParts(message: ChatMessage): CohereContentPart[] {
  if (!Array.isArray(message.content)) return []
  return message.content.map((part) => {
    if (part.type !== 'text') throw badRequest(`a tool message part of type '${part.type}' is not supported by Cohere`)
    return { type: 'text', text: typeof part.text === 'string' ? part.text : '' }
  })
}
