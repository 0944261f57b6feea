/**
 * The canonical request and response: OpenAI chat-completions. Surfaces and
 * provider adapters translate to and from these shapes. Only the fields the
 * gateway itself reads are typed; everything else passes through untouched.
 */
export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function'

export interface ChatContentPart {
  type: string
  text?: string
  [field: string]: unknown
}

export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/**
 * Anthropic's thinking blocks, kept whole (with their signatures) so a
 * multi-turn conversation can hand them back to Anthropic, which requires
 * that. A gateway extension: OpenAI-family adapters strip it.
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }

export interface ChatMessage {
  role: ChatRole
  content?: string | ChatContentPart[] | null
  name?: string
  tool_calls?: ToolCall[]
  tool_call_id?: string
  /** The model's reasoning as text (the convention of DeepSeek, vLLM and others). */
  reasoning_content?: string | null
  thinking_blocks?: ThinkingBlock[]
  [field: string]: unknown
}

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  stream?: boolean
  stream_options?: { include_usage?: boolean } | null
  max_tokens?: number | null
  max_completion_tokens?: number | null
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>
  tool_choice?: unknown
  [field: string]: unknown
}

/**
 * Token usage in OpenAI's shape and with OpenAI's semantics, whatever the
 * provider (adapters normalise: see `core/providers/<name>/usage.ts`):
 *
 * - `prompt_tokens` counts EVERY input token, including the cache reads
 *   (`prompt_tokens_details.cached_tokens`) and the cache writes
 *   (`prompt_tokens_details.cache_write_tokens`). The tokens read or written
 *   without the cache are `prompt_tokens - cached_tokens - cache_write_tokens`.
 * - `completion_tokens` counts EVERY output token, including the reasoning
 *   tokens (`completion_tokens_details.reasoning_tokens`).
 * - `total_tokens` is `prompt_tokens + completion_tokens`.
 *
 * `cache_write_tokens` is not OpenAI's (OpenAI never reports cache writes;
 * Anthropic and Bedrock bill them above the input price); the name is the one
 * OpenRouter sends and `@ai-sdk/openai` reads, so those clients see the writes.
 * Cost is computed from these fields by `costNanos` in core/governance/pricing.ts.
 */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; [field: string]: unknown }
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown }
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call'

export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: Array<{
    index: number
    message: ChatMessage
    finish_reason: FinishReason | null
    logprobs?: unknown
  }>
  usage?: Usage
  [field: string]: unknown
}

/** A completion's or chunk's `created`: Unix time in whole seconds, as OpenAI stamps them. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export interface ChatChunkDelta {
  role?: ChatRole
  content?: string | null
  tool_calls?: Array<{
    index: number
    id?: string
    type?: 'function'
    function?: { name?: string; arguments?: string }
  }>
  reasoning_content?: string | null
  /** A finished thinking block (its text came as `reasoning_content` deltas), carrying its signature. */
  thinking_blocks?: ThinkingBlock[]
  [field: string]: unknown
}

export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: Array<{ index: number; delta: ChatChunkDelta; finish_reason: FinishReason | null; logprobs?: unknown }>
  usage?: Usage | null
  [field: string]: unknown
}

/** Plain text of a message's content, whether a string or a list of parts. */
export function messageText(message: ChatMessage): string {
  const { content } = message
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n')
}
