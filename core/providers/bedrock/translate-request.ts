/**
 * Canonical (OpenAI chat) request -> Bedrock Converse request body (the model
 * id goes in the URL, not the body).
 *
 * - system/developer messages become `system: [{ text }]` blocks, in order;
 * - assistant `tool_calls` become `toolUse` blocks, `tool` messages become
 *   `toolResult` blocks in a user turn (consecutive ones share that turn);
 * - consecutive turns of the same role are merged: Converse wants them alternating;
 * - images must be `data:` URLs: Converse takes image bytes (or S3 locations),
 *   never an http URL, and the gateway does not fetch URLs on a client's behalf.
 */

import { type ChatContentPart, type ChatMessage, type ChatRequest, messageText } from '../../canonical/chat.js'
import { maxOutputTokens, stopSequences } from '../../canonical/output-limits.js'
import { parseToolCallArguments } from '../tool-call-arguments.js'
import { badRequest } from '../upstream-error.js'
import { type BedrockReasoningContent, toReasoningContent } from './reasoning.js'

export type BedrockContentBlock =
  | { text: string }
  | { image: { format: BedrockImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: Array<{ text: string }>; status?: 'success' | 'error' } }
  | { reasoningContent: BedrockReasoningContent }

export type BedrockImageFormat = 'png' | 'jpeg' | 'gif' | 'webp'

export interface BedrockMessage {
  role: 'user' | 'assistant'
  content: BedrockContentBlock[]
}

export interface BedrockToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } }
}

export type BedrockToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } }

export interface ConverseRequest {
  messages: BedrockMessage[]
  system?: Array<{ text: string }>
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] }
  toolConfig?: { tools: BedrockToolSpec[]; toolChoice?: BedrockToolChoice }
}

const IMAGE_FORMATS: Readonly<Record<string, BedrockImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

export function toConverseRequest(request: ChatRequest): ConverseRequest {
  const system: Array<{ text: string }> = []
  const messages: BedrockMessage[] = []
  let usesTools = false
  const push = (role: 'user' | 'assistant', blocks: BedrockContentBlock[]): void => {
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
        if (text) system.push({ text })
        break
      }
      case 'user':
        push('user', contentBlocks(message))
        break
      case 'assistant': {
        // Earlier reasoning goes back first in its turn, signature included, as Bedrock asks on tool-use turns.
        const blocks: BedrockContentBlock[] = [
          ...(message.thinking_blocks ?? []).map((block) => ({ reasoningContent: toReasoningContent(block) })),
          ...contentBlocks(message),
        ]
        for (const call of message.tool_calls ?? []) {
          usesTools = true
          blocks.push({
            toolUse: {
              toolUseId: call.id,
              name: call.function.name,
              input: parseToolCallArguments(call.function.arguments),
            },
          })
        }
        push('assistant', blocks)
        break
      }
      case 'tool':
      case 'function': {
        usesTools = true
        // OpenAI tool results are text; they go as text rather than re-parsed as `json`, so the model
        // sees exactly what the tool produced (re-serialised JSON could reorder or reformat it).
        const text = messageText(message)
        push('user', [
          {
            toolResult: {
              toolUseId: message.tool_call_id ?? message.name ?? '',
              content: text ? [{ text }] : [],
            },
          },
        ])
        break
      }
    }
  }

  const body: ConverseRequest = { messages }
  if (system.length > 0) body.system = system
  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {}
  const maxTokens = maxOutputTokens(request)
  if (maxTokens !== undefined) inference.maxTokens = maxTokens
  if (typeof request.temperature === 'number') inference.temperature = request.temperature
  if (typeof request.top_p === 'number') inference.topP = request.top_p
  const stop = stopSequences(request)
  // A lone empty stop string is left out, as blank text blocks are: Bedrock rejects blank text.
  if (stop && request.stop !== '') inference.stopSequences = stop
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference

  const tools = (request.tools ?? []).map(
    (tool): BedrockToolSpec => ({
      toolSpec: {
        name: tool.function.name,
        ...(tool.function.description !== undefined && { description: tool.function.description }),
        inputSchema: { json: tool.function.parameters ?? { type: 'object', properties: {} } },
      },
    }),
  )
  // Converse has no "none" tool choice. Leaving the tools out is the faithful translation, but Bedrock
  // rejects toolUse/toolResult blocks without a toolConfig, so a conversation that already used tools keeps
  // them (with the default, auto, choice): the request stays valid at the cost of the model being able to call one.
  const none = request.tool_choice === 'none'
  if (tools.length > 0 && (!none || usesTools)) {
    body.toolConfig = { tools }
    const choice = none ? undefined : toolChoice(request.tool_choice)
    if (choice) body.toolConfig.toolChoice = choice
  }
  return body
}

function toolChoice(choice: unknown): BedrockToolChoice | undefined {
  if (choice === 'auto') return { auto: {} }
  if (choice === 'required') return { any: {} }
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name
  if (typeof name === 'string') return { tool: { name } }
  return undefined
}

function contentBlocks(message: ChatMessage): BedrockContentBlock[] {
  const { content } = message
  // Bedrock rejects blank text blocks, so empty strings are dropped rather than sent.
  if (typeof content === 'string') return content ? [{ text: content }] : []
  if (!Array.isArray(content)) return []
  return content.flatMap((part) => partBlock(part))
}

function partBlock(part: ChatContentPart): BedrockContentBlock[] {
  if (part.type === 'text') return typeof part.text === 'string' && part.text ? [{ text: part.text }] : []
  if (part.type === 'image_url') {
    const raw = part.image_url as { url?: unknown } | string | undefined
    const url = typeof raw === 'string' ? raw : raw?.url
    if (typeof url !== 'string') throw badRequest('an image_url part has no url')
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
    if (!data) {
      throw badRequest(
        'Bedrock takes images as bytes only: send the image as a data: URL (data:image/png;base64,...), not a link',
      )
    }
    const format = IMAGE_FORMATS[(data[1] ?? '').toLowerCase()]
    if (!format) throw badRequest(`Bedrock does not accept images of type '${data[1]}' (png, jpeg, gif, webp)`)
    return [{ image: { format, source: { bytes: data[2] ?? '' } } }]
  }
  throw badRequest(`content parts of type '${part.type}' are not supported by Bedrock`)
}
