/**
 * The request phase every data-plane surface runs before routing, in the
 * order the design gives: policies, the caller's model allow-list, route
 * resolution, governance (limits and the budget reservation), then the
 * plugins' onRequest, which may still answer directly.
 */
import { GatewayError } from '../errors.js'
import type { DirectAnswer } from '../plugins/types.js'
import { type PolicyTrace, runPolicies } from '../policy/evaluate.js'
import { requestInput } from '../policy/request-input.js'
import type { AttemptObserver, ExecuteOptions } from '../routing/execute.js'
import type { CompiledRoute } from '../routing/route-table.js'
import type { Exchange } from './exchange.js'

export interface Prepared {
  route: CompiledRoute
  direct: DirectAnswer | undefined
}

/** How this request is routed: the runtime's routing state, strategies' inputs, allowed overrides, logging. */
export function routeOptions(exchange: Exchange, route: CompiledRoute, stream: boolean): ExecuteOptions {
  const { runtime, ctx } = exchange
  const { state, breaker } = runtime.routing
  return {
    signal: exchange.signal,
    state,
    breaker,
    stream,
    targetKey: (provider, model) => `${provider}/${runtime.routes.modelLabel(provider, model)}`,
    strategy: {
      latency: (target) => state.latency.average(target),
      price: (target) => comparablePrice(runtime, target),
      conditionInput: () => requestInput(ctx, new Date()),
      random: Math.random,
    },
    override: requestedOverride(exchange, route),
    observer: attemptObserver(exchange, route),
  }
}

/** Every attempt goes to the log and the metrics (and, with tracing on, to its span). */
function attemptObserver(exchange: Exchange, route: CompiledRoute): AttemptObserver {
  const { ctx, runtime, trace } = exchange
  const { metrics, routes } = runtime
  const routeLabel = route.name ?? 'direct'
  return {
    onServed: ({ provider, model, ms }) => {
      exchange.upstreamTime(ms)
      const label = routes.modelLabel(provider, model)
      metrics.attempts.inc({ provider, model: label, outcome: 'ok' })
      metrics.attemptSeconds.observe({ provider, model: label }, ms / 1000)
    },
    onAttemptFailed: ({ provider, model, error, next, delayMs, ms }) => {
      trace?.attemptFailed(error, next)
      exchange.upstreamTime(ms + delayMs)
      ctx.logger.warn(
        { provider, model, errorClass: error.errorClass, status: error.status, next, delayMs, message: error.message },
        'attempt failed',
      )
      const labels = { provider, model: routes.modelLabel(provider, model) }
      metrics.attempts.inc({ ...labels, outcome: error.errorClass })
      if (next === 'retry') metrics.retries.inc(labels)
      if (next === 'fallback') metrics.fallbacks.inc({ route: routeLabel, from_provider: provider })
    },
    onSkipped: ({ provider, model, reason }) => {
      trace?.skipped(provider, model, reason)
      ctx.logger.info({ provider, model, reason }, 'target skipped')
      metrics.skipped.inc({ provider, model: routes.modelLabel(provider, model) })
    },
  }
}

/** Input plus output price per million tokens: enough to rank targets by cost. */
function comparablePrice(runtime: Exchange['runtime'], target: string): number | undefined {
  const slash = target.indexOf('/')
  const provider = target.slice(0, slash)
  const price = runtime.governor.priceOf({
    provider,
    providerType: runtime.routes.provider(provider).type,
    model: target.slice(slash + 1),
  })
  return price ? price.input + price.output : undefined
}

/**
 * `x-gateway-target: provider/model` and `x-gateway-fallback: off`, when the
 * route allows them. A request for an override the route does not allow is
 * refused rather than silently ignored: the client would misread the answer.
 */
function requestedOverride(exchange: Exchange, route: CompiledRoute): ExecuteOptions['override'] {
  const { headers } = exchange.ctx
  const target = typeof headers['x-gateway-target'] === 'string' ? headers['x-gateway-target'] : undefined
  const noFallback = headers['x-gateway-fallback'] === 'off'
  if (!target && !noFallback) return undefined
  const allowed = target ? route.overrides.target : route.overrides.noFallback
  if (!allowed) {
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'override_not_allowed',
      param: target ? 'x-gateway-target' : 'x-gateway-fallback',
      message: `${route.name ? `Route '${route.name}'` : 'This model'} does not allow the ${target ? 'x-gateway-target' : 'x-gateway-fallback'} override.`,
    })
  }
  if (!target) return { noFallback }
  const known = exchange.runtime.routes.targetsOf(route)
  const chosen = known.find(({ provider, model }) => `${provider}/${model}` === target)
  if (!chosen) {
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'unknown_target',
      param: 'x-gateway-target',
      message: `'${target}' is not a target of route '${route.name}'; its targets are ${known.map((t) => `${t.provider}/${t.model}`).join(', ')}.`,
    })
  }
  return { target: chosen, noFallback }
}

/**
 * Response-phase policies. On a complete answer they may deny (the client
 * gets the rule's error instead), change `response.*` fields or tag; at the
 * end of a stream, whose bytes are already out, they can only tag.
 */
export async function respondPolicies(exchange: Exchange, response: Record<string, unknown> | null): Promise<void> {
  const { runtime, ctx, record } = exchange
  if (!runtime.policies.some((p) => p.phase === 'response')) return
  const input = { ...requestInput(ctx, new Date()), response, usage: record.usage }
  const trace: PolicyTrace[] = []
  try {
    await runPolicies(runtime.policies, 'response', ctx, input, response ? { response } : {}, trace, {
      alreadySent: !response,
    })
  } catch (error) {
    // A rule that failed to evaluate (and was logged): a stream's bytes are out, so there is nothing to refuse.
    if (response) throw error
  } finally {
    countMatches(exchange, 'response', trace)
  }
}

function countMatches(exchange: Exchange, phase: 'request' | 'response', trace: readonly PolicyTrace[]): void {
  for (const entry of trace)
    if (entry.matched) exchange.runtime.metrics.policyMatches.inc({ policy: entry.policy, phase })
}

export async function prepareRequest(exchange: Exchange): Promise<Prepared> {
  const { runtime, ctx, principal } = exchange
  // The policies' input (headers copied, the time formatted) is built only when a rule will read it.
  if (runtime.policies.some((p) => p.phase === 'request')) {
    countMatches(
      exchange,
      'request',
      await runPolicies(runtime.policies, 'request', ctx, requestInput(ctx, new Date()), {
        body: ctx.body as unknown as Record<string, unknown>,
      }),
    )
  }
  const { model } = ctx.body
  runtime.governor.authorize(principal, model)
  const route = runtime.routes.resolve(model)
  ctx.route = route.name
  exchange.record.route = route.name
  const candidates = runtime.routes.targetsOf(route).map(({ provider, model }) => ({
    provider,
    providerType: runtime.routes.provider(provider).type,
    model,
  }))
  exchange.admitted(await runtime.governor.admit(principal, ctx.body, candidates))
  return { route, direct: await runtime.plugins.runRequest(ctx) }
}
