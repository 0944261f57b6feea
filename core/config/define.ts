import type { PluginInstance } from '../plugins/types.js'
import type { GatewayConfig, PluginUse } from './schema.js'

/** Where a plugin sits in the chain, added to an imported plugin value: `{ ...secrets(), scope: { ... } }`. */
export type PluginPlacement = Omit<PluginUse, 'use' | 'options'>

/**
 * An imported plugin value in `plugins: [...]`. Each plugin has its own
 * options type (often an interface, which `Record<string, unknown>` would
 * not accept), so the list takes any of them; `gateway check` validates the
 * options against the plugin's schema.
 */
// biome-ignore lint/suspicious/noExplicitAny: the list holds plugins of every options type.
export type PluginValue = PluginInstance<any> & PluginPlacement

/** The config as a user writes it: plugins may be imported values as well as `{ use }` references. */
export type UserConfig = Omit<GatewayConfig, 'plugins'> & {
  plugins?: Array<PluginUse | PluginValue>
}

/** Identity at run time; gives the config file full type checking and completion. */
export function defineConfig(config: UserConfig): UserConfig {
  return config
}
