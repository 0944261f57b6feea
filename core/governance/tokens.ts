/**
 * Token estimates for governance: prompt tokens before a request is sent
 * (budget reservations, tokens-per-minute limits) and completion tokens for
 * responses that report no usage.
 *
 * Everything is counted with OpenAI's o200k_base encoding (GPT-4o, GPT-4.1,
 * o-series, GPT-5). For other vendors' models it is an estimate: Claude and
 * Gemini tokenizers differ, and their exact counts need an online call.
 * Providers' own reported usage always wins over these numbers.
 *
 * The encoding (≈ 160 ms and ~68 MB of RSS) is loaded on first use, not at
 * import; call `loadTokenizer()` after start-up to take that cost off the
 * first request. Budget reservations use the tokenizer-free ceilings
 * (`promptTokensAtMost`) and count exactly only when the number is final.
 */
import { createRequire } from 'node:module'
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base'
import type { ChatChunk, ChatContentPart, ChatMessage, ChatRequest, Usage } from '../canonical/chat.js'

/** OpenAI's chat format: each message is wrapped in `<|start|>{role}<|message|>…<|end|>`. */
export const TOKENS_PER_MESSAGE = 3
/** A message's `name` costs its own tokens plus one. */
export const TOKENS_PER_NAME = 1
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3
/**
 * Flat estimate for an image part (dimensions are not decoded here). OpenAI
 * bills GPT-4o images as 85 base tokens plus 170 per 512 px tile after
 * scaling: `detail: "low"` is always 85; a 1024x1024 image at high/auto
 * detail is 85 + 4 x 170 = 765, which is taken for every high/auto image.
 * (gpt-4o-mini counts image tokens differently, at a matching price.)
 */
export const IMAGE_TOKENS_LOW = 85
export const IMAGE_TOKENS = 765
/** Same flat guess for other non-text parts (audio, files): without decoding them any number is a guess. */
export const OTHER_PART_TOKENS = 765

let encoding: typeof O200k | undefined

/** Loads the o200k_base encoding now (synchronous, idempotent). */
export function loadTokenizer(): void {
  encoding ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as typeof O200k
}

function tokenizer(): typeof O200k {
  loadTokenizer()
  return encoding!
}

/** Special-token text (`<|endoftext|>`) in user content is ordinary text, as the API treats it. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() }

/** Tokens of a plain string in o200k_base. */
export function countTextTokens(text: string): number {
  if (!text) return 0
  return tokenizer().countTokens(text, PLAIN_TEXT)
}

/**
 * A ceiling on a string's tokens without the tokenizer: its UTF-8 length,
 * since every token stands for at least one byte. Several times the real
 * count for English text, so only for worst cases that are settled later.
 */
export function textTokensAtMost(text: string): number {
  return text ? Buffer.byteLength(text, 'utf8') : 0
}

type TextCounter = (text: string) => number

function countPartTokens(part: ChatContentPart, count: TextCounter): number {
  if (typeof part.text === 'string') return count(part.text)
  if (typeof part.refusal === 'string') return count(part.refusal)
  if (part.type === 'image_url') {
    const image = part.image_url as { detail?: unknown } | undefined
    return image?.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS
  }
  return OTHER_PART_TOKENS
}

function countContentTokens(content: ChatMessage['content'], count: TextCounter): number {
  if (typeof content === 'string') return count(content)
  if (!Array.isArray(content)) return 0
  let tokens = 0
  for (const part of content) tokens += countPartTokens(part, count)
  return tokens
}

function countMessageTokens(message: ChatMessage, count: TextCounter): number {
  let tokens = TOKENS_PER_MESSAGE + count(message.role) + countContentTokens(message.content, count)
  if (typeof message.name === 'string' && message.name) tokens += count(message.name) + TOKENS_PER_NAME
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      tokens += count(call.function?.name ?? '') + count(call.function?.arguments ?? '')
    }
  }
  return tokens
}

/**
 * Estimated prompt tokens of a chat request, following OpenAI's documented
 * recipe (the cookbook's `num_tokens_from_messages`): per message
 * `TOKENS_PER_MESSAGE` + role + content (+ name + `TOKENS_PER_NAME`), plus
 * `REPLY_PRIMING_TOKENS`. Additions where the recipe is silent, all
 * approximations: tool calls in assistant messages count their name and
 * arguments; tool definitions (`tools`, legacy `functions`) and a
 * `response_format` JSON schema count as their JSON text (OpenAI renders
 * them in its own, similar-sized format); images use the flat estimates above.
 */
export function countPromptTokens(request: ChatRequest): number {
  return promptTokens(request, countTextTokens)
}

/** A ceiling on `countPromptTokens` by the same recipe, with `textTokensAtMost` for every text: no tokenizer. */
export function promptTokensAtMost(request: ChatRequest): number {
  return promptTokens(request, textTokensAtMost)
}

function promptTokens(request: ChatRequest, count: TextCounter): number {
  let tokens = REPLY_PRIMING_TOKENS
  for (const message of request.messages ?? []) tokens += countMessageTokens(message, count)
  if (Array.isArray(request.tools)) {
    for (const tool of request.tools) tokens += count(JSON.stringify(tool?.function ?? tool) ?? '')
  }
  if (Array.isArray(request.functions)) {
    for (const fn of request.functions) tokens += count(JSON.stringify(fn) ?? '')
  }
  const format = request.response_format as { type?: unknown; json_schema?: unknown } | undefined
  if (format && format.type === 'json_schema' && format.json_schema !== undefined) {
    tokens += count(JSON.stringify(format.json_schema) ?? '')
  }
  return tokens
}

/** Estimated completion tokens of a finished message (non-streamed responses without usage). */
export function estimateCompletionTokens(message: ChatMessage): number {
  const estimator = new CompletionTokenEstimator()
  estimator.addMessage(message)
  return estimator.tokens()
}

/**
 * Collects what a stream generated, for streams that end without usage:
 * content, refusals, reasoning text (`reasoning_content` / `reasoning`, as
 * DeepSeek, vLLM and OpenRouter stream it) and tool-call names and arguments.
 * Pieces are joined per channel (and per tool call) and counted once, at
 * `tokens()`: deltas split words, and counting each piece would over-count.
 */
export class CompletionTokenEstimator {
  #content: string[] = []
  #refusal: string[] = []
  #reasoning: string[] = []
  #toolCalls = new Map<number, string[]>()

  addChunk(chunk: ChatChunk): void {
    for (const choice of chunk.choices ?? []) {
      const delta = choice.delta
      if (!delta) continue
      push(this.#content, delta.content)
      push(this.#refusal, delta.refusal)
      push(this.#reasoning, delta.reasoning_content ?? delta.reasoning)
      for (const call of delta.tool_calls ?? []) this.#toolCall(choice.index * 1024 + call.index, call.function)
    }
  }

  addMessage(message: ChatMessage): void {
    if (typeof message.content === 'string') push(this.#content, message.content)
    else if (Array.isArray(message.content)) for (const part of message.content) push(this.#content, part.text)
    push(this.#refusal, message.refusal)
    push(this.#reasoning, message.reasoning_content ?? message.reasoning)
    for (const call of message.tool_calls ?? []) this.#toolCall(this.#toolCalls.size, call.function)
  }

  tokens(): number {
    let tokens = countTextTokens(this.#content.join('')) + countTextTokens(this.#refusal.join(''))
    tokens += countTextTokens(this.#reasoning.join(''))
    for (const call of this.#toolCalls.values()) tokens += countTextTokens(call.join(''))
    return tokens
  }

  #toolCall(key: number, fn: { name?: string; arguments?: string } | undefined): void {
    let parts = this.#toolCalls.get(key)
    if (!parts) {
      parts = []
      this.#toolCalls.set(key, parts)
    }
    // The name arrives whole in the first delta; a separator keeps it from merging with the arguments.
    if (fn?.name) parts.push(fn.name, ' ')
    push(parts, fn?.arguments)
  }
}

function push(parts: string[], value: unknown): void {
  if (typeof value === 'string' && value) parts.push(value)
}

/** Canonical usage built from estimates (no cache or reasoning breakdown is known). */
export function estimatedUsage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
}
