/**
 * Routes compiled for lookup: a request's `model` is a route name, or
 * "provider/model" for a direct call to one provider.
 */

import { didYouMean } from '../config/problems.js'
import type { RouteConfig, RouteStrategy } from '../config/schema.js'
import { notFound } from '../errors.js'
import type { ProviderAdapter } from '../providers/provider.js'
import { parseTargetRef } from './target-ref.js'

export type CompiledTarget =
  | { kind: 'route'; route: string; weight: number }
  | { kind: 'model'; provider: string; model: string; weight: number }

export interface CompiledRoute {
  /** Null for a direct "provider/model" request. */
  readonly name: string | null
  readonly strategy: RouteStrategy
  readonly targets: readonly CompiledTarget[]
}

export class RouteTable {
  readonly #routes: ReadonlyMap<string, CompiledRoute>
  readonly #providers: ReadonlyMap<string, ProviderAdapter>

  constructor(routes: Record<string, RouteConfig>, providers: ReadonlyMap<string, ProviderAdapter>) {
    this.#providers = providers
    const names = new Set(Object.keys(routes))
    this.#routes = new Map(
      Object.entries(routes).map(([name, route]) => [
        name,
        Object.freeze({
          name,
          strategy: route.strategy ?? 'fallback',
          targets: Object.freeze(route.targets.map((target) => compileTarget(target, names, providers))),
        }),
      ]),
    )
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
    if (ref.kind === 'model') {
      return {
        name: null,
        strategy: 'single',
        targets: [{ kind: 'model', provider: ref.provider, model: ref.model, weight: 1 }],
      }
    }
    const hint = didYouMean(model, this.modelNames())
    throw notFound(
      `The model '${model}' does not exist on this gateway${hint ? ` (${hint})` : ''}. Use a route name or "provider/model"; GET /v1/models lists them.`,
      'model_not_found',
      'model',
    )
  }

  /** Every target the route could ever use, whatever the strategy picks: for worst-case reservations. */
  targetsOf(route: CompiledRoute, seen = new Set<string>()): Array<{ provider: string; model: string }> {
    return route.targets.flatMap((target) => {
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

function compileTarget(
  target: RouteConfig['targets'][number],
  routes: ReadonlySet<string>,
  providers: ReadonlyMap<string, unknown>,
): CompiledTarget {
  const { to, weight } =
    typeof target === 'string' ? { to: target, weight: 1 } : { to: target.to, weight: target.weight ?? 1 }
  const ref = parseTargetRef(to, routes, providers)
  if (ref.kind === 'route') return { kind: 'route', route: ref.route, weight }
  if (ref.kind === 'model') return { kind: 'model', provider: ref.provider, model: ref.model, weight }
  throw new Error(`target '${to}' does not resolve (validation should have caught this)`)
}
