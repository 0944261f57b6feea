/**
 * One data-plane request from start to end: it leases the current runtime,
 * ties an AbortSignal to the client connection, builds the context plugins
 * and policies see, and when the response is done settles its cost, writes
 * the request's log line and runs the plugins' onComplete hooks.
 */
import type { Request, Response } from 'express'
import type { Logger } from 'pino'
import { Abort, type AbortLike } from '../abort.js'
import type { Usage } from '../canonical/chat.js'
import { GatewayError, isGatewayError } from '../errors.js'
import type { Admission, PricedTarget } from '../governance/governor.js'
import { ANONYMOUS, type Principal } from '../governance/principal.js'
import { countTextTokens } from '../governance/tokens.js'
import type { RequestTrace } from '../obs/tracing.js'
import type { CompletionRecord, RequestContext } from '../plugins/types.js'
import type { RuntimeHolder } from '../runtime/holder.js'
import type { Runtime } from '../runtime/runtime.js'
import { ExchangeContext } from './request-context.js'

/** Status recorded when the client went away before the answer was complete (nginx's convention). */
const CLIENT_CLOSED = 499

/**
 * A class rather than an object of closures: one request makes one of these,
 * and its methods are shared, not allocated per request.
 */
export class Exchange {
  readonly runtime: Runtime
  /** The authenticated caller (anonymous when auth is off and no key was sent). */
  principal: Principal = ANONYMOUS
  readonly ctx: RequestContext
  readonly record: CompletionRecord
  /** The request's spans when tracing is on; undefined (and free) when it is off. */
  readonly trace: RequestTrace | undefined
  /** Removes known secrets from text bound for the client. */
  readonly scrub: (text: string) => string
  readonly #res: Response
  readonly #started = performance.now()
  readonly #abort = new Abort()
  #admission: Admission | undefined
  #target: PricedTarget | null = null
  #streamedText = ''
  #lastChunkAt: number | null = null

  constructor(
    req: Request,
    res: Response,
    { holder, logger, scrub }: SurfaceDeps,
    surface: RequestContext['surface'],
    endpoint: RequestContext['endpoint'],
  ) {
    const lease = holder.acquire()
    this.runtime = lease.runtime
    this.scrub = scrub
    this.#res = res
    this.ctx = new ExchangeContext(
      {
        requestId: req.id,
        surface,
        endpoint,
        // Replaced by the validated body once the caller is authenticated.
        body: req.body,
        headers: req.headers,
      },
      this.#abort,
      logger,
    )
    this.trace = this.runtime.tracing?.startRequest(this.ctx)
    this.record = {
      requestId: req.id,
      surface,
      endpoint,
      stream: false,
      status: 0,
      key: null,
      team: null,
      route: null,
      provider: null,
      model: null,
      attempts: 0,
      durationMs: 0,
      ttftMs: null,
      upstreamMs: 0,
      usage: null,
      costUsd: null,
      error: null,
      tags: this.ctx.tags,
      verdicts: this.ctx.verdicts,
      content: { request: null, response: null },
    }
    this.runtime.metrics.inFlight.inc()
    res.on('close', () => this.#closed(logger, () => lease.release()))
  }

  /** Aborted when the client goes away before the answer is complete. */
  get signal(): AbortLike {
    return this.#abort
  }

  /** Marks which target served the request; also sets the `x-gateway-*` response headers. */
  served({
    route,
    provider,
    model,
    attempts,
  }: {
    route: string | null
    provider: string
    model: string
    attempts: number
  }): void {
    const { record } = this
    record.route = route
    record.provider = provider
    record.model = model
    record.attempts = attempts
    record.content.request = this.ctx.body
    this.#target = { provider, providerType: this.runtime.routes.provider(provider).type, model }
    const res = this.#res
    if (!res.headersSent) {
      res.setHeader('x-gateway-route', route ?? `${provider}/${model}`)
      res.setHeader('x-gateway-provider', provider)
      res.setHeader('x-gateway-model', model)
      res.setHeader('x-gateway-attempts', String(attempts))
    }
  }

  /** The answer's text, for the audit record (streams record what was streamed). */
  answered(text: string | null): void {
    this.record.content.response = text
  }

  /** Puts the headers plugins asked for (`ctx.responseHeaders`) on the response; call before the first byte. */
  sendPluginHeaders(): void {
    if (this.#res.headersSent) return
    for (const [name, value] of Object.entries(this.ctx.responseHeaders)) this.#res.setHeader(name, value)
  }

  /** Bills a direct answer as if `provider`/`model` had served it with this usage. */
  chargeAs({ provider, model, usage }: { provider: string; model: string; usage: Usage }): void {
    this.#target = { provider, providerType: this.runtime.routes.provider(provider).type, model }
    this.record.usage = usage
  }

  /** Holds the request's budget reservation and limits until the exchange settles them at its end. */
  admitted(admission: Admission): void {
    this.#admission = admission
  }

  usage(usage: Usage | null | undefined): void {
    if (usage) this.record.usage = usage
  }

  /** Text streamed to the client, counted for billing when the upstream reports no usage. */
  streamed(text: string): void {
    this.#streamedText += text
  }

  /** A stream chunk went out: measures time to first token and the gaps between chunks. */
  chunkSent(): void {
    const now = performance.now()
    if (this.#lastChunkAt === null) this.record.ttftMs = Math.round(now - this.#started)
    else this.runtime.metrics.interChunkSeconds.observe((now - this.#lastChunkAt) / 1000)
    this.#lastChunkAt = now
  }

  /** Time spent on an upstream attempt or waiting to retry, so the gateway's own time can be told apart. */
  upstreamTime(ms: number): void {
    this.record.upstreamMs += ms
  }

  /**
   * Books the answer's real cost and frees what the request held, before its
   * last bytes go out: a client that sends its next request on receipt must
   * find the budget already settled. Sets `x-gateway-cost-usd` while headers
   * can still be sent. Idempotent; the exchange's end settles whatever was not.
   */
  async settle(): Promise<void> {
    const admission = this.#admission
    if (!admission) return
    const usage = this.#billableUsage()
    this.record.costUsd = admission.costOf(usage, this.#target) / 1e9
    if (!this.#res.headersSent) this.#res.setHeader('x-gateway-cost-usd', this.record.costUsd.toFixed(9))
    await admission.settle(usage, this.#target)
  }

  /** Records a failure; the caller renders it in its surface's format. */
  failed(error: GatewayError): void {
    const { record } = this
    record.status = error.status
    record.error = { type: error.type, code: error.code ?? '', message: error.message }
    const attempts = (error as { attempts?: number }).attempts
    if (attempts) record.attempts = attempts
  }

  /** The upstream's usage, or, for a stream it never reported, the prompt plus what was streamed. */
  #billableUsage(): Usage | null {
    const { record } = this
    if (record.usage || !this.#target || !this.#admission) return record.usage
    const completion = countTextTokens(this.#streamedText)
    const prompt = this.#admission.promptTokens
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  }

  /** The response is done (or the client left): settle, measure, log, and run the plugins' onComplete. */
  #closed(logger: Logger, release: () => void): void {
    const { record, runtime, ctx } = this
    const res = this.#res
    const complete = res.writableFinished
    if (!complete) this.#abort.abort(new Error('client closed the connection'))
    record.status = complete ? record.status || res.statusCode : CLIENT_CLOSED
    record.durationMs = Math.round(performance.now() - this.#started)
    void this.settle().then(() => recordMetrics(runtime, record, this.#billableUsage()))
    this.trace?.end(record, runtime.routes)
    if (record.stream && record.content.response === null && this.#streamedText)
      record.content.response = this.#streamedText
    const level = record.status >= 500 ? 'error' : record.status >= 400 ? 'warn' : 'info'
    if (logger.isLevelEnabled(level)) {
      const { tags, verdicts, content: _content, requestId: _id, ...fields } = record
      ctx.logger[level](
        {
          ...fields,
          tags: Object.keys(tags).length > 0 ? tags : undefined,
          verdicts: Object.keys(verdicts).length > 0 ? verdicts : undefined,
        },
        'request',
      )
    }
    void runtime.plugins.runComplete(record, ctx).finally(release)
  }
}

export interface SurfaceDeps {
  holder: RuntimeHolder
  logger: Logger
  scrub: (text: string) => string
}

export interface SurfaceHandler<Body extends RequestContext['body']> {
  surface: RequestContext['surface']
  endpoint: RequestContext['endpoint']
  /** Validates the body and translates it to the canonical request; path parameters come from `req`. */
  parse: (body: unknown, req: Request) => Body
  serve: (exchange: Exchange, res: Response) => Promise<void>
  /** Renders a failure in the surface's format. */
  sendError: (res: Response, error: GatewayError) => void
}

/**
 * The frame every data-plane handler shares: authenticate, parse and
 * validate the body, open the exchange, serve, and render any failure in the
 * surface's format.
 */
export function exchangeHandler<Body extends RequestContext['body']>(
  deps: SurfaceDeps,
  { surface, endpoint, parse, serve, sendError }: SurfaceHandler<Body>,
) {
  return async (req: Request, res: Response): Promise<void> => {
    let exchange: Exchange | undefined
    try {
      exchange = new Exchange(req, res, deps, surface, endpoint)
      const { ctx, record, runtime } = exchange
      // Who is calling comes before what they sent: an unauthenticated caller learns nothing about the API.
      const principal = runtime.governor.authenticate(ctx.headers)
      Object.assign(ctx.caller, {
        key: principal.key,
        team: principal.team,
        org: principal.org,
        metadata: principal.metadata,
      })
      Object.assign(record, { key: principal.key, team: principal.team })
      exchange.principal = principal
      Object.assign(ctx.metadata, clientMetadata(ctx.headers['x-gateway-metadata']))
      ctx.body = parse(ctx.body, req)
      record.stream = (ctx.body as { stream?: unknown }).stream === true
      await serve(exchange, res)
    } catch (error) {
      if (exchange?.signal.aborted) return
      const clientError = asGatewayError(error, exchange?.ctx.logger ?? deps.logger)
      exchange?.failed(clientError)
      await exchange?.settle()
      sendError(res, clientError)
    }
  }
}

/** Governance refusals worth their own counter: which limit said no. */
const GOVERNANCE_CODES = new Set([
  'invalid_api_key',
  'key_expired',
  'key_disabled',
  'model_not_allowed',
  'rate_limit_exceeded',
  'budget_exceeded',
  'governance_unavailable',
])

function recordMetrics(runtime: Runtime, record: CompletionRecord, usage: Usage | null): void {
  const { metrics, routes } = runtime
  metrics.inFlight.dec()
  const model = record.provider && record.model ? routes.modelLabel(record.provider, record.model) : ''
  const route = record.route ?? (record.provider ? 'direct' : '')
  metrics.requests.inc({
    surface: record.surface,
    endpoint: record.endpoint,
    route,
    provider: record.provider ?? '',
    model,
    status: String(record.status),
  })
  metrics.requestSeconds.observe(
    { endpoint: record.endpoint, route, stream: String(record.stream) },
    record.durationMs / 1000,
  )
  if (record.error && GOVERNANCE_CODES.has(record.error.code))
    metrics.governanceRejections.inc({ reason: record.error.code })
  if (record.ttftMs !== null) metrics.ttftSeconds.observe({ route }, record.ttftMs / 1000)
  if (record.provider) {
    // The gateway's own time: until the answer (or, for a stream, its first chunk) minus time spent on upstreams.
    const until = record.ttftMs ?? record.durationMs
    metrics.overheadSeconds.observe(
      { endpoint: record.endpoint, stream: String(record.stream) },
      Math.max(0, until - record.upstreamMs) / 1000,
    )
  }
  if (!record.provider || !usage) return
  const { provider } = record
  metrics.tokens.inc({ provider, model, kind: 'prompt' }, usage.prompt_tokens)
  metrics.tokens.inc({ provider, model, kind: 'completion' }, usage.completion_tokens)
  const cached = usage.prompt_tokens_details?.cached_tokens
  if (cached) metrics.tokens.inc({ provider, model, kind: 'cached' }, cached)
  if (record.costUsd) metrics.costUsd.inc({ provider, model }, record.costUsd)
}

/** `x-gateway-metadata: {"feature":"search"}`: string values only, so logs and rules can rely on it. */
function clientMetadata(header: string | string[] | undefined): Record<string, string> {
  if (typeof header !== 'string') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(header)
  } catch {
    parsed = undefined
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_metadata',
      param: 'x-gateway-metadata',
      message: 'The x-gateway-metadata header must be a JSON object of string values.',
    })
  }
  return parsed as Record<string, string>
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
