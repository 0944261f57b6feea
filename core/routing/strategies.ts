/**
 * The order in which a route's targets are tried. Nested routes expand in
 * place, so a fallback over a weighted route tries one weighted pick and then
 * moves on to the fallback's next target.
 */
import type { CompiledRoute, CompiledTarget, RouteTable } from './route-table.js'
import { pickWeighted } from './weighted-pick.js'

export interface ModelTarget {
  provider: string
  model: string
}

/** What strategies may consult besides the route itself. */
export interface StrategyContext {
  table: RouteTable
  /** Recent average latency of `provider/model`, if measured. */
  latency(target: string): number | undefined
  /** Comparable price of `provider/model` (USD per Mtok, input + output), if known. */
  price(target: string): number | undefined
  /** The input conditional routes evaluate their `when` over. */
  conditionInput(): Record<string, unknown>
  random(): number
}

/** Chance that least-latency tries a random target first, so a target that was slow once gets measured again. */
export const EXPLORATION_RATE = 0.1

/**
 * Every target to try, in order. Worked out whole before the first attempt
 * (a list, not a lazy generator: an async generator costs several promise
 * turns per target on every request, and nested strategies are cheap to
 * decide up front).
 */
export async function candidates(
  route: CompiledRoute,
  context: StrategyContext,
  visiting: ReadonlySet<string> = new Set(),
): Promise<ModelTarget[]> {
  const out: ModelTarget[] = []
  for (const target of await ordered(route, context)) {
    if (target.kind === 'model') {
      out.push({ provider: target.provider, model: target.model })
      continue
    }
    const nested = context.table.get(target.route)
    if (nested && !visiting.has(target.route)) {
      out.push(...(await candidates(nested, context, new Set([...visiting, target.route]))))
    }
  }
  return out
}

async function ordered(route: CompiledRoute, context: StrategyContext): Promise<readonly CompiledTarget[]> {
  switch (route.strategy) {
    case 'single':
      return route.targets.slice(0, 1)
    case 'fallback':
      return route.targets
    case 'weighted':
      return [pickWeighted(route.targets, context.random)]
    case 'conditional':
      return firstMatching(route.targets, context.conditionInput())
    case 'least-latency':
      return byLatency(route.targets, context)
    case 'cheapest':
      return sortBy(route.targets, (t) => (t.kind === 'model' ? context.price(`${t.provider}/${t.model}`) : undefined))
  }
}

/** The first target whose condition holds; a target without `when` is the default where it stands. */
async function firstMatching(
  targets: readonly CompiledTarget[],
  input: Record<string, unknown>,
): Promise<CompiledTarget[]> {
  for (const target of targets) {
    if (!target.when || (await target.when.evaluate(input))) return [target]
  }
  return []
}

/** Unmeasured targets first (they need a measurement), then fastest first; sometimes a random one leads. */
function byLatency(targets: readonly CompiledTarget[], context: StrategyContext): CompiledTarget[] {
  const sorted = sortBy(targets, (t) =>
    t.kind === 'model' ? (context.latency(`${t.provider}/${t.model}`) ?? -1) : undefined,
  )
  if (sorted.length > 1 && context.random() < EXPLORATION_RATE) {
    const [explored] = sorted.splice(Math.floor(context.random() * sorted.length), 1)
    sorted.unshift(explored as CompiledTarget)
  }
  return sorted
}

/** Ascending by key; targets without a key keep their order, after the others. */
function sortBy(
  targets: readonly CompiledTarget[],
  key: (target: CompiledTarget) => number | undefined,
): CompiledTarget[] {
  return targets
    .map((target, index) => ({ target, index, key: key(target) }))
    .sort((a, b) => (a.key ?? Number.POSITIVE_INFINITY) - (b.key ?? Number.POSITIVE_INFINITY) || a.index - b.index)
    .map(({ target }) => target)
}
