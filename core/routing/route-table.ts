/**
 * Routes compiled for lookup: a request's `model` is a route name, or
 * "provider/model" for a direct call to one provider. Each compiled route
 * carries its whole policy (strategy, conditions, retries, which failures
 * fall back, timeouts, allowed overrides), with defaults filled in.
 */
import { didYouMean } from '../config/problems.js'
import type { RouteConfig, RouteStrategy } from '../config/schema.js'
import { notFound } from '../errors.js'
import { type CompiledExpression, compileExpression } from '../policy/condition.js'
import type { ProviderAdapter } from '../providers/provider.js'
import type { UpstreamErrorClass } from '../providers/upstream-error.js'
import { parseTargetRef } from './target-ref.js'

export type CompiledTarget = ({ kind: 'route'; route: string } | { kind: 'model'; provider: string; model: string }) & {
  weight: number
  /** Conditional routes: the JSONata condition, compiled once. Absent: a default target. */
  when?: CompiledExpression
}

export interface RetryPolicy {
  /** Tries per target, the first included. */
  attempts: number
  initialDelayMs: number
  maxDelayMs: number
  on: ReadonlySet<UpstreamErrorClass>
}

export interface CompiledRoute {
  /** Null for a direct "provider/model" request. */
  readonly name: string | null
  readonly strategy: RouteStrategy
  readonly targets: readonly CompiledTarget[]
  readonly retry: RetryPolicy
  readonly fallbackOn: ReadonlySet<UpstreamErrorClass>
  readonly timeouts: { attemptMs?: number; firstTokenMs?: number; totalMs?: number }
  readonly overrides: { target: boolean; noFallback: boolean }
  /** Where a prompt too long for the target goes, when the route names a place. */
  readonly onContextLength: CompiledTarget | null
}

/** Failures worth another try at the same target: transient by nature. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 2,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  on: new Set<UpstreamErrorClass>(['rate_limited', 'overloaded', 'server_error', 'timeout', 'connection']),
})

/**
 * Failures another target may not have. Never the request's own faults
 * (bad_request, content_filter): another target would refuse it too. A too
 * long prompt goes to `onContextLength`, not down the list.
 */
export const DEFAULT_FALLBACK_ON: ReadonlySet<UpstreamErrorClass> = new Set<UpstreamErrorClass>([
  'rate_limited',
  'overloaded',
  'server_error',
  'auth',
  'not_found',
  'timeout',
  'connection',
])

export class RouteTable {
  readonly #routes: ReadonlyMap<string, CompiledRoute>
  readonly #providers: ReadonlyMap<string, ProviderAdapter>
  /** Every "provider/model" the config names: the models that may appear as metric labels. */
  readonly #configured: ReadonlySet<string>

  constructor(routes: Record<string, RouteConfig>, providers: ReadonlyMap<string, ProviderAdapter>) {
    this.#providers = providers
    const names = new Set(Object.keys(routes))
    this.#routes = new Map(
      Object.entries(routes).map(([name, route]) => [name, compileRoute(name, route, names, providers)]),
    )
    this.#configured = new Set([
      ...this.modelNames().filter((name) => !this.#routes.has(name)),
      ...[...this.#routes.values()].flatMap((route) => this.targetsOf(route).map((t) => `${t.provider}/${t.model}`)),
    ])
  }

  /** The model as a metric label: itself when the config names it, else `other` (clients may send anything). */
  modelLabel(provider: string, model: string): string {
    return this.#configured.has(`${provider}/${model}`) ? model : 'other'
  }

  get(name: string): CompiledRoute | undefined {
    return this.#routes.get(name)
  }

  provider(name: string): ProviderAdapter {
    const provider = this.#providers.get(name)
    if (!provider) throw new Error(`unknown provider '${name}' in a compiled route`)
    return provider
  }

  /** The route a request's `model` names; unknown models are a 404 the client can act on. */
  resolve(model: string): CompiledRoute {
    const route = this.#routes.get(model)
    if (route) return route
    const ref = parseTargetRef(model, this.#routes, this.#providers)
    if (ref.kind === 'model') return directRoute(ref.provider, ref.model)
    const hint = didYouMean(model, this.modelNames())
    throw notFound(
      `The model '${model}' does not exist on this gateway${hint ? ` (${hint})` : ''}. Use a route name or "provider/model"; GET /v1/models lists them.`,
      'model_not_found',
      'model',
    )
  }

  /** Every target the route could ever use, whatever the strategy picks: for worst-case reservations. */
  targetsOf(route: CompiledRoute, seen = new Set<string>()): Array<{ provider: string; model: string }> {
    const all = route.onContextLength ? [...route.targets, route.onContextLength] : route.targets
    return all.flatMap((target) => {
      if (target.kind === 'model') return [{ provider: target.provider, model: target.model }]
      const nested = this.#routes.get(target.route)
      if (!nested || seen.has(target.route)) return []
      seen.add(target.route)
      return this.targetsOf(nested, seen)
    })
  }

  /** Route names first, then each provider's declared models as "provider/model". */
  modelNames(): string[] {
    const direct = [...this.#providers.values()].flatMap((p) => p.models.map((m) => `${p.name}/${m}`))
    return [...this.#routes.keys(), ...direct]
  }
}

/** A request naming "provider/model" directly: that target, with the default retries and no fallback. */
export function directRoute(provider: string, model: string): CompiledRoute {
  return {
    name: null,
    strategy: 'single',
    targets: [{ kind: 'model', provider, model, weight: 1 }],
    retry: DEFAULT_RETRY,
    fallbackOn: DEFAULT_FALLBACK_ON,
    timeouts: {},
    overrides: { target: false, noFallback: false },
    onContextLength: null,
  }
}

function compileRoute(
  name: string,
  route: RouteConfig,
  routes: ReadonlySet<string>,
  providers: ReadonlyMap<string, unknown>,
): CompiledRoute {
  const retry = route.retry ?? {}
  return Object.freeze({
    name,
    strategy: route.strategy ?? 'fallback',
    targets: Object.freeze(route.targets.map((target) => compileTarget(target, routes, providers))),
    retry: {
      attempts: retry.attempts ?? DEFAULT_RETRY.attempts,
      initialDelayMs: retry.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs,
      maxDelayMs: retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
      on: retry.on ? new Set(retry.on) : DEFAULT_RETRY.on,
    },
    fallbackOn: route.fallbackOn ? new Set(route.fallbackOn) : DEFAULT_FALLBACK_ON,
    timeouts: route.timeouts ?? {},
    overrides: { target: route.overrides?.target === true, noFallback: route.overrides?.noFallback === true },
    onContextLength: route.onContextLength ? compileTarget(route.onContextLength, routes, providers) : null,
  })
}

function compileTarget(
  target: RouteConfig['targets'][number],
  routes: ReadonlySet<string>,
  providers: ReadonlyMap<string, unknown>,
): CompiledTarget {
  const { to, weight, when } =
    typeof target === 'string' ? { to: target, weight: 1, when: undefined } : { ...target, weight: target.weight ?? 1 }
  const ref = parseTargetRef(to, routes, providers)
  const condition = when === undefined ? {} : { when: compileExpression(when) }
  if (ref.kind === 'route') return { kind: 'route', route: ref.route, weight, ...condition }
  if (ref.kind === 'model') return { kind: 'model', provider: ref.provider, model: ref.model, weight, ...condition }
  throw new Error(`target '${to}' does not resolve (validation should have caught this)`)
}
