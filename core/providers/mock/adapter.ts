/**
 * The built-in mock provider: deterministic answers with no network, so the
 * default config runs offline and users can test their configs (routing,
 * policies, fallbacks via failure injection) in CI without spending tokens.
 *
 * It echoes the last user message (or a fixed `reply`), calls the first tool
 * when tools are offered, honours `max_tokens`, streams in word chunks, and
 * embeds text as a stable unit vector derived from its SHA-256.
 */

import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AbortLike, toAbortSignal } from '../../abort.js'
import {
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  messageText,
  nowSeconds,
  type Usage,
} from '../../canonical/chat.js'
import { type EmbeddingsRequest, type EmbeddingsResponse, floatsToBase64 } from '../../canonical/embeddings.js'
import type { MockProviderConfig } from '../../config/schema.js'
import type { AttemptContext, ChatResult, ProviderAdapter } from '../provider.js'
import { classifyStatus, UpstreamError } from '../upstream-error.js'
import { estimateTokens } from './estimate-tokens.js'

interface MockAnswer {
  content: string | null
  toolCall: { id: string; name: string; arguments: string } | null
  finishReason: 'stop' | 'length' | 'tool_calls'
  usage: Usage
}

export class MockAdapter implements ProviderAdapter {
  readonly type = 'mock'
  readonly name: string
  readonly models: readonly string[]
  readonly #config: MockProviderConfig
  #calls = 0

  constructor(name: string, config: MockProviderConfig) {
    this.name = name
    this.#config = config
    this.models = config.models ?? ['demo']
  }

  async chat(request: ChatRequest, attempt: AttemptContext): Promise<ChatResult> {
    this.#checkModel(attempt.model)
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')
    this.#injectFailure(lastUser ? messageText(lastUser) : '')
    await this.#delay(this.#config.latencyMs, attempt.signal)
    const answer = this.#answer(request, lastUser ? messageText(lastUser) : '')
    const id = `chatcmpl-mock-${this.#calls}`
    const created = nowSeconds()
    if (!request.stream) return { stream: false, completion: completionOf(answer, id, created, attempt.model) }
    const includeUsage = request.stream_options?.include_usage === true
    return {
      stream: true,
      chunks: this.#streamOf(answer, { id, created, model: attempt.model, includeUsage }, attempt.signal),
    }
  }

  async embeddings(request: EmbeddingsRequest, attempt: AttemptContext): Promise<EmbeddingsResponse> {
    this.#checkModel(attempt.model)
    const inputs = Array.isArray(request.input) ? request.input : [request.input]
    this.#injectFailure(inputs.map(String).join('\n'))
    await this.#delay(this.#config.latencyMs, attempt.signal)
    const dimensions = request.dimensions ?? this.#config.embeddingDimensions ?? 8
    const data = inputs.map((input, index) => {
      const vector = embed(typeof input === 'string' ? input : JSON.stringify(input), dimensions)
      return {
        object: 'embedding' as const,
        index,
        embedding: request.encoding_format === 'base64' ? floatsToBase64(vector) : vector,
      }
    })
    const tokens = inputs.reduce<number>((sum, input) => sum + estimateTokens(String(input)), 0)
    return { object: 'list', data, model: attempt.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
  }

  #checkModel(model: string): void {
    if (!this.models.includes(model)) {
      throw new UpstreamError({
        errorClass: 'not_found',
        status: 404,
        message: `mock provider '${this.name}' does not serve model '${model}'`,
      })
    }
  }

  /** Configured failures, checked in order; `every` counts calls to this provider, `probability` rolls a die. */
  #injectFailure(lastUserText: string): void {
    this.#calls++
    for (const failure of this.#config.failures ?? []) {
      const byCount = failure.every !== undefined && this.#calls % failure.every === 0
      const byMatch = failure.match !== undefined && lastUserText.includes(failure.match)
      const byChance = failure.probability !== undefined && Math.random() < failure.probability
      const always = failure.every === undefined && failure.match === undefined && failure.probability === undefined
      if (!(byCount || byMatch || byChance || always)) continue
      const message = failure.message ?? `mock failure ${failure.status}`
      throw new UpstreamError({
        errorClass: classifyStatus(failure.status, null, message),
        status: failure.status,
        message,
        ...(failure.retryAfterSeconds !== undefined && { retryAfterSeconds: failure.retryAfterSeconds }),
      })
    }
  }

  #answer(request: ChatRequest, lastUserText: string): MockAnswer {
    const promptTokens = request.messages.reduce((sum, m) => sum + estimateTokens(messageText(m)) + 3, 0)
    const tool = chosenTool(request)
    if (tool) {
      const args = JSON.stringify({ input: lastUserText })
      const completionTokens = estimateTokens(args)
      return {
        content: null,
        toolCall: { id: `call_mock_${this.#calls}`, name: tool, arguments: args },
        finishReason: 'tool_calls',
        usage: usage(promptTokens, completionTokens),
      }
    }
    let words = (this.#config.reply ?? `You said: ${lastUserText}`).split(/(?<=\s)/)
    const limit = request.max_completion_tokens ?? request.max_tokens
    const truncated = typeof limit === 'number' && words.length > limit
    if (truncated) words = words.slice(0, limit)
    let content = words.join('')
    if (isJsonMode(request)) content = JSON.stringify({ reply: content })
    return {
      content,
      toolCall: null,
      finishReason: truncated ? 'length' : 'stop',
      usage: usage(promptTokens, estimateTokens(content)),
    }
  }

  async *#streamOf(
    answer: MockAnswer,
    meta: { id: string; created: number; model: string; includeUsage: boolean },
    signal: AbortLike,
  ): AsyncGenerator<ChatChunk> {
    const chunk = (
      delta: ChatChunk['choices'][number]['delta'],
      finish: MockAnswer['finishReason'] | null = null,
    ): ChatChunk => ({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(meta.includeUsage && { usage: null }),
    })
    yield chunk({ role: 'assistant', content: answer.toolCall ? null : '' })
    const size = this.#config.chunkSize ?? 1
    if (answer.toolCall) {
      const { id, name, arguments: args } = answer.toolCall
      yield chunk({ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] })
      for (const piece of pieces(args, size * 8)) {
        await this.#delay(this.#config.chunkDelayMs, signal)
        yield chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })
      }
    } else {
      const words = (answer.content ?? '').split(/(?<=\s)/)
      for (let i = 0; i < words.length; i += size) {
        await this.#delay(this.#config.chunkDelayMs, signal)
        yield chunk({ content: words.slice(i, i + size).join('') })
      }
    }
    yield chunk({}, answer.finishReason)
    if (meta.includeUsage) {
      yield {
        id: meta.id,
        object: 'chat.completion.chunk',
        created: meta.created,
        model: meta.model,
        choices: [],
        usage: answer.usage,
      }
    }
  }

  async #delay(ms: number | undefined, signal: AbortLike): Promise<void> {
    if (ms) await sleep(ms, undefined, { signal: toAbortSignal(signal) })
  }
}

function completionOf(answer: MockAnswer, id: string, created: number, model: string): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          ...(answer.toolCall && {
            tool_calls: [
              {
                id: answer.toolCall.id,
                type: 'function' as const,
                function: { name: answer.toolCall.name, arguments: answer.toolCall.arguments },
              },
            ],
          }),
        },
        finish_reason: answer.finishReason,
        logprobs: null,
      },
    ],
    usage: answer.usage,
  }
}

/** The tool the mock calls: the forced one, else the first offered, unless tool_choice is "none". */
function chosenTool(request: ChatRequest): string | undefined {
  if (!request.tools?.length || request.tool_choice === 'none') return undefined
  const forced = (request.tool_choice as { function?: { name?: string } } | undefined)?.function?.name
  return forced ?? request.tools[0]?.function.name
}

function isJsonMode(request: ChatRequest): boolean {
  const format = (request.response_format as { type?: string } | undefined)?.type
  return format === 'json_object' || format === 'json_schema'
}

const usage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
})

function pieces(text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** A unit vector from the text's SHA-256: equal texts embed equally, different texts differ. */
function embed(text: string, dimensions: number): number[] {
  const values: number[] = []
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest()
    for (let i = 0; i + 2 <= digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16LE(i) / 32767.5 - 1)
    }
  }
  const norm = Math.hypot(...values) || 1
  return values.map((v) => Math.fround(v / norm))
}
