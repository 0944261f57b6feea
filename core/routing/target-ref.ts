/**
 * How a target string is read: the name of a route, or "provider/model" where
 * the model may itself contain "/" (e.g. "openrouter/anthropic/claude-sonnet-4").
 */
export type TargetRef =
  | { kind: 'route'; route: string }
  | { kind: 'model'; provider: string; model: string }
  | { kind: 'unknown-provider'; provider: string; model: string }
  | { kind: 'unknown'; name: string }

export function parseTargetRef(
  ref: string,
  routes: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  providers: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): TargetRef {
  if (routes.has(ref)) return { kind: 'route', route: ref }
  const slash = ref.indexOf('/')
  if (slash <= 0 || slash === ref.length - 1) return { kind: 'unknown', name: ref }
  const provider = ref.slice(0, slash)
  const model = ref.slice(slash + 1)
  return providers.has(provider) ? { kind: 'model', provider, model } : { kind: 'unknown-provider', provider, model }
}
