/**
 * Streams are always asked for usage upstream, because billing needs the
 * real token counts; a client that did not ask for usage must not see it.
 */
import type { ChatChunk, ChatRequest } from '../../../canonical/chat.js'

export function withUsageRequested(request: ChatRequest): ChatRequest {
  if (request.stream_options?.include_usage) return request
  return { ...request, stream_options: { ...request.stream_options, include_usage: true } }
}

/** The chunk as this client should see it: null for the usage-only chunk it did not ask for. */
export function forClient(chunk: ChatChunk, clientWantsUsage: boolean): ChatChunk | null {
  if (clientWantsUsage || chunk.usage === undefined) return chunk
  if (chunk.choices.length === 0) return null
  const { usage: _usage, ...rest } = chunk
  return rest as ChatChunk
}

/** The text a chunk adds (content and tool-call arguments), for counting tokens when no usage arrives. */
export function chunkText(chunk: ChatChunk): string {
  let text = ''
  for (const choice of chunk.choices) {
    if (choice.delta.content) text += choice.delta.content
    for (const call of choice.delta.tool_calls ?? []) text += call.function?.arguments ?? ''
  }
  return text
}
