import type { PluginInstance } from '../plugins/types.js'
import type { GatewayConfig, PluginUse } from './schema.js'

/** The config as a user writes it: plugins may be imported values as well as `{ use }` references. */
export type UserConfig = Omit<GatewayConfig, 'plugins'> & {
  plugins?: Array<PluginUse | PluginInstance>
}

/** Identity at run time; gives the config file full type checking and completion. */
export function defineConfig(config: UserConfig): UserConfig {
  return config
}
