/**
 * A Gemini `GenerateContentRequest` -> the canonical (OpenAI-shaped) chat
 * request, validating as it goes: every client mistake is a 400 naming the
 * field in Google's camelCase path (`contents[1].parts[0].functionCall.name`).
 *
 * What maps where:
 * - `systemInstruction` -> a leading system message.
 * - `contents[]`: `user` turns -> user messages (text, and media as the
 *   OpenAI part that carries it); `model` turns -> assistant messages with
 *   their text and `functionCall`s as `tool_calls`; `functionResponse` parts
 *   -> `tool` messages answering those calls. Gemini ids calls only
 *   optionally, so a call without an `id` gets one here, and a response
 *   without one answers the first unanswered call of that name.
 * - `tools[].functionDeclarations` -> tools; `toolConfig` -> `tool_choice`.
 * - `generationConfig` -> the sampling and format fields.
 *
 * What cannot be served through other providers is refused rather than
 * dropped: Google-hosted tools (search, code execution), `cachedContent`,
 * non-text output modalities. Hints with no canonical field and no effect on
 * the answer's shape (`topK`, `safetySettings`, `thinkingConfig`,
 * `mediaResolution`) are ignored, as an OpenAI upstream would reject them.
 */
import type { ChatContentPart, ChatMessage, ChatRequest, ToolCall } from '../../../canonical/chat.js'
import { badRequest } from '../../../errors.js'
import { toJsonSchema } from './schema.js'

type Json = Record<string, unknown>

/** The request's target, from its URL: the gateway model name and whether the method streams. */
export interface GenerateTarget {
  model: string
  stream: boolean
}

export function parseGenerateContent(body: unknown, target: GenerateTarget): ChatRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.', null, 'invalid_body')
  if (body.cachedContent !== undefined && body.cachedContent !== null) {
    throw unsupported('cachedContent', 'cached content lives in Google; send the content itself')
  }
  const request: ChatRequest = { model: target.model, messages: translateContents(body) }
  if (target.stream) request.stream = true
  const tools = translateTools(body.tools)
  if (tools.length > 0) request.tools = tools
  applyToolConfig(request, body.toolConfig)
  applyGenerationConfig(request, body.generationConfig)
  return request
}

/** The messages of a request: the system instruction, then the contents turn by turn. */
function translateContents(body: Json): ChatMessage[] {
  const messages: ChatMessage[] = []
  const system = body.systemInstruction
  if (system !== undefined && system !== null) messages.push(systemMessage(system))
  const contents = body.contents
  if (!Array.isArray(contents)) {
    throw contents === undefined
      ? badRequest("Missing required field: 'contents'.", 'contents', 'missing_required_parameter')
      : invalid('contents', 'must be an array of Content objects')
  }
  if (contents.length === 0) throw invalid('contents', 'must not be empty')
  const calls = new CallLedger()
  contents.forEach((content, i) => {
    const at = `contents[${i}]`
    if (!isObject(content)) throw invalid(at, 'must be a Content object')
    const parts = partsOf(content, at)
    const role = content.role ?? 'user'
    // `function` is the role older Gemini clients give a turn of function responses.
    if (role === 'user' || role === 'function') messages.push(...userMessages(parts, calls))
    else if (role === 'model') messages.push(modelMessage(parts, i, calls))
    else throw invalid(`${at}.role`, "must be 'user' or 'model'")
  })
  return messages
}

function systemMessage(system: unknown): ChatMessage {
  // Only a Content's parts matter here; its role, if any, is ignored as Google does.
  const at = 'systemInstruction'
  if (!isObject(system)) throw invalid(at, 'must be a Content object')
  const texts = partsOf(system, at).map(([part, partAt]) => {
    if (typeof part.text !== 'string') throw invalid(partAt, 'a system instruction may only hold text parts')
    return part.text
  })
  return { role: 'system', content: texts.join('\n') }
}

function partsOf(content: Json, at: string): Array<[Json, string]> {
  const parts = content.parts
  if (!Array.isArray(parts)) throw invalid(`${at}.parts`, 'must be an array of Part objects')
  if (parts.length === 0) throw invalid(`${at}.parts`, 'must not be empty')
  return parts.map((part, j) => {
    const partAt = `${at}.parts[${j}]`
    if (!isObject(part)) throw invalid(partAt, 'must be a Part object')
    return [part, partAt]
  })
}

/** The calls of the conversation so far, so each function response finds the call it answers. */
class CallLedger {
  readonly #unanswered: Array<{ id: string; name: string }> = []

  add(call: ToolCall): void {
    this.#unanswered.push({ id: call.id, name: call.function.name })
  }

  /** The call a response answers: by id when it has one that matches, else the first unanswered of its name. */
  answer(name: string, id: string | undefined): string | undefined {
    let index = id === undefined ? -1 : this.#unanswered.findIndex((call) => call.id === id)
    if (index < 0) index = this.#unanswered.findIndex((call) => call.name === name)
    if (index < 0) return undefined
    const [call] = this.#unanswered.splice(index, 1)
    return call?.id
  }
}

function modelMessage(parts: Array<[Json, string]>, turn: number, calls: CallLedger): ChatMessage {
  let text = ''
  const toolCalls: ToolCall[] = []
  for (const [part, partAt] of parts) {
    // The model's own thoughts, echoed back by the client: context for Gemini, meaningless to other models.
    if (part.thought === true) continue
    if (typeof part.text === 'string') {
      // Gemini splits a turn's text across parts wherever it likes; the parts concatenate.
      text += part.text
    } else if (isObject(part.functionCall)) {
      // A stable id per position, so the same conversation sent twice translates the same (prompt caches match).
      const call = toolCall(part.functionCall, `${partAt}.functionCall`, `call_${turn}_${toolCalls.length}`)
      toolCalls.push(call)
      calls.add(call)
    } else {
      throw invalid(partAt, 'a model turn may only hold text and functionCall parts')
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text || null }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return message
}

function toolCall(call: Json, at: string, fallbackId: string): ToolCall {
  if (typeof call.name !== 'string' || call.name === '') throw invalid(`${at}.name`, 'must be a non-empty string')
  if (call.args !== undefined && call.args !== null && !isObject(call.args))
    throw invalid(`${at}.args`, 'must be an object')
  if (call.id !== undefined && typeof call.id !== 'string') throw invalid(`${at}.id`, 'must be a string')
  return {
    id: call.id || fallbackId,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  }
}

/** A user turn: its function responses as tool messages first (they must follow the calls), then the rest. */
function userMessages(parts: Array<[Json, string]>, calls: CallLedger): ChatMessage[] {
  const toolMessages: ChatMessage[] = []
  const content: ChatContentPart[] = []
  for (const [part, partAt] of parts) {
    if (part.thought === true) continue
    if (typeof part.text === 'string') content.push({ type: 'text', text: part.text })
    else if (isObject(part.inlineData)) content.push(inlinePart(part.inlineData, `${partAt}.inlineData`))
    else if (isObject(part.fileData)) content.push(filePart(part.fileData, `${partAt}.fileData`))
    else if (isObject(part.functionResponse)) {
      toolMessages.push(toolMessage(part.functionResponse, `${partAt}.functionResponse`, calls))
    } else if (part.functionCall !== undefined) throw invalid(partAt, 'a functionCall part belongs in a model turn')
    else throw invalid(partAt, 'unsupported part: expected text, inlineData, fileData or functionResponse')
  }
  if (content.length === 0) return toolMessages
  // One text part stays a plain string: the form every provider adapter reads most simply.
  const only = content.length === 1 ? content[0] : undefined
  const user: ChatMessage = { role: 'user', content: only?.type === 'text' ? (only.text as string) : content }
  return [...toolMessages, user]
}

function toolMessage(response: Json, at: string, calls: CallLedger): ChatMessage {
  if (typeof response.name !== 'string' || response.name === '')
    throw invalid(`${at}.name`, 'must be a non-empty string')
  if (response.id !== undefined && typeof response.id !== 'string') throw invalid(`${at}.id`, 'must be a string')
  if (response.response !== undefined && response.response !== null && !isObject(response.response)) {
    throw invalid(`${at}.response`, 'must be an object')
  }
  if (Array.isArray(response.parts) && response.parts.length > 0) {
    throw unsupported(`${at}.parts`, 'tool results reach other providers as text; put the result in `response`')
  }
  const id = calls.answer(response.name, response.id as string | undefined)
  if (!id) throw invalid(at, `answers no functionCall named '${response.name}' in an earlier model turn`)
  return { role: 'tool', tool_call_id: id, content: JSON.stringify(response.response ?? {}) }
}

function inlinePart(blob: Json, at: string): ChatContentPart {
  const { mimeType, data } = blob
  if (typeof mimeType !== 'string' || mimeType === '') throw invalid(`${at}.mimeType`, 'must be a MIME type')
  if (typeof data !== 'string') throw invalid(`${at}.data`, 'must be base64-encoded bytes')
  const type = mimeType.toLowerCase()
  if (type.startsWith('image/')) return { type: 'image_url', image_url: { url: `data:${type};base64,${data}` } }
  if (type === 'audio/wav' || type === 'audio/x-wav')
    return { type: 'input_audio', input_audio: { data, format: 'wav' } }
  if (type === 'audio/mp3' || type === 'audio/mpeg')
    return { type: 'input_audio', input_audio: { data, format: 'mp3' } }
  if (type === 'application/pdf') {
    const filename = typeof blob.displayName === 'string' && blob.displayName ? blob.displayName : 'document.pdf'
    return { type: 'file', file: { filename, file_data: `data:${type};base64,${data}` } }
  }
  // Plain text sent as a blob is just text; every model reads that.
  if (type.startsWith('text/')) return { type: 'text', text: Buffer.from(data, 'base64').toString('utf8') }
  throw unsupported(`${at}.mimeType`, `'${mimeType}' has no equivalent the gateway's providers accept`)
}

function filePart(file: Json, at: string): ChatContentPart {
  const { fileUri, mimeType } = file
  if (typeof fileUri !== 'string' || fileUri === '') throw invalid(`${at}.fileUri`, 'must be a URI')
  if (mimeType !== undefined && (typeof mimeType !== 'string' || !mimeType.toLowerCase().startsWith('image/'))) {
    throw unsupported(`${at}.mimeType`, 'only images can be passed by URI; send other files as inlineData')
  }
  return { type: 'image_url', image_url: { url: fileUri } }
}

// --- Tools --------------------------------------------------------------------------------------------------------

type CanonicalTool = NonNullable<ChatRequest['tools']>[number]

function translateTools(tools: unknown): CanonicalTool[] {
  if (tools === undefined || tools === null) return []
  if (!Array.isArray(tools)) throw invalid('tools', 'must be an array of Tool objects')
  return tools.flatMap((tool, i) => {
    const at = `tools[${i}]`
    if (!isObject(tool)) throw invalid(at, 'must be a Tool object')
    for (const [key, value] of Object.entries(tool)) {
      if (key !== 'functionDeclarations' && value !== undefined && value !== null) {
        throw unsupported(`${at}.${key}`, 'Google-hosted tools run only on Google; declare functions instead')
      }
    }
    const declarations = tool.functionDeclarations ?? []
    if (!Array.isArray(declarations)) throw invalid(`${at}.functionDeclarations`, 'must be an array')
    return declarations.map((declaration, j) => functionTool(declaration, `${at}.functionDeclarations[${j}]`))
  })
}

function functionTool(declaration: unknown, at: string): CanonicalTool {
  if (!isObject(declaration)) throw invalid(at, 'must be a FunctionDeclaration object')
  const { name, description, parameters, parametersJsonSchema } = declaration
  if (typeof name !== 'string' || name === '') throw invalid(`${at}.name`, 'must be a non-empty string')
  if (description !== undefined && typeof description !== 'string')
    throw invalid(`${at}.description`, 'must be a string')
  if (parameters != null && parametersJsonSchema != null) {
    throw invalid(at, 'set either parameters or parametersJsonSchema, not both')
  }
  const fn: CanonicalTool['function'] = { name }
  if (description) fn.description = description
  if (parameters != null) fn.parameters = toJsonSchema(parameters, `${at}.parameters`)
  else if (parametersJsonSchema != null) {
    if (!isObject(parametersJsonSchema)) throw invalid(`${at}.parametersJsonSchema`, 'must be a JSON Schema object')
    fn.parameters = parametersJsonSchema
  }
  return { type: 'function', function: fn }
}

/**
 * `functionCallingConfig` -> `tool_choice`. ANY is `required`, or the one
 * function when only one is allowed; a list of allowed names narrows the
 * tools offered, which is how OpenAI-shaped APIs express "one of these".
 */
function applyToolConfig(request: ChatRequest, toolConfig: unknown): void {
  if (toolConfig === undefined || toolConfig === null) return
  if (!isObject(toolConfig)) throw invalid('toolConfig', 'must be a ToolConfig object')
  const config = toolConfig.functionCallingConfig
  if (config === undefined || config === null) return
  const at = 'toolConfig.functionCallingConfig'
  if (!isObject(config)) throw invalid(at, 'must be a FunctionCallingConfig object')
  const mode = config.mode ?? 'MODE_UNSPECIFIED'
  const allowed = config.allowedFunctionNames
  if (allowed !== undefined && (!Array.isArray(allowed) || !allowed.every((n) => typeof n === 'string'))) {
    throw invalid(`${at}.allowedFunctionNames`, 'must be an array of function names')
  }
  const names = (allowed as string[] | undefined) ?? []
  if (names.length > 0) {
    if (mode !== 'ANY' && mode !== 'VALIDATED') {
      throw invalid(`${at}.allowedFunctionNames`, 'may only be set with mode ANY or VALIDATED')
    }
    const declared = new Set((request.tools ?? []).map((tool) => tool.function.name))
    const unknown = names.find((name) => !declared.has(name))
    if (unknown) throw invalid(`${at}.allowedFunctionNames`, `'${unknown}' is not a declared function`)
    request.tools = (request.tools ?? []).filter((tool) => names.includes(tool.function.name))
  }
  switch (mode) {
    case 'MODE_UNSPECIFIED':
      return
    case 'AUTO':
    case 'VALIDATED':
      request.tool_choice = 'auto'
      return
    case 'NONE':
      request.tool_choice = 'none'
      return
    case 'ANY':
      request.tool_choice =
        names.length === 1 ? { type: 'function', function: { name: names[0] as string } } : 'required'
      return
    default:
      throw invalid(`${at}.mode`, "must be one of 'AUTO', 'ANY', 'NONE', 'VALIDATED'")
  }
}

// --- Generation config --------------------------------------------------------------------------------------------

function applyGenerationConfig(request: ChatRequest, generationConfig: unknown): void {
  if (generationConfig === undefined || generationConfig === null) return
  const at = 'generationConfig'
  if (!isObject(generationConfig)) throw invalid(at, 'must be a GenerationConfig object')
  const config = generationConfig
  const maxTokens = integer(config, 'maxOutputTokens', at, 1)
  if (maxTokens !== undefined) request.max_completion_tokens = maxTokens
  setIfDefined(request, 'temperature', number(config, 'temperature', at, 0, 2))
  setIfDefined(request, 'top_p', number(config, 'topP', at, 0, 1))
  setIfDefined(request, 'presence_penalty', number(config, 'presencePenalty', at, -2, 2))
  setIfDefined(request, 'frequency_penalty', number(config, 'frequencyPenalty', at, -2, 2))
  setIfDefined(request, 'seed', integer(config, 'seed', at))
  setIfDefined(request, 'n', integer(config, 'candidateCount', at, 1))
  const stop = config.stopSequences
  if (stop !== undefined && stop !== null) {
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) {
      throw invalid(`${at}.stopSequences`, 'must be an array of strings')
    }
    if (stop.length > 0) request.stop = stop
  }
  const modalities = config.responseModalities
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'TEXT')) {
    throw unsupported(`${at}.responseModalities`, 'the gateway answers with text only')
  }
  if (config.speechConfig !== undefined && config.speechConfig !== null) {
    throw unsupported(`${at}.speechConfig`, 'the gateway answers with text only')
  }
  const format = responseFormat(config, at)
  if (format) request.response_format = format
}

/**
 * `responseMimeType` plus a schema -> `response_format`. Gemini enforces a
 * schema without OpenAI's strict-mode rules (every property required, no
 * extra properties), so the schema goes up non-strict.
 */
function responseFormat(config: Json, at: string): Json | undefined {
  const mime = config.responseMimeType
  if (mime !== undefined && mime !== null && typeof mime !== 'string')
    throw invalid(`${at}.responseMimeType`, 'must be a string')
  if (config.responseSchema != null && config.responseJsonSchema != null) {
    throw invalid(at, 'set either responseSchema or responseJsonSchema, not both')
  }
  let schema: unknown
  if (config.responseSchema != null) schema = toJsonSchema(config.responseSchema, `${at}.responseSchema`)
  else if (config.responseJsonSchema != null) {
    if (!isObject(config.responseJsonSchema)) throw invalid(`${at}.responseJsonSchema`, 'must be a JSON Schema object')
    schema = config.responseJsonSchema
  }
  const json = mime === 'application/json'
  if (schema !== undefined && !json) {
    throw invalid(`${at}.responseMimeType`, "must be 'application/json' when a response schema is set")
  }
  if (!json) {
    if (mime === undefined || mime === null || mime === '' || mime === 'text/plain') return undefined
    throw unsupported(`${at}.responseMimeType`, `'${mime}' (only text/plain and application/json are served)`)
  }
  if (schema === undefined) return { type: 'json_object' }
  return { type: 'json_schema', json_schema: { name: 'response', schema } }
}

function number(config: Json, key: string, at: string, min: number, max: number): number | undefined {
  const value = config[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${at}.${key}`, `must be a number from ${min} to ${max}`)
  }
  return value
}

function integer(config: Json, key: string, at: string, min?: number): number | undefined {
  const value = config[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || (min !== undefined && value < min)) {
    throw invalid(`${at}.${key}`, min === undefined ? 'must be an integer' : `must be an integer of at least ${min}`)
  }
  return value
}

function setIfDefined(request: ChatRequest, field: string, value: unknown): void {
  if (value !== undefined) request[field] = value
}

// --- Helpers ------------------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(field: string, problem: string) {
  return badRequest(`Invalid value at '${field}': ${problem}.`, field, 'invalid_value')
}

function unsupported(field: string, why: string) {
  return badRequest(`'${field}' is not supported by this gateway: ${why}.`, field, 'unsupported_parameter')
}
