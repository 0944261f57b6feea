/**
 * The order in which a route's targets are tried. Nested routes expand in
 * place, so a fallback over a weighted route tries one weighted pick and then
 * moves on to the fallback's next target.
 */
import type { CompiledRoute, CompiledTarget, RouteTable } from './route-table.js'

export interface ModelTarget {
  provider: string
  model: string
}

export function* candidates(
  route: CompiledRoute,
  table: RouteTable,
  random: () => number = Math.random,
): Generator<ModelTarget> {
  for (const target of ordered(route, random)) {
    if (target.kind === 'model') yield { provider: target.provider, model: target.model }
    else {
      const nested = table.get(target.route)
      if (nested) yield* candidates(nested, table, random)
    }
  }
}

function ordered(route: CompiledRoute, random: () => number): readonly CompiledTarget[] {
  switch (route.strategy) {
    case 'single':
      return route.targets.slice(0, 1)
    case 'fallback':
      return route.targets
    case 'weighted':
      return [pickWeighted(route.targets, random)]
  }
}

function pickWeighted(targets: readonly CompiledTarget[], random: () => number): CompiledTarget {
  const total = targets.reduce((sum, t) => sum + t.weight, 0)
  let point = random() * total
  for (const target of targets) {
    point -= target.weight
    if (point < 0) return target
  }
  return targets[targets.length - 1] as CompiledTarget
}
