/**
 * A level's model allow-list: route names and "provider/model" names, with
 * "provider/*" for all of a provider's models and "*" for everything.
 */
export type ModelMatcher = (model: string) => boolean

export function compileModelMatcher(patterns: readonly string[]): ModelMatcher {
  if (patterns.includes('*')) return () => true
  const exact = new Set(patterns.filter((p) => !p.endsWith('/*')))
  const prefixes = patterns.filter((p) => p.endsWith('/*')).map((p) => p.slice(0, -1))
  return (model) => exact.has(model) || prefixes.some((prefix) => model.startsWith(prefix))
}
