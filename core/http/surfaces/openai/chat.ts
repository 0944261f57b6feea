/**
 * `POST /v1/chat/completions`: the canonical shape is OpenAI's own, so
 * answers go out as they are; streams are `data:` frames ending in
 * `[DONE]`, and a mid-stream failure is an `{"error": ...}` frame, which the
 * OpenAI SDKs raise as an exception.
 */
import type { ChatChunk } from '../../../canonical/chat.js'
import { chatHandler } from '../../chat/serve-chat.js'
import type { ChatSurface, StreamEncoder } from '../../chat/surface.js'
import type { SurfaceDeps } from '../../exchange.js'
import { SSE_CONTENT_TYPE, sseFrame } from '../../sse.js'
import { openAIErrorBody, sendOpenAIError } from './errors.js'
import { parseChatRequest } from './validate-request.js'

export const openAIChatSurface: ChatSurface = {
  name: 'openai',
  renderCompletion: (completion) => completion,
  streamEncoder: ({ request }) => openAIStreamEncoder(request.stream_options?.include_usage === true),
  sendError: sendOpenAIError,
}

export function chatCompletions(deps: SurfaceDeps) {
  return chatHandler(deps, openAIChatSurface, parseChatRequest)
}

function openAIStreamEncoder(clientWantsUsage: boolean): StreamEncoder {
  return {
    contentType: SSE_CONTENT_TYPE,
    chunk(chunk, upstreamText) {
      const visible = forClient(chunk, clientWantsUsage)
      if (!visible) return null
      return sseFrame(visible === chunk && upstreamText !== undefined ? upstreamText : JSON.stringify(visible))
    },
    end: () => sseFrame('[DONE]'),
    error: (error, scrub) => sseFrame(JSON.stringify(openAIErrorBody(error, scrub))),
  }
}

/**
 * The gateway always asks upstreams for usage (billing needs it); a client
 * that did not ask must not see it: no usage-only chunk, no usage field.
 */
function forClient(chunk: ChatChunk, clientWantsUsage: boolean): ChatChunk | null {
  if (clientWantsUsage || chunk.usage === undefined) return chunk
  if (chunk.choices.length === 0) return null
  const { usage: _usage, ...rest } = chunk
  return rest as ChatChunk
}
