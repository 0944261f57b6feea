/**
 * Canonical (OpenAI chat) request -> Gemini GenerateContent request.
 *
 * - system/developer messages become `systemInstruction` (one part each);
 * - user turns keep role `user`, assistant turns become role `model`;
 * - assistant `tool_calls` become `functionCall` parts (arguments parsed from
 *   their JSON string), `tool` messages become `functionResponse` parts in a
 *   user turn, named after the call they answer (Gemini matches by name and
 *   order, not by id);
 * - consecutive turns of one role are merged: Gemini wants the answers to
 *   parallel calls in one turn, and rejects some role sequences otherwise;
 * - image parts: `data:` URLs go inline, others as `fileData` with a mime
 *   type guessed from the URL (Gemini requires one);
 * - Gemini 3 refuses replayed function calls without the `thoughtSignature`
 *   it sent with them, which the OpenAI shape has no place for: such calls get
 *   the sentinel Google documents for history from elsewhere, so multi-turn
 *   tool use works (the model loses its earlier reasoning, not the thread).
 */

import { type ChatContentPart, type ChatMessage, type ChatRequest, messageText } from '../../canonical/chat.js'
import { maxOutputTokens, stopSequences } from '../../canonical/output-limits.js'
import { isReasoningEffort, thinkingBudgetFor } from '../../canonical/reasoning.js'
import { parseToolCallArguments } from '../tool-call-arguments.js'
import { badRequest } from '../upstream-error.js'
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './wire.js'

/** Google's documented stand-in for a thought signature the client could not keep. */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator'

/** Models that validate thought signatures on replayed function calls. */
function validatesSignatures(model: string): boolean {
  return /^(models\/)?gemini-3[.-]/.test(model)
}

export function toGeminiRequest(request: ChatRequest, model: string): GeminiRequest {
  const signCalls = validatesSignatures(model)
  const system: GeminiPart[] = []
  const contents: GeminiContent[] = []
  /** tool_call id -> function name, to name the `functionResponse` that answers it. */
  const callNames = new Map<string, string>()
  const push = (role: GeminiContent['role'], parts: GeminiPart[]): void => {
    if (parts.length === 0) return
    const last = contents[contents.length - 1]
    if (last && last.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
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
        push('user', contentParts(message))
        break
      case 'assistant': {
        const parts = contentParts(message)
        for (const call of message.tool_calls ?? []) {
          callNames.set(call.id, call.function.name)
          parts.push({
            functionCall: { name: call.function.name, args: argumentsObject(call.function.arguments) },
            ...(signCalls && { thoughtSignature: SKIP_THOUGHT_SIGNATURE }),
          })
        }
        push('model', parts)
        break
      }
      case 'tool':
      case 'function': {
        const name = (message.tool_call_id ? callNames.get(message.tool_call_id) : undefined) ?? message.name
        if (!name) {
          throw badRequest(`tool message '${message.tool_call_id ?? ''}' answers no earlier assistant tool call`)
        }
        push('user', [{ functionResponse: { name, response: { output: toolOutput(message) } } }])
        break
      }
    }
  }

  const body: GeminiRequest = { contents }
  if (system.length > 0) body.systemInstruction = { parts: system }
  if (request.tools && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.function.name,
          ...(tool.function.description !== undefined && { description: tool.function.description }),
          ...(tool.function.parameters !== undefined && { parameters: tool.function.parameters }),
        })),
      },
    ]
  }
  const choice = functionCallingConfig(request.tool_choice)
  if (choice) body.toolConfig = { functionCallingConfig: choice }
  const generation = generationConfig(request)
  if (Object.keys(generation).length > 0) body.generationConfig = generation
  return body
}

function generationConfig(request: ChatRequest): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {}
  const maxTokens = maxOutputTokens(request)
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens
  if (typeof request.temperature === 'number') config.temperature = request.temperature
  if (typeof request.top_p === 'number') config.topP = request.top_p
  const stop = stopSequences(request)
  if (stop) config.stopSequences = stop
  if (typeof request.n === 'number' && request.n > 1) config.candidateCount = request.n
  if (typeof request.seed === 'number') config.seed = request.seed
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty
  const format = request.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined
  if (format?.type === 'json_object') config.responseMimeType = 'application/json'
  else if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json'
    // OpenAI's schema is full JSON Schema: `responseJsonSchema` takes it as is
    // (`responseSchema` only knows an OpenAPI subset and would reject e.g. additionalProperties).
    if (format.json_schema?.schema !== undefined) config.responseJsonSchema = format.json_schema.schema
  }
  // An effort becomes a thinking budget (as for Anthropic); the thoughts come back as reasoning_content.
  if (isReasoningEffort(request.reasoning_effort))
    config.thinkingConfig = { thinkingBudget: thinkingBudgetFor(request.reasoning_effort), includeThoughts: true }
  return config
}

function functionCallingConfig(
  choice: unknown,
): NonNullable<GeminiRequest['toolConfig']>['functionCallingConfig'] | undefined {
  if (choice === 'auto') return { mode: 'AUTO' }
  if (choice === 'none') return { mode: 'NONE' }
  if (choice === 'required') return { mode: 'ANY' }
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name
  if (typeof name === 'string') return { mode: 'ANY', allowedFunctionNames: [name] }
  return undefined
}

/**
 * A tool's result, for `functionResponse.response.output` (the key Google
 * documents for a function's output). JSON objects and arrays go structured,
 * so the model reads fields rather than an escaped string; anything else as text.
 */
function toolOutput(message: ChatMessage): unknown {
  const text = messageText(message)
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text)
    } catch {
      // Looks like JSON but is not: send the text as it came.
    }
  }
  return text
}

function contentParts(message: ChatMessage): GeminiPart[] {
  const { content } = message
  if (typeof content === 'string') return content ? [{ text: content }] : []
  if (!Array.isArray(content)) return []
  return content.flatMap((part) => partOf(part))
}

function partOf(part: ChatContentPart): GeminiPart[] {
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text ? [{ text: part.text }] : []
    case 'image_url': {
      const raw = part.image_url as { url?: unknown } | string | undefined
      const url = typeof raw === 'string' ? raw : raw?.url
      if (typeof url !== 'string') throw badRequest('an image_url part has no url')
      const data = dataUrl(url)
      if (data) return [{ inlineData: data }]
      if (!/^https?:\/\//i.test(url) && !/^gs:\/\//i.test(url)) {
        throw badRequest('an image_url must be a data: URL or an http(s) URL')
      }
      return [{ fileData: { fileUri: url, mimeType: mimeTypeOf(url) } }]
    }
    case 'input_audio': {
      const audio = part.input_audio as { data?: unknown; format?: unknown } | undefined
      if (typeof audio?.data !== 'string') throw badRequest('an input_audio part has no data')
      const format = typeof audio.format === 'string' ? audio.format : 'wav'
      return [{ inlineData: { mimeType: `audio/${format === 'mp3' ? 'mpeg' : format}`, data: audio.data } }]
    }
    case 'file': {
      const file = part.file as { file_data?: unknown } | undefined
      const data = typeof file?.file_data === 'string' ? dataUrl(file.file_data) : undefined
      if (!data) throw badRequest('a file part must carry its contents as a data: URL in file_data')
      return [{ inlineData: data }]
    }
    default:
      throw badRequest(`content parts of type '${part.type}' are not supported by Gemini`)
  }
}

function dataUrl(url: string): { mimeType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  return match ? { mimeType: match[1] as string, data: match[2] as string } : undefined
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
}

/** By the path's extension; JPEG when there is none we know, the most common photo format. */
export function mimeTypeOf(url: string): string {
  let pathname = url
  try {
    pathname = new URL(url).pathname
  } catch {
    // Not parseable: look at the raw text.
  }
  const extension = /\.([A-Za-z0-9]+)$/.exec(pathname)?.[1]?.toLowerCase()
  return (extension && MIME_BY_EXTENSION[extension]) || 'image/jpeg'
}

/** Gemini's `functionCall.args` is a Struct: arguments that parse to anything but an object are refused. */
function argumentsObject(text: string): Record<string, unknown> {
  const parsed = parseToolCallArguments(text)
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('an assistant tool call has arguments that are not a JSON object')
  }
  return parsed as Record<string, unknown>
}
