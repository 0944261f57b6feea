/**
 * Canonical chunks -> Anthropic's SSE event sequence: `message_start`, then
 * per content block `content_block_start` / `_delta` / `_stop` (thinking,
 * text, each tool call with `input_json_delta` fragments), then
 * `message_delta` with the stop reason and the usage, and `message_stop`.
 * Every frame has its `event:` line: the Anthropic SDKs see nothing without it.
 *
 * The canonical stream ends with the finish reason and only then the usage,
 * so `message_delta` waits for the end of the stream.
 */
import type { ChatChunk, ChatChunkDelta, FinishReason, Usage } from '../../../canonical/chat.js'
import { usageToAnthropic } from '../../../providers/anthropic/usage.js'
import type { StreamEncoder } from '../../chat/surface.js'
import { SSE_CONTENT_TYPE, sseFrame } from '../../sse.js'
import { anthropicErrorBody } from './errors.js'
import { stopReasonOf } from './render-message.js'

type OpenBlock = { kind: 'thinking' | 'redacted' | 'text' } | { kind: 'tool'; callIndex: number }

export function anthropicStreamEncoder(): StreamEncoder {
  let started = false
  let open: OpenBlock | null = null
  let blockIndex = -1
  let finishReason: FinishReason | null = null
  let usage: Usage | null = null

  const event = (type: string, payload: Record<string, unknown>): string =>
    sseFrame(JSON.stringify({ type, ...payload }), type)

  const start = (chunk: Pick<ChatChunk, 'id' | 'model'>): string => {
    if (started) return ''
    started = true
    return event('message_start', {
      message: {
        id: chunk.id,
        type: 'message',
        role: 'assistant',
        model: chunk.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The real counts are only known at the end; message_delta carries them all.
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    })
  }

  const close = (): string => {
    if (!open) return ''
    open = null
    return event('content_block_stop', { index: blockIndex })
  }

  const openBlock = (block: OpenBlock, contentBlock: Record<string, unknown>): string => {
    const frames = close()
    open = block
    blockIndex += 1
    return frames + event('content_block_start', { index: blockIndex, content_block: contentBlock })
  }

  const delta = (piece: ChatChunkDelta): string => {
    let frames = ''
    if (typeof piece.reasoning_content === 'string' && piece.reasoning_content) {
      if (open?.kind !== 'thinking') frames += openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '' })
      frames += event('content_block_delta', {
        index: blockIndex,
        delta: { type: 'thinking_delta', thinking: piece.reasoning_content },
      })
    }
    for (const block of piece.thinking_blocks ?? []) {
      if (block.type === 'thinking') {
        // The text already went out as thinking deltas; what is left to send is the signature.
        if (open?.kind !== 'thinking') frames += openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '' })
        if (block.signature)
          frames += event('content_block_delta', {
            index: blockIndex,
            delta: { type: 'signature_delta', signature: block.signature },
          })
        frames += close()
      } else frames += openBlock({ kind: 'redacted' }, block) + close()
    }
    if (typeof piece.content === 'string' && piece.content) {
      if (open?.kind !== 'text') frames += openBlock({ kind: 'text' }, { type: 'text', text: '' })
      frames += event('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text: piece.content } })
    }
    for (const call of piece.tool_calls ?? []) {
      if (open?.kind !== 'tool' || open.callIndex !== call.index) {
        frames += openBlock(
          { kind: 'tool', callIndex: call.index },
          { type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: {} },
        )
      }
      const fragment = call.function?.arguments
      if (fragment)
        frames += event('content_block_delta', {
          index: blockIndex,
          delta: { type: 'input_json_delta', partial_json: fragment },
        })
    }
    return frames
  }

  return {
    contentType: SSE_CONTENT_TYPE,
    chunk(chunk) {
      let frames = start(chunk)
      if (chunk.usage) usage = chunk.usage
      // Anthropic has one answer per request: choices beyond the first have no place on this wire.
      const choice = chunk.choices.find((c) => c.index === 0)
      if (choice) {
        frames += delta(choice.delta)
        if (choice.finish_reason) {
          finishReason = choice.finish_reason
          frames += close()
        }
      }
      return frames || null
    },
    end() {
      const counts = usage ? usageToAnthropic(usage) : { output_tokens: 0 }
      return (
        start({ id: 'msg_gateway', model: '' }) +
        close() +
        event('message_delta', {
          delta: { stop_reason: stopReasonOf(finishReason), stop_sequence: null },
          usage: counts,
        }) +
        event('message_stop', {})
      )
    },
    error: (error, scrub) => sseFrame(JSON.stringify(anthropicErrorBody(error, scrub)), 'error'),
  }
}
