/**
 * The Express app: request ids, body parsing with the runtime's size limit,
 * the OpenAI surface, health/readiness and admin routes, and an error
 * handler that turns every failure into the client's error format.
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Logger } from 'pino'
import { badRequest, GatewayError, isGatewayError } from '../errors.js'
import type { GatewayMetrics } from '../obs/metrics.js'
import type { RuntimeHolder } from '../runtime/holder.js'
import type { Reloader } from '../runtime/reload.js'
import { health, metricsEndpoint, ready, reloadNow, requireAdmin, routingHealth, usage } from './admin.js'
import { requestId } from './request-id.js'
import { chatCompletions } from './surfaces/openai/chat.js'
import { embeddings } from './surfaces/openai/embeddings.js'
import { sendOpenAIError } from './surfaces/openai/errors.js'
import { listModels } from './surfaces/openai/models.js'

export interface AppDeps {
  holder: RuntimeHolder
  reloader: Reloader
  logger: Logger
  metrics: GatewayMetrics
  scrub: (text: string) => string
}

export const DEFAULT_BODY_LIMIT = '4mb'

export function createApp(deps: AppDeps): express.Express {
  const { holder } = deps
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.use(requestId)

  app.get('/health', health)
  app.get('/ready', ready(holder))
  app.post('/admin/reload', requireAdmin(holder), reloadNow(deps.reloader))
  app.get('/admin/usage', requireAdmin(holder), usage(holder))
  app.get('/admin/routing', requireAdmin(holder), routingHealth(holder))
  app.get('/metrics', metricsEndpoint(deps.metrics))

  const json = jsonBody(holder)
  const openai = express.Router()
  openai.get('/models', listModels(holder))
  openai.post('/chat/completions', json, chatCompletions(deps))
  openai.post('/embeddings', json, embeddings(deps))
  app.use('/v1', openai)

  app.use((req: Request) => {
    throw new GatewayError({
      status: 404,
      type: 'not_found_error',
      code: 'unknown_endpoint',
      message: `Unknown endpoint: ${req.method} ${req.path}`,
    })
  })
  app.use(errorHandler(deps))
  return app
}

/** express.json with the current runtime's body limit; one parser per distinct limit. */
function jsonBody(holder: RuntimeHolder) {
  const parsers = new Map<string | number, ReturnType<typeof express.json>>()
  return (req: Request, res: Response, next: NextFunction) => {
    const limit = holder.current?.checked.config.server?.bodyLimit ?? DEFAULT_BODY_LIMIT
    let parser = parsers.get(limit)
    if (!parser) {
      // Any content type: some clients omit it, and the body must be JSON regardless.
      parser = express.json({ limit, type: () => true, strict: false })
      parsers.set(limit, parser)
    }
    parser(req, res, next)
  }
}

function errorHandler({ logger, scrub }: AppDeps) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    sendOpenAIError(res, toClientError(error, req, logger), scrub)
  }
}

/** body-parser failures are the client's: say what was wrong with the body. */
function toClientError(error: unknown, req: Request, logger: Logger): GatewayError {
  if (isGatewayError(error)) return error
  const type = (error as { type?: string }).type
  switch (type) {
    case 'entity.parse.failed':
      return badRequest(`The request body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json')
    case 'entity.too.large':
      return new GatewayError({
        status: 413,
        type: 'invalid_request_error',
        code: 'request_too_large',
        message: `The request body is larger than this gateway accepts (${(error as { limit?: number }).limit} bytes).`,
      })
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new GatewayError({
        status: 415,
        type: 'invalid_request_error',
        code: 'unsupported_encoding',
        message: (error as Error).message,
      })
    case 'request.aborted':
      return badRequest('The request body was not received completely.', null, 'request_aborted')
  }
  logger.error({ err: error, requestId: req.id }, 'unhandled error')
  return new GatewayError({
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    message: 'The gateway failed to handle the request.',
  })
}
