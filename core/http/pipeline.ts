/**
 * The request phase every data-plane surface runs before routing, in the
 * order the design gives: policies, the caller's model allow-list, route
 * resolution, governance (limits and the budget reservation), then the
 * plugins' onRequest, which may still answer directly.
 */
import type { DirectAnswer } from '../plugins/types.js'
import { applyRequestPolicies } from '../policy/evaluate.js'
import type { CompiledRoute } from '../routing/route-table.js'
import type { Exchange } from './exchange.js'

export interface Prepared {
  route: CompiledRoute
  direct: DirectAnswer | undefined
}

export async function prepareRequest(exchange: Exchange): Promise<Prepared> {
  const { runtime, ctx, principal } = exchange
  await applyRequestPolicies(runtime.policies, ctx)
  const { model } = ctx.body
  runtime.governor.authorize(principal, model)
  const route = runtime.routes.resolve(model)
  const candidates = runtime.routes.targetsOf(route).map(({ provider, model }) => ({
    provider,
    providerType: runtime.routes.provider(provider).type,
    model,
  }))
  exchange.admitted(await runtime.governor.admit(principal, ctx.body, candidates))
  return { route, direct: await runtime.plugins.runRequest(ctx) }
}
