/**
 * The Express app: request ids, body parsing with the runtime's size limit,
 * the client surfaces (OpenAI, Anthropic, ...), health/readiness and admin
 * routes, and an error handler that turns every failure into the error
 * format of the client's surface.
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Logger } from 'pino'
import { badRequest, GatewayError, isGatewayError } from '../errors.js'
import type { GatewayMetrics } from '../obs/metrics.js'
import type { RuntimeHolder } from '../runtime/holder.js'
import type { Reloader } from '../runtime/reload.js'
import { health, metricsEndpoint, ready, reloadNow, requireAdmin, routingHealth, usage } from './admin.js'
import { jsonBody } from './json-body.js'
import { requestId } from './request-id.js'
import { sendAnthropicError } from './surfaces/anthropic/errors.js'
import { anthropicCountTokens, anthropicMessages } from './surfaces/anthropic/messages.js'
import { listAnthropicModels } from './surfaces/anthropic/models.js'
import { bedrockRouter } from './surfaces/bedrock/converse.js'
import { sendBedrockError } from './surfaces/bedrock/errors.js'
import { sendGoogleError } from './surfaces/genai/errors.js'
import { genaiRouter } from './surfaces/genai/router.js'
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

export function createApp(deps: AppDeps): express.Express {
  const { holder } = deps
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.use(requestId)

  // The OpenAI surface carries nearly all traffic: its routes sit on the app itself, first, so a
  // request reaches its handler without a nested router (its path trimmed and restored) and
  // without testing the admin paths before it. No other route overlaps them, so order changes nothing else.
  const json = jsonBody(holder)
  app.post('/v1/chat/completions', json, chatCompletions(deps))
  app.post('/v1/embeddings', json, embeddings(deps))
  app.get('/v1/models', listModels(holder))

  app.get('/health', health)
  app.get('/ready', ready(holder))
  app.post('/admin/reload', requireAdmin(holder), reloadNow(deps.reloader))
  app.get('/admin/usage', requireAdmin(holder), usage(holder))
  app.get('/admin/routing', requireAdmin(holder), routingHealth(holder))
  app.get('/metrics', metricsEndpoint(deps.metrics))

  const anthropic = express.Router()
  anthropic.post('/v1/messages', json, anthropicMessages(deps))
  anthropic.post('/v1/messages/count_tokens', json, anthropicCountTokens(deps))
  anthropic.get('/v1/models', listAnthropicModels(deps))
  app.use('/anthropic', anthropic)

  app.use('/genai', genaiRouter(deps, json))
  app.use('/bedrock', bedrockRouter(deps, json))

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

/** Each surface's clients get errors (bad bodies, unknown endpoints) in their own SDK's format. */
const ERROR_FORMATS: Array<[prefix: string, send: typeof sendOpenAIError]> = [
  ['/anthropic/', sendAnthropicError],
  ['/genai/', sendGoogleError],
  ['/bedrock/', sendBedrockError],
]

function errorHandler({ logger, scrub }: AppDeps) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const send = ERROR_FORMATS.find(([prefix]) => req.path.startsWith(prefix))?.[1] ?? sendOpenAIError
    send(res, toClientError(error, req, logger), scrub)
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
