/**
 * Canonical chunks -> ConverseStream's binary event stream
 * (`application/vnd.amazon.eventstream`): `messageStart`, then per content
 * block `contentBlockDelta`s and a `contentBlockStop` (a tool-use block opens
 * with `contentBlockStart` carrying its id and name; text and reasoning
 * blocks open with their first delta, as Bedrock's own streams do), then
 * `messageStop` with the stop reason and `metadata` with usage and latency.
 *
 * The canonical stream ends with the finish reason and only then the usage,
 * which is why `metadata` waits for the end of the stream.
 */

import type { ChatChunk, ChatChunkDelta, Usage } from '../../../canonical/chat.js'
import { encodeEventStreamMessage } from '../../../providers/bedrock/event-stream.js'
import { toReasoningContent } from '../../../providers/bedrock/reasoning.js'
import type { AnswerContext, StreamEncoder } from '../../chat/surface.js'
import { bedrockExceptionFrame } from './errors.js'
import { stopReasonOf } from './render-response.js'
import { usageToBedrock } from './usage.js'

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream'

type OpenBlock = { kind: 'reasoning' | 'text' } | { kind: 'tool'; callIndex: number }

export function bedrockStreamEncoder(answer: AnswerContext): StreamEncoder {
  let started = false
  let stopped = false
  let open: OpenBlock | null = null
  let blockIndex = -1
  let usage: Usage | null = null

  const event = (eventType: string, payload: unknown): Uint8Array =>
    encodeEventStreamMessage({ messageType: 'event', eventType, payload })

  const start = (frames: Uint8Array[]): void => {
    if (started) return
    started = true
    frames.push(event('messageStart', { role: 'assistant' }))
  }

  const close = (frames: Uint8Array[]): void => {
    if (!open) return
    open = null
    frames.push(event('contentBlockStop', { contentBlockIndex: blockIndex }))
  }

  const openBlock = (frames: Uint8Array[], block: OpenBlock): void => {
    close(frames)
    open = block
    blockIndex += 1
  }

  const delta = (frames: Uint8Array[], payload: unknown): void => {
    frames.push(event('contentBlockDelta', { contentBlockIndex: blockIndex, delta: payload }))
  }

  const deltaFrames = (frames: Uint8Array[], piece: ChatChunkDelta): void => {
    if (typeof piece.reasoning_content === 'string' && piece.reasoning_content) {
      if (open?.kind !== 'reasoning') openBlock(frames, { kind: 'reasoning' })
      delta(frames, { reasoningContent: { text: piece.reasoning_content } })
    }
    for (const block of piece.thinking_blocks ?? []) {
      if (block.type === 'thinking') {
        // The text already went out as reasoning deltas; what is left to send is the signature.
        if (open?.kind !== 'reasoning') openBlock(frames, { kind: 'reasoning' })
        if (block.signature) delta(frames, { reasoningContent: { signature: block.signature } })
      } else {
        openBlock(frames, { kind: 'reasoning' })
        // Redacted reasoning arrives whole, as one delta of base64 bytes.
        delta(frames, { reasoningContent: toReasoningContent(block) })
      }
      close(frames)
    }
    if (typeof piece.content === 'string' && piece.content) {
      if (open?.kind !== 'text') openBlock(frames, { kind: 'text' })
      delta(frames, { text: piece.content })
    }
    for (const call of piece.tool_calls ?? []) {
      if (open?.kind !== 'tool' || open.callIndex !== call.index) {
        openBlock(frames, { kind: 'tool', callIndex: call.index })
        frames.push(
          event('contentBlockStart', {
            contentBlockIndex: blockIndex,
            start: { toolUse: { toolUseId: call.id ?? '', name: call.function?.name ?? '' } },
          }),
        )
      }
      const fragment = call.function?.arguments
      if (fragment) delta(frames, { toolUse: { input: fragment } })
    }
  }

  const stop = (frames: Uint8Array[], finishReason: ChatChunk['choices'][number]['finish_reason']): void => {
    if (stopped) return
    stopped = true
    close(frames)
    frames.push(event('messageStop', { stopReason: stopReasonOf(finishReason) }))
  }

  return {
    contentType: EVENT_STREAM_CONTENT_TYPE,
    chunk(chunk) {
      const frames: Uint8Array[] = []
      if (chunk.usage) usage = chunk.usage
      // Converse has one answer per request: choices beyond the first have no place on this wire.
      const choice = chunk.choices.find((c) => c.index === 0)
      if (choice) {
        start(frames)
        deltaFrames(frames, choice.delta)
        if (choice.finish_reason) stop(frames, choice.finish_reason)
      }
      return join(frames)
    },
    end() {
      const frames: Uint8Array[] = []
      start(frames)
      stop(frames, null)
      frames.push(
        event('metadata', {
          // No usage at all is rare (the gateway always asks the upstream for it); then none is claimed.
          ...(usage && { usage: usageToBedrock(usage) }),
          metrics: { latencyMs: Math.round(answer.elapsedMs()) },
        }),
      )
      return join(frames)
    },
    error: (error, scrub) => bedrockExceptionFrame(error, scrub),
  }
}

function join(frames: Uint8Array[]): Uint8Array | null {
  if (frames.length === 0) return null
  if (frames.length === 1) return frames[0] as Uint8Array
  return Buffer.concat(frames)
}
