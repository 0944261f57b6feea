/**
 * OpenTelemetry tracing, off unless the config sets `telemetry.tracing`.
 *
 * The tracer provider belongs to the process (like the governance store): it
 * is created from the first config that enables tracing, and a later change
 * of its settings takes effect at the next restart. It is never registered
 * globally, so several gateways in one process (tests) keep their own, and no
 * context manager is involved: parents are passed explicitly.
 *
 * Spans, following the GenAI semantic conventions:
 * - one SERVER span per data-plane request, named `chat <route>` /
 *   `embeddings <route>`, a child of the caller's span when the request
 *   carries a W3C `traceparent`;
 * - one CLIENT span per upstream attempt, a child of the request's, named
 *   `chat <model>`, whose `traceparent` goes upstream with the call.
 * Attributes carry names and numbers only: key and team names, never key
 * values, prompts or answers, and never upstream error text.
 *
 * This module is loaded only when a config enables tracing (the SDK costs
 * ~100 ms to import); with tracing off a request creates no span, context or
 * carrier, and the hot path meets only `exchange.trace?.…` on `undefined`.
 */
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions'
import type { Logger } from 'pino'
import type { ChatChunk, Usage } from '../canonical/chat.js'
import type { Resolved } from '../config/resolve-env.js'
import type { TracingConfig } from '../config/schema.js'
import type { CompletionRecord, RequestContext } from '../plugins/types.js'
import type { ProviderAdapter } from '../providers/provider.js'
import type { UpstreamError } from '../providers/upstream-error.js'
import type { AttemptOutcome } from '../routing/execute.js'
import type { RouteTable } from '../routing/route-table.js'

/** GenAI attribute names: still "incubating" in semantic-conventions, so spelled out here as OTel advises. */
const GEN_AI_OPERATION = 'gen_ai.operation.name'
const GEN_AI_SYSTEM = 'gen_ai.system'
const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model'
const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens'
const GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature'
const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model'
const GEN_AI_RESPONSE_ID = 'gen_ai.response.id'
const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons'
const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens'
const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens'

export const DEFAULT_SERVICE_NAME = 'llm-gateway'
/** How often queued spans are sent (the OTel default); shutdown sends what is left. */
const EXPORT_DELAY_MS = 5000
/** At most one "export failed" warning per this long: a collector that is down must not flood the log. */
const EXPORT_FAILURE_REPORT_MS = 60_000

const propagator = new W3CTraceContextPropagator()

/** The process's tracer provider and exporter. */
export class Tracing {
  readonly #provider: BasicTracerProvider
  readonly #tracer: Tracer

  constructor(settings: Resolved<TracingConfig>, logger: Logger) {
    const ratio = settings.sampleRatio ?? 1
    this.#provider = new BasicTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName ?? DEFAULT_SERVICE_NAME }),
      ),
      // A caller's sampling decision stands for its trace; the ratio decides for traces that start here.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
      spanProcessors: [
        new BatchSpanProcessor(
          new ReportingExporter(new OTLPTraceExporter({ url: settings.endpoint, headers: settings.headers }), logger),
          { scheduledDelayMillis: EXPORT_DELAY_MS },
        ),
      ],
    })
    this.#tracer = this.#provider.getTracer('llm-gateway')
    logger.info({ serviceName: settings.serviceName ?? DEFAULT_SERVICE_NAME, sampleRatio: ratio }, 'tracing on')
  }

  /** The request's server span, a child of the caller's span when it sent a `traceparent`. */
  startRequest(ctx: RequestContext): RequestTrace {
    return new RequestTrace(this.#tracer, ctx)
  }

  /** Sends what is queued and stops. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown()
  }
}

interface OpenAttempt {
  span: Span
  /** What a stream told about its answer so far. */
  responseId?: string
  responseModel?: string
  finishReasons?: string[]
  usage?: Usage
}

/** The spans of one data-plane request. Attempts run one after another, so one is open at a time. */
export class RequestTrace {
  readonly #tracer: Tracer
  readonly #ctx: RequestContext
  readonly #span: Span
  readonly #context: Context
  /** The attempt in progress, or the served stream's until the stream ends. */
  #attempt: OpenAttempt | undefined
  #responseModel: string | undefined

  constructor(tracer: Tracer, ctx: RequestContext) {
    this.#tracer = tracer
    this.#ctx = ctx
    const parent = propagator.extract(ROOT_CONTEXT, ctx.headers, defaultTextMapGetter)
    this.#span = tracer.startSpan(
      ctx.endpoint,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [GEN_AI_OPERATION]: ctx.endpoint,
          [ATTR_HTTP_REQUEST_METHOD]: 'POST',
          'gateway.request_id': ctx.requestId,
        },
      },
      parent,
    )
    this.#context = trace.setSpan(parent, this.#span)
  }

  /** Opens the span of an upstream attempt; returns the `traceparent` to send with it. */
  startAttempt(provider: ProviderAdapter, model: string, attempt: number): string | undefined {
    if (this.#attempt) this.#endAttempt(this.#attempt, 'abandoned')
    const body = this.#ctx.body as { max_tokens?: unknown; max_completion_tokens?: unknown; temperature?: unknown }
    const attributes: Attributes = {
      [GEN_AI_OPERATION]: this.#ctx.endpoint,
      [GEN_AI_SYSTEM]: provider.type,
      [GEN_AI_REQUEST_MODEL]: model,
      'gateway.provider': provider.name,
      'gateway.attempt': attempt,
    }
    if (this.#ctx.route) attributes['gateway.route'] = this.#ctx.route
    const maxTokens = body.max_completion_tokens ?? body.max_tokens
    if (typeof maxTokens === 'number') attributes[GEN_AI_REQUEST_MAX_TOKENS] = maxTokens
    if (typeof body.temperature === 'number') attributes[GEN_AI_REQUEST_TEMPERATURE] = body.temperature
    if (provider.server) {
      attributes[ATTR_SERVER_ADDRESS] = provider.server.address
      attributes[ATTR_SERVER_PORT] = provider.server.port
    }
    const span = this.#tracer.startSpan(
      `${this.#ctx.endpoint} ${model}`,
      { kind: SpanKind.CLIENT, attributes },
      this.#context,
    )
    this.#attempt = { span }
    const carrier: Record<string, string> = {}
    propagator.inject(trace.setSpan(this.#context, span), carrier, defaultTextMapSetter)
    return carrier.traceparent
  }

  /** A complete answer (not a stream): its model, id, finish reasons and usage; ends the attempt. */
  answered(answer: {
    id?: string
    model?: string
    usage?: { prompt_tokens?: number; completion_tokens?: number } | null
    choices?: ReadonlyArray<{ finish_reason?: string | null }>
  }): void {
    const open = this.#attempt
    if (!open) return
    open.responseId = answer.id
    open.responseModel = answer.model
    open.finishReasons = answer.choices?.flatMap((c) => (c.finish_reason ? [c.finish_reason] : []))
    this.#endAttempt(open, null, answer.usage)
  }

  /** A streamed chunk of the served attempt: remembered until the stream ends. */
  chunk(chunk: ChatChunk): void {
    const open = this.#attempt
    if (!open) return
    open.responseId ??= chunk.id
    open.responseModel ??= chunk.model
    for (const choice of chunk.choices) {
      if (!choice.finish_reason) continue
      open.finishReasons ??= []
      open.finishReasons.push(choice.finish_reason)
    }
    if (chunk.usage) open.usage = chunk.usage
  }

  /** The attempt failed; `next` says what the router does about it. */
  attemptFailed(error: UpstreamError, next: AttemptOutcome): void {
    const open = this.#attempt
    if (!open) return
    open.span.setAttribute('gateway.next', next)
    if (error.status) open.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.status)
    this.#endAttempt(open, error.errorClass)
  }

  /** A target passed over without a call. */
  skipped(provider: string, model: string, reason: string): void {
    this.#span.addEvent('target skipped', {
      'gateway.provider': provider,
      [GEN_AI_REQUEST_MODEL]: model,
      'gateway.reason': reason,
    })
  }

  /** The response is done: closes the open attempt, if any, and the request span with the record's fields. */
  end(record: CompletionRecord, routes: RouteTable): void {
    const errorType = record.error
      ? record.error.code || record.error.type
      : record.status === 499
        ? 'client_closed'
        : record.status >= 400
          ? String(record.status)
          : null
    if (this.#attempt) this.#endAttempt(this.#attempt, errorType, record.usage)

    const span = this.#span
    const { endpoint } = record
    const target =
      record.route ??
      (record.provider && record.model
        ? `${record.provider}/${routes.modelLabel(record.provider, record.model)}`
        : null)
    if (target) span.updateName(`${endpoint} ${target}`)
    const requested = (this.#ctx.body as { model?: unknown } | undefined)?.model
    const attributes: Attributes = {
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: record.status,
      'gateway.attempts': record.attempts,
      'gateway.stream': record.stream,
    }
    if (typeof requested === 'string') attributes[GEN_AI_REQUEST_MODEL] = requested
    if (this.#responseModel) attributes[GEN_AI_RESPONSE_MODEL] = this.#responseModel
    if (record.route) attributes['gateway.route'] = record.route
    if (record.provider) {
      attributes['gateway.provider'] = record.provider
      attributes[GEN_AI_SYSTEM] = routes.provider(record.provider).type
    }
    if (record.model) attributes['gateway.model'] = record.model
    if (record.key) attributes['gateway.key'] = record.key
    if (record.team) attributes['gateway.team'] = record.team
    if (record.costUsd !== null) attributes['gateway.cost_usd'] = record.costUsd
    if (record.usage) {
      attributes[GEN_AI_USAGE_INPUT_TOKENS] = record.usage.prompt_tokens
      attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = record.usage.completion_tokens
    }
    if (errorType) attributes[ATTR_ERROR_TYPE] = errorType
    span.setAttributes(attributes)
    // HTTP server convention: a 4xx is the caller's doing, not this span's failure (error.type still says what).
    if (record.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType ?? undefined })
    span.end()
  }

  #endAttempt(
    open: OpenAttempt,
    errorType: string | null,
    usage?: { prompt_tokens?: number; completion_tokens?: number } | null,
  ): void {
    const { span } = open
    const spent = open.usage ?? usage
    if (open.responseModel) {
      span.setAttribute(GEN_AI_RESPONSE_MODEL, open.responseModel)
      this.#responseModel = open.responseModel
    }
    if (open.responseId) span.setAttribute(GEN_AI_RESPONSE_ID, open.responseId)
    if (open.finishReasons?.length) span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, open.finishReasons)
    if (typeof spent?.prompt_tokens === 'number') span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, spent.prompt_tokens)
    if (typeof spent?.completion_tokens === 'number')
      span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, spent.completion_tokens)
    if (errorType) {
      span.setAttribute(ATTR_ERROR_TYPE, errorType)
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType })
    }
    span.end()
    this.#attempt = undefined
  }
}

/** The OTLP exporter, telling the gateway's log when spans could not be delivered (OTel's own diag is silent). */
class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter
  readonly #logger: Logger
  #lastReport = Number.NEGATIVE_INFINITY

  constructor(inner: SpanExporter, logger: Logger) {
    this.#inner = inner
    this.#logger = logger
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS && performance.now() - this.#lastReport > EXPORT_FAILURE_REPORT_MS) {
        this.#lastReport = performance.now()
        this.#logger.warn({ spans: spans.length, reason: result.error?.message }, 'trace export failed; spans dropped')
      }
      done(result)
    })
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve()
  }
}
