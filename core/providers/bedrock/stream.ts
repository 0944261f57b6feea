/**
 * Bedrock ConverseStream (binary AWS event stream) -> canonical chat chunks,
 * yielded one by one as frames complete. Tool-use blocks get their own
 * tool-call index (`contentBlockIndex` also counts text blocks),
 * `messageStop` gives the finish chunk and the trailing `metadata` event the
 * usage chunk when asked for. An exception frame, a dropped connection, or a
 * stream that ends before `messageStop` becomes an UpstreamError.
 */

import type { Readable } from 'node:stream'
import type { AbortLike } from '../../abort.js'
import { type ChatChunk, type ChatChunkDelta, type FinishReason, nowSeconds, type Usage } from '../../canonical/chat.js'
import { streamEndedEarly, toTransportError, UpstreamError } from '../upstream-error.js'
import { errorFromBedrock } from './errors.js'
import { decodeEventStream, EventStreamDecodeError, type EventStreamMessage } from './event-stream.js'
import { fromBase64 } from './reasoning.js'
import { toUtf8 } from './smithy.js'
import { finishReasonOf } from './translate-response.js'
import { type BedrockUsage, usageFromBedrock } from './usage.js'

interface ConverseStreamEvent {
  contentBlockIndex?: number
  start?: { toolUse?: { toolUseId?: string; name?: string } }
  delta?: {
    text?: string
    toolUse?: { input?: string }
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string }
  }
  stopReason?: string
  usage?: BedrockUsage
  message?: string
  Message?: string
}

export async function* converseStreamChunks(
  body: Readable,
  signal: AbortLike,
  options: { includeUsage: boolean; model: string; id: string },
): AsyncGenerator<ChatChunk> {
  /** Bedrock content-block index -> OpenAI tool-call index. */
  const toolIndexOf = new Map<number, number>()
  /** The reasoning block being streamed: its text goes out as it comes, the whole block (with signature) at its stop. */
  let reasoning = null as { index: number; text: string; signature: string } | null
  const { id, model } = options
  const created = nowSeconds()
  let stopped = false
  let usage: Usage | undefined
  const chunk = (delta: ChatChunkDelta, finishReason: FinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(options.includeUsage && { usage: null }),
  })

  try {
    for await (const message of decodeEventStream(body)) {
      if (message.messageType !== 'event') throw exceptionOf(message)
      const event = payloadOf(message)
      switch (message.type) {
        case 'messageStart':
          yield chunk({ role: 'assistant', content: '' })
          break
        case 'contentBlockStart': {
          const use = event.start?.toolUse
          if (!use) break
          const index = toolIndexOf.size
          toolIndexOf.set(event.contentBlockIndex ?? -1, index)
          yield chunk({
            tool_calls: [
              { index, id: use.toolUseId ?? '', type: 'function', function: { name: use.name ?? '', arguments: '' } },
            ],
          })
          break
        }
        case 'contentBlockDelta': {
          const delta = event.delta
          if (typeof delta?.text === 'string' && delta.text) yield chunk({ content: delta.text })
          else if (typeof delta?.toolUse?.input === 'string' && delta.toolUse.input) {
            const index = toolIndexOf.get(event.contentBlockIndex ?? -1)
            if (index === undefined) break
            yield chunk({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] })
          } else if (delta?.reasoningContent) {
            const { text, signature, redactedContent } = delta.reasoningContent
            const index = event.contentBlockIndex ?? -1
            if (reasoning?.index !== index) reasoning = { index, text: '', signature: '' }
            if (typeof text === 'string' && text) {
              reasoning.text += text
              yield chunk({ reasoning_content: text })
            }
            if (typeof signature === 'string') reasoning.signature += signature
            if (typeof redactedContent === 'string')
              yield chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: fromBase64(redactedContent) }] })
          }
          break
        }
        case 'contentBlockStop':
          if (reasoning && reasoning.index === (event.contentBlockIndex ?? -1)) {
            const { text, signature } = reasoning
            reasoning = null
            if (text || signature) yield chunk({ thinking_blocks: [{ type: 'thinking', thinking: text, signature }] })
          }
          break
        case 'messageStop':
          stopped = true
          yield chunk({}, finishReasonOf(event.stopReason ?? 'end_turn'))
          break
        case 'metadata':
          if (event.usage) usage = usageFromBedrock(event.usage)
          break
        // Anything newer: nothing for the client.
      }
    }
  } catch (error) {
    if (error instanceof EventStreamDecodeError) {
      throw new UpstreamError({ errorClass: 'server_error', message: error.message })
    }
    throw toTransportError(error, signal, 'body')
  } finally {
    if (!body.destroyed) body.destroy()
  }
  if (!stopped) {
    throw streamEndedEarly()
  }
  // `metadata` follows `messageStop`, so usage can only be sent once the stream has ended.
  if (options.includeUsage && usage) {
    yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage }
  }
}

function payloadOf(message: EventStreamMessage): ConverseStreamEvent {
  try {
    const data = JSON.parse(toUtf8(message.body)) as unknown
    return (data && typeof data === 'object' ? data : {}) as ConverseStreamEvent
  } catch {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: `the upstream stream sent a '${message.type}' event that is not JSON`,
    })
  }
}

/** An `exception` frame (modelled, e.g. throttlingException) or an `error` frame (unmodelled). */
function exceptionOf(message: EventStreamMessage): UpstreamError {
  if (message.messageType === 'error') {
    const text = message.headers[':error-message']
    return errorFromBedrock(
      undefined,
      message.type || null,
      text?.type === 'string' ? text.value : 'upstream stream error',
    )
  }
  let text = 'upstream stream error'
  try {
    const event = JSON.parse(toUtf8(message.body)) as ConverseStreamEvent
    text = event.message ?? event.Message ?? text
  } catch {
    // A body that is not JSON: the exception type alone still classifies it.
  }
  return errorFromBedrock(undefined, message.type || null, text)
}
