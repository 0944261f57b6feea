/**
 * Checks that need the whole config: targets point at declared providers and
 * routes, route nesting has no cycles, names are unique, and per-type rules
 * the schema cannot express. Runs even when the shape has errors, so it reads
 * the config defensively.
 */
import jsonata from 'jsonata'
import { OPENAI_FAMILY_PRESETS } from '../providers/openai/presets.js'
import { parseTargetRef } from '../routing/target-ref.js'
import { asArray, asRecord, type Loose } from './loose.js'
import { type ConfigProblem, didYouMean, pointer } from './problems.js'

export function checkCrossReferences(config: unknown): ConfigProblem[] {
  const root = asRecord(config)
  const providers = asRecord(root.providers)
  const routes = asRecord(root.routes)
  return [
    ...checkProviders(providers),
    ...checkRouteTargets(routes, providers),
    ...checkRouteCycles(routes, providers),
    ...checkUniqueNames(asArray(root.policies), '/policies', 'policy'),
  ]
}

function checkProviders(providers: Loose): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  for (const [name, raw] of Object.entries(providers)) {
    const provider = asRecord(raw)
    const preset = OPENAI_FAMILY_PRESETS[provider.type as keyof typeof OPENAI_FAMILY_PRESETS]
    if (preset && !('baseUrl' in preset) && provider.baseUrl === undefined) {
      problems.push({
        path: pointer('providers', name, 'baseUrl'),
        message: `is required for type '${String(provider.type)}'`,
        hint: "the server's OpenAI-compatible base URL, e.g. 'http://127.0.0.1:8000/v1'",
      })
    }
  }
  return problems
}

/** Every place a route names another route or a provider: its targets and its `onContextLength`. */
function targetRefsOf(route: unknown): Array<{ ref: string; path: string[] }> {
  const { targets, onContextLength } = asRecord(route)
  const refs = asArray(targets).flatMap((target, i) => {
    if (typeof target === 'string') return [{ ref: target, path: ['targets', String(i)] }]
    const to = asRecord(target).to
    return typeof to === 'string' ? [{ ref: to, path: ['targets', String(i), 'to'] }] : []
  })
  return typeof onContextLength === 'string' ? [...refs, { ref: onContextLength, path: ['onContextLength'] }] : refs
}

/** Conditions: only conditional routes have them, and each must compile. */
function checkConditions(name: string, route: Loose): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  asArray(route.targets).forEach((target, i) => {
    const when = asRecord(target).when
    if (typeof when !== 'string') return
    const at = pointer('routes', name, 'targets', i, 'when')
    if (route.strategy !== 'conditional') {
      problems.push({
        path: at,
        message: `only conditional routes use 'when' (this route is '${String(route.strategy ?? 'fallback')}')`,
        hint: "set strategy: 'conditional', or remove the condition",
      })
      return
    }
    try {
      jsonata(when)
    } catch (error) {
      const { message, position } = error as { message: string; position?: number }
      problems.push({
        path: at,
        message: `JSONata does not compile: ${message}${position === undefined ? '' : ` (at character ${position})`}`,
        hint: 'conditions see { body, caller, metadata, headers, time }',
      })
    }
  })
  return problems
}

function checkRouteTargets(routes: Loose, providers: Loose): ConfigProblem[] {
  const routeNames = new Set(Object.keys(routes))
  const providerNames = new Set(Object.keys(providers))
  const problems: ConfigProblem[] = []
  for (const [name, route] of Object.entries(routes)) {
    const { strategy, targets } = asRecord(route)
    problems.push(...checkConditions(name, asRecord(route)))
    if (strategy === 'single' && asArray(targets).length > 1) {
      problems.push({
        path: pointer('routes', name, 'strategy'),
        message: `'single' uses only the first of ${asArray(targets).length} targets`,
        hint: "use 'fallback' to try the others in order, or remove them",
      })
    }
    for (const { ref, path } of targetRefsOf(route)) {
      const at = pointer('routes', name, ...path)
      const parsed = parseTargetRef(ref, routeNames, providerNames)
      if (parsed.kind === 'unknown-provider') {
        problems.push({
          path: at,
          message: `unknown provider '${parsed.provider}' in target '${ref}'`,
          hint: didYouMean(parsed.provider, providerNames) ?? `declared providers: ${[...providerNames].join(', ')}`,
        })
      } else if (parsed.kind === 'unknown') {
        problems.push({
          path: at,
          message: `'${ref}' is neither a route nor "provider/model"`,
          hint: didYouMean(ref, routeNames) ?? 'write "provider/model", e.g. "openai/gpt-4o", or the name of a route',
        })
      } else if (parsed.kind === 'model') {
        const provider = asRecord(providers[parsed.provider])
        if (provider.type === 'mock') {
          const served = asArray(provider.models ?? ['demo']).map(String)
          if (!served.includes(parsed.model)) {
            problems.push({
              path: at,
              message: `mock provider '${parsed.provider}' does not serve model '${parsed.model}'`,
              hint: didYouMean(parsed.model, served) ?? `add it to /providers/${parsed.provider}/models`,
            })
          }
        }
      }
    }
  }
  return problems
}

/** A route may target another route; following those edges must never come back. */
function checkRouteCycles(routes: Loose, providers: Loose): ConfigProblem[] {
  const routeNames = new Set(Object.keys(routes))
  const providerNames = new Set(Object.keys(providers))
  const edges = new Map<string, string[]>()
  for (const [name, route] of Object.entries(routes)) {
    edges.set(
      name,
      targetRefsOf(route)
        .map(({ ref }) => parseTargetRef(ref, routeNames, providerNames))
        .flatMap((t) => (t.kind === 'route' ? [t.route] : [])),
    )
  }
  const problems: ConfigProblem[] = []
  const reported = new Set<string>()
  const done = new Set<string>()
  const visit = (name: string, trail: string[]) => {
    if (done.has(name)) return
    const loopStart = trail.indexOf(name)
    if (loopStart >= 0) {
      const cycle = [...trail.slice(loopStart), name]
      const key = [...cycle.slice(0, -1)].sort().join('\0')
      if (!reported.has(key)) {
        reported.add(key)
        problems.push({
          path: pointer('routes', name),
          message: `route cycle: ${cycle.join(' -> ')}`,
          hint: 'a route may target another route only if that never leads back to itself',
        })
      }
      return
    }
    for (const next of edges.get(name) ?? []) visit(next, [...trail, name])
    done.add(name)
  }
  for (const name of edges.keys()) visit(name, [])
  return problems
}

export function checkUniqueNames(entries: unknown[], base: string, what: string): ConfigProblem[] {
  const firstAt = new Map<string, number>()
  const problems: ConfigProblem[] = []
  entries.forEach((entry, i) => {
    const name = asRecord(entry).name
    if (typeof name !== 'string') return
    const first = firstAt.get(name)
    if (first === undefined) firstAt.set(name, i)
    else
      problems.push({
        path: `${base}/${i}/name`,
        message: `duplicate ${what} name '${name}' (first used at ${base}/${first})`,
        hint: `give each ${what} its own name`,
      })
  })
  return problems
}
