import type { PluginDefinition, PluginFactory, PluginInstance } from './types.js'

/**
 * Declares a plugin. The result is called with options in a config
 * (`plugins: [myPlugin({ ... })]`) and is also what a plugin package
 * default-exports for `{ use: 'my-plugin', options }` references.
 */
export function definePlugin<Options = Record<string, unknown>>(
  definition: PluginDefinition<Options>,
): PluginFactory<Options> {
  const factory = (options?: Options): PluginInstance<Options> => ({
    plugin: definition,
    options: (options ?? {}) as Options,
  })
  return Object.assign(factory, { definition })
}

/** Accepts a factory, a definition, or a module namespace whose default export is one of them. */
export function toPluginDefinition(value: unknown): PluginDefinition | null {
  const candidate = (value as { default?: unknown })?.default ?? value
  if (typeof candidate === 'function' && 'definition' in candidate) {
    return (candidate as PluginFactory).definition as PluginDefinition
  }
  if (isPluginDefinition(candidate)) return candidate
  return null
}

function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PluginDefinition).name === 'string' &&
    typeof (value as PluginDefinition).setup === 'function'
  )
}
