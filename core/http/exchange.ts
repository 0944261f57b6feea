/**
 * One data-plane request from start to end: it leases the current runtime,
 * ties an AbortSignal to the client connection, builds the context plugins
 * and policies see, and when the response is done writes the request's log
 * line and runs the plugins' onComplete hooks.
 */
import type { Request, Response } from 'express'
import type { Logger } from 'pino'
import type { Usage } from '../canonical/chat.js'
import { GatewayError, isGatewayError } from '../errors.js'
import type { CompletionRecord, RequestContext } from '../plugins/types.js'
import type { RuntimeHolder } from '../runtime/holder.js'
import type { Runtime } from '../runtime/runtime.js'

export interface Exchange {
  readonly runtime: Runtime
  readonly ctx: RequestContext
  readonly record: CompletionRecord
  /** Removes known secrets from text bound for the client. */
  readonly scrub: (text: string) => string
  /** Marks which target served the request; also sets the `x-gateway-*` response headers. */
  served(info: { route: string | null; provider: string; model: string; attempts: number }): void
  usage(usage: Usage | null | undefined): void
  /** Records a failure; the caller renders it in its surface's format. */
  failed(error: GatewayError): void
}

/** Status recorded when the client went away before the answer was complete (nginx's convention). */
const CLIENT_CLOSED = 499

export function openExchange(
  req: Request,
  res: Response,
  { holder, logger, scrub }: SurfaceDeps,
  endpoint: RequestContext['endpoint'],
  body: RequestContext['body'],
): Exchange {
  const lease = holder.acquire()
  const started = performance.now()
  const abort = new AbortController()
  const ctx: RequestContext = {
    requestId: req.id,
    endpoint,
    body,
    headers: req.headers,
    tags: {},
    logger: logger.child({ requestId: req.id }),
    signal: abort.signal,
  }
  const record: CompletionRecord = {
    requestId: req.id,
    endpoint,
    stream: (body as { stream?: unknown }).stream === true,
    status: 0,
    route: null,
    provider: null,
    model: null,
    attempts: 0,
    durationMs: 0,
    usage: null,
    error: null,
    tags: ctx.tags,
  }

  res.on('close', () => {
    const complete = res.writableFinished
    if (!complete) abort.abort(new Error('client closed the connection'))
    record.status = complete ? record.status || res.statusCode : CLIENT_CLOSED
    record.durationMs = Math.round(performance.now() - started)
    const level = record.status >= 500 ? 'error' : record.status >= 400 ? 'warn' : 'info'
    const { tags, requestId: _id, ...fields } = record
    ctx.logger[level]({ ...fields, tags: Object.keys(tags).length > 0 ? tags : undefined }, 'request')
    void lease.runtime.plugins.runComplete(record, ctx).finally(() => lease.release())
  })

  return {
    runtime: lease.runtime,
    ctx,
    record,
    scrub,
    served({ route, provider, model, attempts }) {
      Object.assign(record, { route, provider, model, attempts })
      if (!res.headersSent) {
        res.setHeader('x-gateway-route', route ?? `${provider}/${model}`)
        res.setHeader('x-gateway-provider', provider)
        res.setHeader('x-gateway-model', model)
        res.setHeader('x-gateway-attempts', String(attempts))
      }
    },
    usage(usage) {
      if (usage) record.usage = usage
    },
    failed(error) {
      record.status = error.status
      record.error = { type: error.type, message: error.message }
      const attempts = (error as { attempts?: number }).attempts
      if (attempts) record.attempts = attempts
    },
  }
}

export interface SurfaceDeps {
  holder: RuntimeHolder
  logger: Logger
  scrub: (text: string) => string
}

/**
 * The frame every data-plane handler shares: parse and validate the body,
 * open the exchange, serve, and render any failure in the surface's format.
 */
export function exchangeHandler<Body extends RequestContext['body']>(
  deps: SurfaceDeps,
  endpoint: RequestContext['endpoint'],
  parse: (body: unknown) => Body,
  serve: (exchange: Exchange, res: Response) => Promise<void>,
  sendError: (res: Response, error: GatewayError) => void,
) {
  return async (req: Request, res: Response): Promise<void> => {
    let exchange: Exchange | undefined
    try {
      exchange = openExchange(req, res, deps, endpoint, parse(req.body))
      await serve(exchange, res)
    } catch (error) {
      if (exchange?.ctx.signal.aborted) return
      const clientError = asGatewayError(error, exchange?.ctx.logger ?? deps.logger)
      exchange?.failed(clientError)
      sendError(res, clientError)
    }
  }
}

/** Anything that is not a GatewayError is a bug in the gateway: log it whole, tell the client little. */
export function asGatewayError(error: unknown, logger: Logger): GatewayError {
  if (isGatewayError(error)) return error
  logger.error({ err: error }, 'unexpected error while handling a request')
  return new GatewayError({
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    message: 'The gateway failed to handle the request.',
  })
}
