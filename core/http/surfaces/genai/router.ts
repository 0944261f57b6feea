/**
 * The Google GenAI surface, mounted at `/genai`: a client of the
 * `@google/genai` SDK (or of Google's REST API) with its base URL set to
 * `<gateway>/genai` reaches every provider the gateway serves.
 *
 *   POST /{v1beta|v1|v1alpha}/models/{model}:generateContent
 *   POST /{...}/models/{model}:streamGenerateContent[?alt=sse]
 *   POST /{...}/models/{model}:countTokens
 *   GET  /{...}/models[?pageSize&pageToken]
 *   GET  /{...}/models/{model}
 *
 * Errors thrown here reach the app's error handler, which answers everything
 * under `/genai/` (404s and unreadable bodies included) in Google's format.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { badRequest, GatewayError } from '../../../errors.js'
import { presentedKey } from '../../../governance/virtual-keys.js'
import type { SurfaceDeps } from '../../exchange.js'
import { countGenaiTokens } from './count-tokens.js'
import { generateHandlers } from './generate.js'
import { isModelList, parseModelPath } from './model-path.js'
import { getGenaiModel, listGenaiModels } from './models.js'

/** `json` is the app's body reader (with the runtime's size limit). */
export function genaiRouter(deps: SurfaceDeps, json: RequestHandler): express.Router {
  const router = express.Router()
  const methodHandler = methodsOf(deps)

  router.use(keyFromQuery)
  router.get(/.*/, (req, res) => {
    const lease = deps.holder.acquire()
    try {
      if (isModelList(req.path)) return listGenaiModels(lease.runtime, req, res)
      const target = parseModelPath(req.path)
      if (!target) throw unknownEndpoint(req)
      getGenaiModel(lease.runtime, req, res, target.resource)
    } finally {
      lease.release()
    }
  })
  router.post(/.*/, (req, res, next) => {
    const target = parseModelPath(req.path)
    if (!target?.method) throw unknownEndpoint(req)
    const handle = methodHandler(target.method, target.model, req)
    // The model is in the URL, not the body: the chat handlers' parse reads it from here (see `targetModel`).
    res.locals.genaiModel = target.model
    json(req, res, (error?: unknown) => {
      if (error) return next(error)
      // The chat handlers render their own failures; countTokens throws to the app's error handler.
      Promise.resolve()
        .then(() => handle(req, res))
        .catch(next)
    })
  })
  return router
}

type Handler = (req: Request, res: Response) => unknown

function methodsOf(deps: SurfaceDeps) {
  const chat = generateHandlers(deps)
  const countTokens =
    (model: string): Handler =>
    (req, res) => {
      const lease = deps.holder.acquire()
      try {
        countGenaiTokens(lease.runtime, req, res, model)
      } finally {
        lease.release()
      }
    }
  return (method: string, model: string, req: Request): Handler => {
    switch (method) {
      case 'generateContent':
        return chat.generate
      case 'streamGenerateContent':
        return streamFraming(req) === 'sse' ? chat.streamSse : chat.streamJsonArray
      case 'countTokens':
        return countTokens(model)
    }
    throw new GatewayError({
      status: 404,
      type: 'not_found_error',
      code: 'unknown_method',
      message: `The method '${method}' is not served by this gateway (it serves generateContent, streamGenerateContent and countTokens).`,
    })
  }
}

/**
 * Google's REST API also takes the key as `?key=`, as its curl examples do;
 * it counts only when no header carries one. (The gateway logs no URLs, so
 * the key does not reach its logs; a proxy in front may log it, which is why
 * headers are the better choice and the SDK uses one.)
 */
function keyFromQuery(req: Request, _res: Response, next: NextFunction): void {
  const key = req.query.key
  if (typeof key === 'string' && key && presentedKey(req.headers) === undefined) req.headers['x-goog-api-key'] = key
  next()
}

/** `alt=sse` streams server-sent events; without `alt` (or `alt=json`) Google streams one JSON array. */
function streamFraming(req: Request): 'sse' | 'json-array' {
  const alt = req.query.alt
  if (alt === 'sse') return 'sse'
  if (alt === undefined || alt === 'json') return 'json-array'
  throw badRequest(`Invalid value at 'alt': '${String(alt)}' (expected 'sse' or 'json').`, 'alt')
}

function unknownEndpoint(req: Request): GatewayError {
  return new GatewayError({
    status: 404,
    type: 'not_found_error',
    code: 'unknown_endpoint',
    message: `Unknown endpoint: ${req.method} ${req.baseUrl}${req.path}`,
  })
}
