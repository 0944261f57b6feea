/**
 * Bedrock Converse request -> canonical (OpenAI chat) request, so a client of
 * the AWS SDK can reach any provider. The model comes from the URL, not the body.
 *
 * - `system` text blocks become system messages, in order;
 * - a user turn's `toolResult` blocks become `tool` messages placed before the
 *   rest of that turn (OpenAI wants them right after the assistant's calls);
 *   `json` result content is sent as its JSON text, `status: 'error'` is said
 *   in the text (OpenAI tool messages have no error flag);
 * - assistant `toolUse` blocks become `tool_calls`; `reasoningContent` is kept
 *   as `thinking_blocks` (with its signature), which only an Anthropic
 *   upstream is handed back;
 * - `image` bytes (base64 in JSON) become `data:` URLs;
 * - `cachePoint` markers are dropped: they are cost hints with no canonical
 *   form, and leaving them out never changes the answer;
 * - `additionalModelRequestFields.thinking` (how Claude on Bedrock is asked
 *   to think) and `outputConfig.effort` become `reasoning_effort`;
 *   `outputConfig.textFormat` (a JSON schema) becomes `response_format`.
 *   Other model-specific fields are Bedrock's to interpret and are not sent on,
 *   nor are `requestMetadata` (Bedrock's invocation-log labels),
 *   `performanceConfig`, `serviceTier` and `additionalModelResponseFieldPaths`.
 *
 * Anything the gateway cannot honour faithfully (guardrails, prompt
 * management, documents, video) is refused with a 400 naming the field,
 * rather than dropped: a silently ignored guardrail is worse than an error.
 */
import type { ChatContentPart, ChatMessage, ChatRequest, ThinkingBlock, ToolCall } from '../../../canonical/chat.js'
import { effortForBudget, isReasoningEffort } from '../../../canonical/reasoning.js'
import { badRequest, type GatewayError } from '../../../errors.js'

type Json = Record<string, unknown>

const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp'])
const REFUSED_FIELDS: Readonly<Record<string, string>> = {
  guardrailConfig:
    'Bedrock guardrails are not applied by this gateway; configure the gateway guardrail policies instead',
  promptVariables: 'Bedrock prompt management is not available through this gateway',
}

/** Validates a Converse body and translates it; `model` is the decoded `{modelId}` of the URL. */
export function fromConverseRequest(body: unknown, model: string, stream: boolean): ChatRequest {
  if (!isObject(body)) throw invalid('', 'the request body must be a JSON object')
  for (const field of Object.keys(body)) {
    const refusal = REFUSED_FIELDS[field]
    if (refusal && body[field] !== undefined && body[field] !== null) throw invalid(field, refusal)
  }

  const messages: ChatMessage[] = [...systemMessages(body.system)]
  const turns = body.messages
  if (!Array.isArray(turns) || turns.length === 0) throw invalid('messages', 'must be a non-empty list')
  turns.forEach((turn, i) => {
    messages.push(...turnMessages(turn, `messages.${i}`))
  })

  const request: ChatRequest = { model, messages }
  if (stream) request.stream = true
  Object.assign(request, inferenceConfig(body.inferenceConfig))
  Object.assign(request, toolConfig(body.toolConfig))
  Object.assign(request, additionalFields(body.additionalModelRequestFields))
  Object.assign(request, outputConfig(body.outputConfig))
  return request
}

function systemMessages(system: unknown): ChatMessage[] {
  if (system === undefined || system === null) return []
  if (!Array.isArray(system)) throw invalid('system', 'must be a list of blocks')
  const out: ChatMessage[] = []
  system.forEach((block, i) => {
    const path = `system.${i}`
    const [kind, value] = member(block, path)
    if (kind === 'cachePoint') return
    if (kind !== 'text') throw unsupported(path, kind)
    out.push({ role: 'system', content: text(value, `${path}.text`) })
  })
  return out
}

function turnMessages(turn: unknown, path: string): ChatMessage[] {
  if (!isObject(turn)) throw invalid(path, 'must be an object with role and content')
  if (turn.role !== 'user' && turn.role !== 'assistant') throw invalid(`${path}.role`, "must be 'user' or 'assistant'")
  if (!Array.isArray(turn.content) || turn.content.length === 0)
    throw invalid(`${path}.content`, 'must be a non-empty list of blocks')
  return turn.role === 'user'
    ? userMessages(turn.content, `${path}.content`)
    : [assistantMessage(turn.content, `${path}.content`)]
}

function userMessages(blocks: unknown[], path: string): ChatMessage[] {
  const toolResults: ChatMessage[] = []
  const parts: ChatContentPart[] = []
  blocks.forEach((block, j) => {
    const at = `${path}.${j}`
    const [kind, value] = member(block, at)
    switch (kind) {
      case 'text':
        parts.push({ type: 'text', text: text(value, `${at}.text`) })
        break
      case 'image':
        parts.push(imagePart(value, `${at}.image`))
        break
      case 'toolResult':
        toolResults.push(toolResultMessage(value, `${at}.toolResult`))
        break
      case 'cachePoint':
        break
      default:
        throw unsupported(at, kind)
    }
  })
  return parts.length > 0 ? [...toolResults, { role: 'user', content: parts }] : toolResults
}

function imagePart(image: unknown, path: string): ChatContentPart {
  if (!isObject(image)) throw invalid(path, 'must be an object with format and source')
  if (typeof image.format !== 'string' || !IMAGE_FORMATS.has(image.format))
    throw invalid(`${path}.format`, 'must be one of png, jpeg, gif, webp')
  const source = image.source
  if (!isObject(source)) throw invalid(`${path}.source`, 'must be an object')
  if (source.s3Location !== undefined)
    throw invalid(`${path}.source.s3Location`, 'images in S3 are not readable through this gateway; send the bytes')
  if (typeof source.bytes !== 'string' || !source.bytes)
    throw invalid(`${path}.source.bytes`, 'must be the image bytes, base64-encoded')
  return { type: 'image_url', image_url: { url: `data:image/${image.format};base64,${source.bytes}` } }
}

function toolResultMessage(result: unknown, path: string): ChatMessage {
  if (!isObject(result)) throw invalid(path, 'must be an object')
  const id = text(result.toolUseId, `${path}.toolUseId`, true)
  if (!Array.isArray(result.content)) throw invalid(`${path}.content`, 'must be a list of blocks')
  const pieces = result.content.map((block, k) => {
    const at = `${path}.content.${k}`
    const [kind, value] = member(block, at)
    if (kind === 'text') return text(value, `${at}.text`)
    // The JSON text as the model would read it; the canonical tool message carries text only.
    if (kind === 'json') return JSON.stringify(value)
    throw unsupported(at, kind, 'only text and json are supported in tool results here')
  })
  if (result.status !== undefined && result.status !== 'success' && result.status !== 'error')
    throw invalid(`${path}.status`, "must be 'success' or 'error'")
  const content = pieces.join('\n')
  return { role: 'tool', tool_call_id: id, content: result.status === 'error' ? `Error: ${content}` : content }
}

function assistantMessage(blocks: unknown[], path: string): ChatMessage {
  let answer = ''
  const thinking: ThinkingBlock[] = []
  const calls: ToolCall[] = []
  blocks.forEach((block, j) => {
    const at = `${path}.${j}`
    const [kind, value] = member(block, at)
    switch (kind) {
      case 'text':
        answer += text(value, `${at}.text`)
        break
      case 'toolUse': {
        const use = isObject(value) ? value : {}
        calls.push({
          id: text(use.toolUseId, `${at}.toolUse.toolUseId`, true),
          type: 'function',
          function: { name: text(use.name, `${at}.toolUse.name`, true), arguments: JSON.stringify(use.input ?? {}) },
        })
        break
      }
      case 'reasoningContent':
        thinking.push(thinkingBlock(value, `${at}.reasoningContent`))
        break
      case 'cachePoint':
        break
      default:
        throw unsupported(at, kind)
    }
  })
  const message: ChatMessage = { role: 'assistant', content: answer || (calls.length > 0 ? null : '') }
  if (calls.length > 0) message.tool_calls = calls
  if (thinking.length > 0) message.thinking_blocks = thinking
  return message
}

function thinkingBlock(reasoning: unknown, path: string): ThinkingBlock {
  if (!isObject(reasoning)) throw invalid(path, 'must be an object')
  if (isObject(reasoning.reasoningText)) {
    const { text: thought, signature } = reasoning.reasoningText
    return {
      type: 'thinking',
      thinking: text(thought, `${path}.reasoningText.text`),
      signature: typeof signature === 'string' ? signature : '',
    }
  }
  if (typeof reasoning.redactedContent === 'string') {
    // Bedrock carries Anthropic's redacted thinking as bytes (base64 in JSON); Anthropic's `data` is their text.
    return { type: 'redacted_thinking', data: Buffer.from(reasoning.redactedContent, 'base64').toString('utf8') }
  }
  throw invalid(path, 'must hold reasoningText or redactedContent')
}

function inferenceConfig(config: unknown): Partial<ChatRequest> {
  if (config === undefined || config === null) return {}
  if (!isObject(config)) throw invalid('inferenceConfig', 'must be an object')
  const out: Partial<ChatRequest> = {}
  const { maxTokens, temperature, topP, stopSequences } = config
  if (maxTokens !== undefined) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      throw invalid('inferenceConfig.maxTokens', 'must be an integer of at least 1')
    out.max_tokens = maxTokens as number
  }
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || temperature < 0 || temperature > 2)
      throw invalid('inferenceConfig.temperature', 'must be a number from 0 to 2')
    out.temperature = temperature
  }
  if (topP !== undefined) {
    if (typeof topP !== 'number' || topP < 0 || topP > 1)
      throw invalid('inferenceConfig.topP', 'must be a number from 0 to 1')
    out.top_p = topP
  }
  if (stopSequences !== undefined) {
    if (!Array.isArray(stopSequences) || !stopSequences.every((s) => typeof s === 'string' && s.length > 0))
      throw invalid('inferenceConfig.stopSequences', 'must be a list of non-empty strings')
    if (stopSequences.length > 0) out.stop = stopSequences
  }
  return out
}

function toolConfig(config: unknown): Partial<ChatRequest> {
  if (config === undefined || config === null) return {}
  if (!isObject(config)) throw invalid('toolConfig', 'must be an object')
  if (!Array.isArray(config.tools) || config.tools.length === 0)
    throw invalid('toolConfig.tools', 'must be a non-empty list')
  const tools: NonNullable<ChatRequest['tools']> = []
  config.tools.forEach((tool, i) => {
    const path = `toolConfig.tools.${i}`
    const [kind, value] = member(tool, path)
    if (kind === 'cachePoint') return
    if (kind !== 'toolSpec') throw unsupported(path, kind)
    const spec = isObject(value) ? value : {}
    const name = text(spec.name, `${path}.toolSpec.name`, true)
    const schema = spec.inputSchema
    if (!isObject(schema) || !isObject(schema.json))
      throw invalid(`${path}.toolSpec.inputSchema.json`, 'must be a JSON schema object')
    if (spec.description !== undefined && typeof spec.description !== 'string')
      throw invalid(`${path}.toolSpec.description`, 'must be a string')
    tools.push({
      type: 'function',
      function: {
        name,
        ...(spec.description !== undefined && { description: spec.description }),
        parameters: schema.json,
      },
    })
  })
  const out: Partial<ChatRequest> = { tools }
  if (config.toolChoice !== undefined && config.toolChoice !== null) {
    const [kind, value] = member(config.toolChoice, 'toolConfig.toolChoice')
    if (kind === 'auto') out.tool_choice = 'auto'
    else if (kind === 'any') out.tool_choice = 'required'
    else if (kind === 'tool') {
      const name = text(isObject(value) ? value.name : undefined, 'toolConfig.toolChoice.tool.name', true)
      out.tool_choice = { type: 'function', function: { name } }
    } else throw invalid('toolConfig.toolChoice', `unknown tool choice '${kind}' (auto, any or tool)`)
  }
  return out
}

function additionalFields(fields: unknown): Partial<ChatRequest> {
  if (!isObject(fields) || !isObject(fields.thinking)) return {}
  const { type, budget_tokens: budget } = fields.thinking
  if (type !== 'enabled') return {}
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 1)
    throw invalid('additionalModelRequestFields.thinking.budget_tokens', 'must be a positive number')
  return { reasoning_effort: effortForBudget(budget) }
}

function outputConfig(config: unknown): Partial<ChatRequest> {
  if (config === undefined || config === null) return {}
  if (!isObject(config)) throw invalid('outputConfig', 'must be an object')
  const out: Partial<ChatRequest> = {}
  if (config.effort !== undefined) {
    if (typeof config.effort !== 'string') throw invalid('outputConfig.effort', 'must be a string')
    // Bedrock's scale goes above OpenAI's: xhigh and max ask for the most the canonical request can.
    out.reasoning_effort = isReasoningEffort(config.effort) ? config.effort : 'high'
  }
  const format = config.textFormat
  if (format !== undefined && format !== null) {
    if (!isObject(format) || format.type !== 'json_schema')
      throw invalid('outputConfig.textFormat.type', "must be 'json_schema'")
    const definition = isObject(format.structure) ? format.structure.jsonSchema : undefined
    if (!isObject(definition) || typeof definition.schema !== 'string')
      throw invalid('outputConfig.textFormat.structure.jsonSchema.schema', 'must be a JSON schema as a string')
    let schema: unknown
    try {
      schema = JSON.parse(definition.schema)
    } catch {
      throw invalid('outputConfig.textFormat.structure.jsonSchema.schema', 'is not valid JSON')
    }
    out.response_format = {
      type: 'json_schema',
      json_schema: {
        name: typeof definition.name === 'string' && definition.name ? definition.name : 'output',
        ...(typeof definition.description === 'string' && { description: definition.description }),
        schema,
      },
    }
  }
  return out
}

/**
 * A Converse union value: an object with exactly one member set (`{ text }`,
 * `{ toolUse }`, ...), returned as [name, value].
 */
function member(block: unknown, path: string): [string, unknown] {
  if (!isObject(block)) throw invalid(path, 'must be an object with exactly one member')
  const set = Object.entries(block).filter(([, value]) => value !== undefined && value !== null)
  if (set.length !== 1) throw invalid(path, `must have exactly one member, found ${set.length}`)
  return set[0] as [string, unknown]
}

function text(value: unknown, path: string, nonEmpty = false): string {
  if (typeof value !== 'string' || (nonEmpty && !value))
    throw invalid(path, nonEmpty ? 'must be a non-empty string' : 'must be a string')
  return value
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function unsupported(path: string, kind: string, detail?: string): GatewayError {
  return invalid(path, detail ?? `blocks of type '${kind}' are not supported by this gateway`)
}

function invalid(path: string, detail: string): GatewayError {
  return badRequest(path ? `${path}: ${detail}` : detail, path || null)
}
