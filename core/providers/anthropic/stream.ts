/**
 * Anthropic Messages SSE (`event: <type>` + `data: {...}`) -> canonical chat
 * chunks, yielded one by one as the events arrive. Tool-use blocks get their
 * own tool-call index (the block index also counts text blocks), a
 * `message_delta` gives the finish chunk, and `message_stop` the usage chunk
 * when asked for. An `error` event, a dropped connection, or a stream that
 * ends before `message_stop` becomes an UpstreamError.
 */

import type { Readable } from 'node:stream'
import type { EventSourceMessage } from 'eventsource-parser'
import type { AbortLike } from '../../abort.js'
import { type ChatChunk, type ChatChunkDelta, type FinishReason, nowSeconds } from '../../canonical/chat.js'
import { sseEventData, sseEvents } from '../sse-events.js'
import { streamEndedEarly } from '../upstream-error.js'
import { errorFromAnthropic } from './errors.js'
import { finishReasonOf } from './translate-response.js'
import { AnthropicStreamUsage } from './usage.js'

interface AnthropicEvent {
  type: string
  index?: number
  message?: { id?: string; model?: string; usage?: unknown }
  content_block?: { type: string; text?: string; id?: string; name?: string; thinking?: string; data?: string }
  delta?: {
    type?: string
    text?: string
    partial_json?: string
    thinking?: string
    signature?: string
    stop_reason?: string | null
  }
  usage?: unknown
  error?: { type?: string; message?: string }
}

export async function* anthropicChunks(
  body: Readable,
  signal: AbortLike,
  options: { includeUsage: boolean; model: string },
): AsyncGenerator<ChatChunk> {
  const usage = new AnthropicStreamUsage()
  /** Anthropic content-block index -> OpenAI tool-call index. */
  const toolIndexOf = new Map<number, number>()
  /** The thinking block being streamed: its text goes out as it comes, the whole block (with signature) at its end. */
  let thinking: { index: number; text: string; signature: string } | null = null
  let id = ''
  let model = options.model
  const created = nowSeconds()
  const chunk = (delta: ChatChunkDelta, finishReason: FinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(options.includeUsage && { usage: null }),
  })

  for await (const sseEvent of sseEvents(body, signal)) {
    const event = parseEvent(sseEvent)
    switch (event.type) {
      case 'message_start':
        usage.add(event as Parameters<AnthropicStreamUsage['add']>[0])
        id = event.message?.id ?? id
        model = event.message?.model ?? model
        yield chunk({ role: 'assistant', content: '' })
        break
      case 'content_block_start': {
        const block = event.content_block
        if (block?.type === 'text' && block.text) yield chunk({ content: block.text })
        else if (block?.type === 'thinking') {
          thinking = { index: event.index ?? -1, text: block.thinking ?? '', signature: '' }
          if (block.thinking) yield chunk({ reasoning_content: block.thinking })
        } else if (block?.type === 'redacted_thinking')
          yield chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data ?? '' }] })
        else if (block?.type === 'tool_use') {
          const index = toolIndexOf.size
          toolIndexOf.set(event.index ?? -1, index)
          yield chunk({
            tool_calls: [
              { index, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } },
            ],
          })
        }
        break
      }
      case 'content_block_delta': {
        const delta = event.delta
        if (delta?.type === 'text_delta' && delta.text) yield chunk({ content: delta.text })
        else if (delta?.type === 'thinking_delta' && delta.thinking && thinking) {
          thinking.text += delta.thinking
          yield chunk({ reasoning_content: delta.thinking })
        } else if (delta?.type === 'signature_delta' && delta.signature && thinking)
          thinking.signature += delta.signature
        else if (delta?.type === 'input_json_delta' && delta.partial_json) {
          const index = toolIndexOf.get(event.index ?? -1)
          if (index === undefined) break
          yield chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })
        }
        break
      }
      case 'content_block_stop':
        if (thinking && thinking.index === (event.index ?? -1)) {
          const { text, signature } = thinking
          thinking = null
          yield chunk({ thinking_blocks: [{ type: 'thinking', thinking: text, signature }] })
        }
        break
      case 'message_delta':
        usage.add(event as Parameters<AnthropicStreamUsage['add']>[0])
        if (event.delta?.stop_reason) yield chunk({}, finishReasonOf(event.delta.stop_reason))
        break
      case 'message_stop': {
        const total = usage.usage()
        if (options.includeUsage && total) {
          yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: total }
        }
        return
      }
      case 'error': {
        const message = event.error?.message ?? 'upstream stream error'
        throw errorFromAnthropic(undefined, event.error?.type ?? null, message)
      }
      // ping and anything newer: nothing for the client.
    }
  }
  throw streamEndedEarly()
}

function parseEvent(message: EventSourceMessage): AnthropicEvent {
  const event = sseEventData(message) as AnthropicEvent
  // The `event:` line names the type; the data repeats it. Trust the data, fall back to the line.
  if (typeof event.type !== 'string') event.type = message.event ?? ''
  return event
}
