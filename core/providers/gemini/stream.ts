/**
 * Gemini `streamGenerateContent?alt=sse` -> canonical chat chunks. Each
 * `data:` frame is a whole GenerateContentResponse holding the next piece of
 * each candidate: text pieces become content (or reasoning) deltas, function
 * calls arrive complete and become one tool-call delta each, a candidate's
 * `finishReason` gives its finish chunk. Usage is a running total, final in
 * the last frame; it is sent as a `choices: []` chunk when the client asked.
 *
 * The stream has no terminator: it is complete when the body ends after every
 * candidate finished. An error frame, a dropped connection, or an end before
 * a finish becomes an UpstreamError.
 */

import type { Readable } from 'node:stream'
import type { AbortLike } from '../../abort.js'
import { type ChatChunk, type ChatChunkDelta, type FinishReason, nowSeconds } from '../../canonical/chat.js'
import { sseEventData, sseEvents } from '../sse-events.js'
import { streamEndedEarly } from '../upstream-error.js'
import { errorFromGoogle } from './errors.js'
import { completionIdOf, finishReasonOf, ToolCallIds, toolCallOf } from './translate-response.js'
import { GeminiStreamUsage } from './usage.js'
import type { GeminiResponse, GoogleErrorBody } from './wire.js'

interface CandidateState {
  toolCalls: number
  finished: boolean
}

export async function* geminiChunks(
  body: Readable,
  signal: AbortLike,
  options: { includeUsage: boolean; model: string },
): AsyncGenerator<ChatChunk> {
  const usage = new GeminiStreamUsage()
  const candidates = new Map<number, CandidateState>()
  let ids: ToolCallIds | undefined
  let id = ''
  let model = options.model
  const created = nowSeconds()
  const chunk = (index: number, delta: ChatChunkDelta, finishReason: FinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index, delta, finish_reason: finishReason, logprobs: null }],
    ...(options.includeUsage && { usage: null }),
  })
  /** The candidate's state; its first chunk carries the role, as OpenAI's do. */
  function* open(index: number): Generator<ChatChunk, CandidateState> {
    let state = candidates.get(index)
    if (!state) {
      state = { toolCalls: 0, finished: false }
      candidates.set(index, state)
      yield chunk(index, { role: 'assistant', content: '' })
    }
    return state
  }

  for await (const sseEvent of sseEvents(body, signal)) {
    const frame = sseEventData(sseEvent) as GeminiResponse | GoogleErrorBody
    if ('error' in frame && frame.error) {
      throw errorFromGoogle(undefined, frame.error, 'upstream stream error')
    }
    const response = frame as GeminiResponse
    usage.add(response)
    if (!ids) {
      ids = new ToolCallIds(response.responseId)
      id = completionIdOf(response.responseId)
    }
    model = response.modelVersion ?? model
    if (!response.candidates?.length && response.promptFeedback?.blockReason) {
      // The prompt itself was blocked: no candidate will come.
      const state = yield* open(0)
      state.finished = true
      yield chunk(0, {}, 'content_filter')
      continue
    }
    for (const [position, candidate] of (response.candidates ?? []).entries()) {
      const index = candidate.index ?? position
      const state = yield* open(index)
      for (const part of candidate.content?.parts ?? []) {
        if (part.functionCall) {
          const toolIndex = state.toolCalls++
          const call = toolCallOf(part.functionCall, ids.idOf(part.functionCall, index, toolIndex))
          yield chunk(index, { tool_calls: [{ index: toolIndex, ...call }] })
        } else if (typeof part.text === 'string' && part.text) {
          yield chunk(index, part.thought === true ? { reasoning_content: part.text } : { content: part.text })
        }
      }
      if (candidate.finishReason && !state.finished) {
        state.finished = true
        yield chunk(index, {}, finishReasonOf(candidate.finishReason, state.toolCalls > 0))
      }
    }
  }
  const complete = candidates.size > 0 && [...candidates.values()].every((state) => state.finished)
  if (!complete) {
    throw streamEndedEarly()
  }
  const total = usage.usage()
  if (options.includeUsage && total) {
    yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: total }
  }
}
