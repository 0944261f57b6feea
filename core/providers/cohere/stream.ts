/**
 * Cohere v2 chat SSE (`event: <type>` + `data: {type, ...}`) -> canonical
 * chat chunks, yielded one by one as the events arrive:
 *
 * - `message-start` gives the id and the role chunk;
 * - `content-delta` text, and `tool-plan-delta` (the text before tool calls,
 *   content as in the non-streamed translation), become content deltas;
 * - `tool-call-start` opens a tool call (id, name, first argument text) and
 *   `tool-call-delta` adds argument text; each gets the tool-call index in
 *   the order the calls started;
 * - `message-end` gives the finish chunk, then the usage chunk when asked for.
 *
 * A `message-end` with `finish_reason: ERROR`, a dropped connection, or a
 * stream that ends before `message-end` becomes an UpstreamError. Content
 * and tool-call ends, citations and debug events carry nothing for the client.
 */

import type { Readable } from 'node:stream'
import type { EventSourceMessage } from 'eventsource-parser'
import type { AbortLike } from '../../abort.js'
import { type ChatChunk, type ChatChunkDelta, type FinishReason, nowSeconds } from '../../canonical/chat.js'
import { sseEventData, sseEvents } from '../sse-events.js'
import { streamEndedEarly } from '../upstream-error.js'
import { finishOrThrow } from './translate-response.js'
import { type CohereUsage, usageFromCohere } from './usage.js'

interface CohereStreamEvent {
  type: string
  id?: string
  index?: number
  delta?: {
    message?: {
      content?: { type?: string; text?: string } | null
      tool_plan?: string | null
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } } | null
    }
    finish_reason?: string | null
    error?: string | null
    usage?: CohereUsage | null
  }
}

export async function* cohereChunks(
  body: Readable,
  signal: AbortLike,
  options: { includeUsage: boolean; model: string },
): AsyncGenerator<ChatChunk> {
  /** Cohere's tool-call index -> OpenAI tool-call index (the order the calls started). */
  const toolIndexOf = new Map<number, number>()
  let id = ''
  const created = nowSeconds()
  const chunk = (delta: ChatChunkDelta, finishReason: FinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: options.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(options.includeUsage && { usage: null }),
  })

  for await (const sseEvent of sseEvents(body, signal)) {
    const event = parseEvent(sseEvent)
    if (!event) continue
    const message = event.delta?.message
    switch (event.type) {
      case 'message-start':
        id = event.id ?? id
        yield chunk({ role: 'assistant', content: '' })
        break
      case 'content-start':
      case 'content-delta': {
        // A thinking part carries `thinking`, not `text`: left out, as in the non-streamed answer.
        const text = message?.content?.text
        if (typeof text === 'string' && text) yield chunk({ content: text })
        break
      }
      case 'tool-plan-delta': {
        const text = message?.tool_plan
        if (typeof text === 'string' && text) yield chunk({ content: text })
        break
      }
      case 'tool-call-start': {
        const call = message?.tool_calls
        const index = toolIndexOf.size
        toolIndexOf.set(event.index ?? index, index)
        yield chunk({
          tool_calls: [
            {
              index,
              id: call?.id ?? '',
              type: 'function',
              function: { name: call?.function?.name ?? '', arguments: call?.function?.arguments ?? '' },
            },
          ],
        })
        break
      }
      case 'tool-call-delta': {
        const fragment = message?.tool_calls?.function?.arguments
        // Without an index, the fragment belongs to the call that started last.
        const index = toolIndexOf.get(event.index ?? -1) ?? (event.index === undefined ? toolIndexOf.size - 1 : -1)
        if (index < 0 || !fragment) break
        yield chunk({ tool_calls: [{ index, function: { arguments: fragment } }] })
        break
      }
      case 'message-end': {
        const finishReason = finishOrThrow(event.delta?.finish_reason, event.delta?.error)
        yield chunk({}, finishReason ?? 'stop')
        const usage = usageFromCohere(event.delta?.usage)
        if (options.includeUsage && usage) {
          yield { id, object: 'chat.completion.chunk', created, model: options.model, choices: [], usage }
        }
        return
      }
      // content-end, tool-call-end, citation-start/end, debug and anything newer.
    }
  }
  throw streamEndedEarly()
}

/** The event's JSON; undefined for a `[DONE]` marker some proxies append. */
function parseEvent(message: EventSourceMessage): CohereStreamEvent | undefined {
  if (message.data === '[DONE]') return undefined
  const event = sseEventData(message) as CohereStreamEvent
  // The `event:` line names the type and the data repeats it: trust the data, fall back to the line.
  if (typeof event.type !== 'string') event.type = message.event ?? ''
  return event
}
