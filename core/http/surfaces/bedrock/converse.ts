/**
 * The Bedrock Converse drop-in surface, mounted at `/bedrock`: a client of
 * `@aws-sdk/client-bedrock-runtime` with `endpoint: '<gateway>/bedrock'`
 * reaches every provider the gateway serves, through the same policies,
 * governance, plugins and routing as the other surfaces.
 *
 *   POST /model/{modelId}/converse          JSON answer
 *   POST /model/{modelId}/converse-stream   binary AWS event stream
 *
 * `{modelId}` is a gateway model (a route or `provider/model`); the SDK
 * percent-encodes it (`/` as `%2F`, `:` as `%3A`) and Express decodes the
 * path parameter. Any other path under `/bedrock` (InvokeModel, ApplyGuardrail,
 * ...) reaches the app's 404, which answers it in Bedrock's error format.
 */
import express, { type Request, type RequestHandler } from 'express'
import type { ChatRequest } from '../../../canonical/chat.js'
import { badRequest } from '../../../errors.js'
import { chatHandler } from '../../chat/serve-chat.js'
import type { ChatSurface } from '../../chat/surface.js'
import type { SurfaceDeps } from '../../exchange.js'
import { refuseSigV4 } from './auth.js'
import { sendBedrockError } from './errors.js'
import { renderConverseAnswer } from './render-response.js'
import { bedrockStreamEncoder } from './stream-encoder.js'
import { fromConverseRequest } from './translate-request.js'

export const bedrockSurface: ChatSurface = {
  name: 'bedrock',
  renderCompletion: renderConverseAnswer,
  streamEncoder: bedrockStreamEncoder,
  sendError: sendBedrockError,
}

function parseConverse(stream: boolean) {
  return (body: unknown, req: Request): ChatRequest => {
    const modelId = req.params.modelId
    if (typeof modelId !== 'string' || !modelId.trim()) throw badRequest('modelId: must not be empty', 'modelId')
    return fromConverseRequest(body, modelId, stream)
  }
}

/** `json` is the app's body reader (with the runtime's size limit). */
export function bedrockRouter(deps: SurfaceDeps, json: RequestHandler): express.Router {
  const router = express.Router()
  // The AWS SDK reports this header as `$metadata.requestId`: the id a client quotes matches the gateway's logs.
  router.use((req, res, next) => {
    res.setHeader('x-amzn-requestid', req.id)
    next()
  })
  router.use(refuseSigV4(deps.holder))
  router.post('/model/:modelId/converse', json, chatHandler(deps, bedrockSurface, parseConverse(false)))
  router.post('/model/:modelId/converse-stream', json, chatHandler(deps, bedrockSurface, parseConverse(true)))
  return router
}
