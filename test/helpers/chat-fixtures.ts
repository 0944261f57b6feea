/**
 * What the adapter tests share: the tools they offer and the arguments they
 * expect (two functions called together in one turn, with arguments that test
 * escaping: quotes, braces, non-ASCII, an emoji), and how they read a stream.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'

export const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function' as const,
    function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } },
  },
]

export const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', units: 'celsius', days: [1, 2, 3] }
export const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }

/** Every chunk of an SDK stream, in order. */
export async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return chunks
}

/** The first choice's streamed tool calls, each reassembled from its deltas by index. */
export function assembleToolCalls(chunks: ChatCompletionChunk[]): Array<{ id?: string; name?: string; args: string }> {
  const calls: Array<{ id?: string; name?: string; args: string }> = []
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      if (!calls[delta.index]) calls[delta.index] = { args: '' }
      const call = calls[delta.index] as { id?: string; name?: string; args: string }
      if (delta.id) call.id = delta.id
      if (delta.function?.name) call.name = delta.function.name
      call.args += delta.function?.arguments ?? ''
    }
  }
  return calls
}
