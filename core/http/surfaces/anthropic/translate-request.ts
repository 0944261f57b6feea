/**
 * Anthropic Messages request -> canonical (OpenAI chat) request, so a client
 * of the Anthropic SDK can reach any provider.
 *
 * - `system` (a string or text blocks) becomes the first system message;
 * - a user turn's `tool_result` blocks become `tool` messages, placed before
 *   the rest of that turn (OpenAI wants them right after the assistant's calls);
 * - assistant `tool_use` blocks become `tool_calls`; `thinking` and
 *   `redacted_thinking` blocks are kept whole as `thinking_blocks`, which only
 *   an Anthropic upstream is handed back (it requires their signatures);
 * - `thinking.budget_tokens` becomes `reasoning_effort` (see core/canonical/reasoning.ts);
 * - `top_k` has no canonical field and is dropped: OpenAI-family upstreams
 *   reject unknown parameters.
 */
import { Type } from '@sinclair/typebox'
import { Ajv, type ErrorObject } from 'ajv'
import type { ChatContentPart, ChatMessage, ChatRequest, ThinkingBlock, ToolCall } from '../../../canonical/chat.js'
import { effortForBudget } from '../../../canonical/reasoning.js'
import { badRequest } from '../../../errors.js'

const Block = Type.Object({ type: Type.String({ minLength: 1 }) })

const MessagesRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  max_tokens: Type.Integer({ minimum: 1 }),
  messages: Type.Array(
    Type.Object({
      role: Type.Unsafe<'user' | 'assistant'>({ type: 'string', enum: ['user', 'assistant'] }),
      content: Type.Union([Type.String(), Type.Array(Block)]),
    }),
    { minItems: 1 },
  ),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(Block)])),
  stop_sequences: Type.Optional(Type.Array(Type.String())),
  stream: Type.Optional(Type.Boolean()),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  tools: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }))),
  tool_choice: Type.Optional(Type.Object({ type: Type.String() })),
  thinking: Type.Optional(Type.Object({ type: Type.String() })),
  metadata: Type.Optional(Type.Object({})),
})

const CountTokensRequestSchema = Type.Omit(MessagesRequestSchema, ['max_tokens', 'stream'])

export interface AnthropicBlock {
  type: string
  [field: string]: unknown
}

interface InboundMessage {
  role: 'user' | 'assistant'
  content: string | AnthropicBlock[]
}

export interface AnthropicMessagesRequest {
  model: string
  max_tokens?: number
  messages: InboundMessage[]
  system?: string | AnthropicBlock[]
  stop_sequences?: string[]
  stream?: boolean
  temperature?: number
  top_p?: number
  tools?: Array<{ name: string; description?: string; input_schema?: unknown; type?: string }>
  tool_choice?: { type: string; name?: string; disable_parallel_tool_use?: boolean }
  thinking?: { type: string; budget_tokens?: number }
  metadata?: { user_id?: string }
}

const ajv = new Ajv({ allErrors: false, strict: false })
const validateMessages = ajv.compile(MessagesRequestSchema)
const validateCountTokens = ajv.compile(CountTokensRequestSchema)

/** Validates a `/v1/messages` body and translates it. */
export function parseMessagesRequest(body: unknown): ChatRequest {
  if (!validateMessages(body)) throw invalid(validateMessages.errors)
  return fromAnthropicRequest(body as AnthropicMessagesRequest)
}

/** Validates a `/v1/messages/count_tokens` body (no max_tokens) and translates it. */
export function parseCountTokensRequest(body: unknown): ChatRequest {
  if (!validateCountTokens(body)) throw invalid(validateCountTokens.errors)
  return fromAnthropicRequest(body as AnthropicMessagesRequest)
}

export function fromAnthropicRequest(body: AnthropicMessagesRequest): ChatRequest {
  const messages: ChatMessage[] = []
  const system = systemText(body.system)
  if (system) messages.push({ role: 'system', content: system })
  body.messages.forEach((message, i) => {
    messages.push(...(message.role === 'user' ? userMessages(message, i) : [assistantMessage(message, i)]))
  })

  const request: ChatRequest = { model: body.model, messages }
  if (body.max_tokens !== undefined) request.max_tokens = body.max_tokens
  if (body.stream) request.stream = true
  if (body.stop_sequences?.length) request.stop = body.stop_sequences
  if (body.temperature !== undefined) request.temperature = body.temperature
  if (body.top_p !== undefined) request.top_p = body.top_p
  if (body.tools?.length) request.tools = body.tools.map(toFunctionTool)
  Object.assign(request, toolChoice(body.tool_choice))
  if (body.thinking?.type === 'enabled' && typeof body.thinking.budget_tokens === 'number') {
    request.reasoning_effort = effortForBudget(body.thinking.budget_tokens)
  }
  if (typeof body.metadata?.user_id === 'string') request.user = body.metadata.user_id
  return request
}

function systemText(system: AnthropicMessagesRequest['system']): string {
  if (typeof system === 'string') return system
  if (!system) return ''
  return system
    .map((block, i) => {
      if (block.type !== 'text' || typeof block.text !== 'string')
        throw badRequest(`system.${i}: only text blocks are allowed in system`, `system.${i}`)
      return block.text
    })
    .join('\n\n')
}

function userMessages(message: InboundMessage, index: number): ChatMessage[] {
  if (typeof message.content === 'string') return [{ role: 'user', content: message.content }]
  const toolResults: ChatMessage[] = []
  const parts: ChatContentPart[] = []
  message.content.forEach((block, j) => {
    const path = `messages.${index}.content.${j}`
    if (block.type === 'tool_result') toolResults.push(toolResultMessage(block, path))
    else parts.push(contentPart(block, path))
  })
  return parts.length > 0 ? [...toolResults, { role: 'user', content: parts }] : toolResults
}

function toolResultMessage(block: AnthropicBlock, path: string): ChatMessage {
  if (typeof block.tool_use_id !== 'string' || !block.tool_use_id)
    throw badRequest(`${path}.tool_use_id: Field required`, `${path}.tool_use_id`)
  const { content } = block
  let text: string
  if (content === undefined || typeof content === 'string') text = content ?? ''
  else if (Array.isArray(content))
    text = (content as AnthropicBlock[])
      .map((part, k) => {
        if (part.type !== 'text' || typeof part.text !== 'string')
          throw badRequest(`${path}.content.${k}: only text is supported in tool results here`, `${path}.content.${k}`)
        return part.text
      })
      .join('\n')
  else throw badRequest(`${path}.content: must be a string or a list of blocks`, `${path}.content`)
  // OpenAI's tool messages have no error flag: say it in the text, which the model reads.
  return { role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${text}` : text }
}

function contentPart(block: AnthropicBlock, path: string): ChatContentPart {
  if (block.type === 'text') {
    if (typeof block.text !== 'string') throw badRequest(`${path}.text: Field required`, `${path}.text`)
    return { type: 'text', text: block.text }
  }
  if (block.type === 'image') {
    const source = block.source as { type?: string; media_type?: string; data?: string; url?: string } | undefined
    if (source?.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string')
      return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } }
    if (source?.type === 'url' && typeof source.url === 'string')
      return { type: 'image_url', image_url: { url: source.url } }
    throw badRequest(`${path}.source: an image needs a base64 or url source`, `${path}.source`)
  }
  throw badRequest(`${path}: content blocks of type '${block.type}' are not supported by this gateway`, path)
}

function assistantMessage(message: InboundMessage, index: number): ChatMessage {
  if (typeof message.content === 'string') return { role: 'assistant', content: message.content }
  let text = ''
  const thinking: ThinkingBlock[] = []
  const calls: ToolCall[] = []
  message.content.forEach((block, j) => {
    const path = `messages.${index}.content.${j}`
    switch (block.type) {
      case 'text':
        text += typeof block.text === 'string' ? block.text : ''
        break
      case 'thinking':
        thinking.push({
          type: 'thinking',
          thinking: typeof block.thinking === 'string' ? block.thinking : '',
          signature: typeof block.signature === 'string' ? block.signature : '',
        })
        break
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: typeof block.data === 'string' ? block.data : '' })
        break
      case 'tool_use':
        if (typeof block.id !== 'string' || typeof block.name !== 'string')
          throw badRequest(`${path}: a tool_use block needs an id and a name`, path)
        calls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
        })
        break
      default:
        throw badRequest(`${path}: content blocks of type '${block.type}' are not supported by this gateway`, path)
    }
  })
  const assistant: ChatMessage = { role: 'assistant', content: text || (calls.length > 0 ? null : '') }
  if (calls.length > 0) assistant.tool_calls = calls
  if (thinking.length > 0) assistant.thinking_blocks = thinking
  return assistant
}

function toFunctionTool(tool: NonNullable<AnthropicMessagesRequest['tools']>[number], i: number) {
  // Server tools (web search, code execution, ...) run at Anthropic; no other provider has them.
  if (tool.type !== undefined && tool.type !== 'custom')
    throw badRequest(`tools.${i}: tools of type '${tool.type}' are not supported by this gateway`, `tools.${i}`)
  return {
    type: 'function' as const,
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parameters: tool.input_schema ?? { type: 'object', properties: {} },
    },
  }
}

function toolChoice(choice: AnthropicMessagesRequest['tool_choice']): Partial<ChatRequest> {
  if (!choice) return {}
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {}
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel }
    case 'any':
      return { tool_choice: 'required', ...parallel }
    case 'none':
      return { tool_choice: 'none' }
    case 'tool':
      if (typeof choice.name !== 'string') throw badRequest('tool_choice.name: Field required', 'tool_choice.name')
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel }
    default:
      throw badRequest(`tool_choice.type: unknown tool choice '${choice.type}'`, 'tool_choice.type')
  }
}

/** ajv's first error as Anthropic phrases it: `messages.0.content: ...`. */
function invalid(errors: ErrorObject[] | null | undefined) {
  const error = errors?.[0]
  if (!error) return badRequest('The request body is invalid.')
  const segments = error.instancePath.split('/').filter(Boolean)
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty))
  const path = segments.join('.')
  const detail = error.keyword === 'required' ? 'Field required' : (error.message ?? 'is invalid')
  return badRequest(path ? `${path}: ${detail}` : `The request body ${detail}.`, path || null)
}
