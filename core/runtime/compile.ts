/**
 * Config -> Runtime. Everything that can be prepared ahead is prepared here:
 * provider adapters, the route table, compiled policies, the plugin chain.
 */
import type { Logger } from 'pino'
import type { CheckedConfig } from '../config/validate.js'
import { PluginChain } from '../plugins/chain.js'
import { createProvider } from '../providers/create.js'
import type { ProviderAdapter } from '../providers/provider.js'
import type { UpstreamPools } from '../providers/upstream-pools.js'
import { RouteTable } from '../routing/route-table.js'
import type { Runtime } from './runtime.js'

export interface CompileDeps {
  pools: UpstreamPools
  logger: Logger
  version: number
}

export async function compileRuntime(checked: CheckedConfig, deps: CompileDeps): Promise<Runtime> {
  const { config } = checked
  const providers = new Map<string, ProviderAdapter>(
    Object.entries(config.providers).map(([name, provider]) => [name, createProvider(name, provider, deps.pools)]),
  )
  const routes = new RouteTable(config.routes ?? {}, providers)
  const plugins = await PluginChain.create(checked.plugins, (plugin) => ({
    logger: deps.logger.child({ plugin: plugin.definition.name }),
    env: (name: string) => process.env[name],
    configDir: checked.configDir,
  }))
  let closed = false
  return Object.freeze({
    version: deps.version,
    loadedAt: new Date(),
    checked,
    routes,
    policies: checked.policies,
    plugins,
    adminToken: config.admin?.token,
    close: async () => {
      if (closed) return
      closed = true
      await plugins.close(deps.logger)
    },
  })
}
