/**
 * A complete answer replayed as a stream, for a stream request answered
 * directly by a plugin: each choice's message as one delta, the finish
 * reasons, then the usage as its own chunk (the surface's encoder decides
 * whether its client sees it).
 */
import { type ChatChunk, type ChatCompletion, messageText } from '../../canonical/chat.js'

export function completionAsChunks(completion: ChatCompletion): ChatChunk[] {
  const chunk = (choices: ChatChunk['choices'], extra: Partial<ChatChunk> = {}): ChatChunk => ({
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    choices,
    ...extra,
  })
  const chunks = completion.choices.map(({ index, message }) =>
    chunk([
      {
        index,
        delta: {
          role: message.role,
          content: message.content == null ? null : messageText(message),
          ...(message.tool_calls && { tool_calls: message.tool_calls.map((call, i) => ({ index: i, ...call })) }),
        },
        finish_reason: null,
      },
    ]),
  )
  chunks.push(chunk(completion.choices.map(({ index, finish_reason }) => ({ index, delta: {}, finish_reason }))))
  if (completion.usage) chunks.push(chunk([], { usage: completion.usage }))
  return chunks
}
