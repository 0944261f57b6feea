/**
 * `models/{model}:generateContent` and `:streamGenerateContent`: the Gemini
 * chat surface. Requests go through the one chat serving path (policies,
 * governance, plugins, routing) as canonical requests, so a Gemini client
 * reaches any provider; answers, streams and errors go out in Google's format.
 */
import type { Request } from 'express'
import type { ChatRequest } from '../../../canonical/chat.js'
import { chatHandler } from '../../chat/serve-chat.js'
import type { ChatSurface } from '../../chat/surface.js'
import type { SurfaceDeps } from '../../exchange.js'
import { sendGoogleError } from './errors.js'
import { parseGenerateContent } from './parse-request.js'
import { renderGenerateContent } from './render-response.js'
import { genaiStreamEncoder, type StreamFraming } from './stream.js'

/**
 * The model is in the URL, not the body: the router reads it from the path
 * and leaves it in `res.locals` (Express's per-request storage) for `parse`.
 */
export function targetModel(req: Request): string {
  const model = req.res?.locals.genaiModel
  if (typeof model !== 'string') throw new Error('the genai router did not set the target model')
  return model
}

function genaiSurface(framing: StreamFraming): ChatSurface {
  return {
    name: 'genai',
    renderCompletion: (completion) => renderGenerateContent(completion),
    streamEncoder: () => genaiStreamEncoder(framing),
    sendError: sendGoogleError,
  }
}

/** The three ways to ask: a whole answer, a stream of SSE frames, a stream as one JSON array. */
export function generateHandlers(deps: SurfaceDeps) {
  const parse =
    (stream: boolean) =>
    (body: unknown, req: Request): ChatRequest =>
      parseGenerateContent(body, { model: targetModel(req), stream })
  return {
    generate: chatHandler(deps, genaiSurface('sse'), parse(false)),
    streamSse: chatHandler(deps, genaiSurface('sse'), parse(true)),
    streamJsonArray: chatHandler(deps, genaiSurface('json-array'), parse(true)),
  }
}
