/**
 * Canonical chunks -> `streamGenerateContent` frames, each a whole
 * `GenerateContentResponse`, framed one of the two ways Google streams:
 *
 * - `sse` (`?alt=sse`, what the `@google/genai` SDK always asks for):
 *   `data: <response>\n\n` frames, no terminator.
 * - `json-array` (no `alt`): one JSON array written element by element,
 *   `[<response>`, `,\r\n<response>`, ..., `]`, as Google's REST API does.
 *
 * Text and reasoning deltas go out as they arrive. Tool calls arrive in
 * fragments but Gemini sends each call whole, so their arguments are
 * buffered, and a finished choice's calls go out with its finish reason in
 * the closing frame, which also carries `usageMetadata` (the gateway's
 * usage-only chunk comes after the finish reasons). A failure after the
 * stream began is an `{"error": ...}` element, which the SDK raises as an
 * `ApiError` with the error's status.
 */
import type { ChatChunk, FinishReason, Usage } from '../../../canonical/chat.js'
import type { GeminiCandidate, GeminiPart, GeminiResponse } from '../../../providers/gemini/wire.js'
import type { Frame, StreamEncoder } from '../../chat/surface.js'
import { SSE_CONTENT_TYPE, sseFrame } from '../../sse.js'
import { googleErrorBody } from './errors.js'
import { finishReasonOf, functionCallPart } from './render-response.js'
import { usageMetadataOf } from './usage.js'

export type StreamFraming = 'sse' | 'json-array'

interface PendingCall {
  id?: string
  name: string
  arguments: string
}

export function genaiStreamEncoder(framing: StreamFraming): StreamEncoder {
  const state = new StreamState()
  let elements = 0
  let closed = false
  const element = (body: unknown): string => {
    const json = JSON.stringify(body)
    if (framing === 'sse') return sseFrame(json)
    return `${elements++ === 0 ? '[' : ',\r\n'}${json}`
  }
  const closing = (): string => {
    if (closed) return ''
    closed = true
    const final = state.finalResponse()
    return final ? element(final) : ''
  }
  return {
    contentType: framing === 'sse' ? SSE_CONTENT_TYPE : 'application/json; charset=utf-8',
    chunk(chunk) {
      if (closed) return null
      const delta = state.add(chunk)
      let out = delta ? element(delta) : ''
      // The usage-only chunk is the upstream's last word: the closing frame can go out now.
      if (chunk.usage && chunk.choices.length === 0) out += closing()
      return out || null
    },
    end() {
      const out = closing()
      if (framing === 'sse') return out || null
      return `${out}${elements === 0 ? '[' : ''}]`
    },
    error(error, scrub): Frame {
      closed = true
      const body = element(googleErrorBody(error, scrub))
      return framing === 'sse' ? body : `${body}]`
    },
  }
}

/** What a stream has said so far: the response's identity, each choice's unsent calls and finish, the usage. */
class StreamState {
  #id: string | undefined
  #model: string | undefined
  #usage: Usage | undefined
  readonly #calls = new Map<number, Map<number, PendingCall>>()
  readonly #finished = new Map<number, FinishReason>()

  /** Takes a chunk in; returns the frame for what it adds that can be shown now, if anything. */
  add(chunk: ChatChunk): GeminiResponse | null {
    this.#id ??= chunk.id
    this.#model ??= chunk.model
    if (chunk.usage) this.#usage = chunk.usage
    const candidates: GeminiCandidate[] = []
    for (const choice of chunk.choices) {
      const parts: GeminiPart[] = []
      const { delta } = choice
      const reasoning = delta.reasoning_content ?? delta.reasoning
      if (typeof reasoning === 'string' && reasoning) parts.push({ text: reasoning, thought: true })
      if (typeof delta.content === 'string' && delta.content) parts.push({ text: delta.content })
      for (const fragment of delta.tool_calls ?? []) this.#buffer(choice.index, fragment)
      if (choice.finish_reason) this.#finished.set(choice.index, choice.finish_reason)
      if (parts.length > 0) candidates.push({ content: { role: 'model', parts }, index: choice.index })
    }
    return candidates.length > 0 ? this.#response(candidates) : null
  }

  /**
   * The closing frame: every choice that finished or has calls waiting, with
   * its calls and finish reason, and the usage. Null when there is nothing to
   * add (a stream that ended without a finish, calls or usage).
   */
  finalResponse(): GeminiResponse | null {
    const indexes = [...new Set([...this.#finished.keys(), ...this.#calls.keys()])].sort((a, b) => a - b)
    const candidates: GeminiCandidate[] = indexes.map((index) => {
      const calls = [...(this.#calls.get(index)?.entries() ?? [])].sort(([a], [b]) => a - b)
      const finish = this.#finished.get(index)
      return {
        content: {
          role: 'model',
          parts: calls.map(([, call]) => functionCallPart(call.id, call.name, call.arguments)),
        },
        ...(finish && { finishReason: finishReasonOf(finish) }),
        index,
      }
    })
    this.#calls.clear()
    if (candidates.length === 0 && !this.#usage) return null
    return this.#response(candidates, this.#usage)
  }

  #buffer(choice: number, fragment: NonNullable<ChatChunk['choices'][number]['delta']['tool_calls']>[number]): void {
    let calls = this.#calls.get(choice)
    if (!calls) {
      calls = new Map()
      this.#calls.set(choice, calls)
    }
    let call = calls.get(fragment.index)
    if (!call) {
      call = { name: '', arguments: '' }
      calls.set(fragment.index, call)
    }
    if (fragment.id) call.id = fragment.id
    // The name comes whole in a call's first fragment; some servers repeat it in later ones.
    if (fragment.function?.name && !call.name) call.name = fragment.function.name
    if (fragment.function?.arguments) call.arguments += fragment.function.arguments
  }

  #response(candidates: GeminiCandidate[], usage?: Usage): GeminiResponse {
    return {
      candidates,
      ...(usage && { usageMetadata: usageMetadataOf(usage) }),
      ...(this.#model && { modelVersion: this.#model }),
      ...(this.#id && { responseId: this.#id }),
    }
  }
}
