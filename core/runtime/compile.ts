/**
 * Config -> Runtime. Everything that can be prepared ahead is prepared here:
 * provider adapters, the route table, compiled policies, the plugin chain.
 */
import type { Logger } from 'pino'
import type { CheckedConfig } from '../config/validate.js'
import { Governor } from '../governance/governor.js'
import { PriceTable } from '../governance/pricing.js'
import { KeyRegistry } from '../governance/principal.js'
import { PluginChain } from '../plugins/chain.js'
import { internalCalls } from '../plugins/internal-calls.js'
import { pluginMetrics } from '../plugins/plugin-metrics.js'
import { pluginRejection } from '../plugins/reject.js'
import { createProvider } from '../providers/create.js'
import type { ProviderAdapter } from '../providers/provider.js'
import { DEFAULT_BREAKER } from '../routing/circuit-breaker.js'
import { RouteTable } from '../routing/route-table.js'
import type { ProcessState } from './process-state.js'
import type { Runtime } from './runtime.js'

export interface CompileDeps {
  process: ProcessState
  logger: Logger
  version: number
}

/** How long a key rests after a 429 that came without Retry-After. */
const DEFAULT_KEY_COOLDOWN_MS = 10_000

/** Output tokens reserved when neither the request nor the price table gives a maximum. */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096

export async function compileRuntime(checked: CheckedConfig, deps: CompileDeps): Promise<Runtime> {
  const { config } = checked
  const providers = new Map<string, ProviderAdapter>(
    Object.entries(config.providers).map(([name, provider]) => [
      name,
      createProvider(name, provider, {
        pools: deps.process.pools,
        keyHealth: deps.process.routing.keys,
        vertexTokens: deps.process.vertexTokens,
        keyCooldownMs: config.routing?.keyCooldownMs ?? DEFAULT_KEY_COOLDOWN_MS,
        onKeyRejected: (provider, key, status) =>
          deps.logger.error(
            { provider, key, status },
            'provider rejected a key; it is out of the pool until the config changes it',
          ),
      }),
    ]),
  )
  const routes = new RouteTable(config.routes ?? {}, providers)
  const governor = new Governor({
    registry: new KeyRegistry(config),
    authMode: config.auth?.mode ?? 'none',
    store: deps.process.storeFor(config.store, deps.logger),
    prices: new PriceTable(config.pricing?.overrides ?? {}),
    failOpen: config.store?.kind === 'redis' && config.store.onUnavailable === 'fail-open',
    defaultMaxOutputTokens: config.pricing?.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    logger: deps.logger,
  })
  const storage = deps.process.pluginStorage(config.store, deps.logger)
  let runtime: Runtime | undefined
  const calls = internalCalls(() => {
    if (!runtime) throw new Error('a plugin called the gateway during setup; call it from a hook')
    return runtime
  })
  const plugins = await PluginChain.create(
    checked.plugins,
    (plugin) => ({
      logger: deps.logger.child({ plugin: plugin.definition.name }),
      store: storage.for(plugin.definition.name),
      metrics: pluginMetrics(deps.process.metrics.registry, plugin.definition.name),
      env: (name: string) => process.env[name],
      configDir: checked.configDir,
      reject: pluginRejection,
      verdict: (verdict, ctx) => {
        deps.process.metrics.guardrailVerdicts.inc({ plugin: plugin.definition.name, verdict })
        if (ctx) ctx.verdicts[plugin.definition.name] = verdict
      },
      gateway: calls,
      cacheLookup: (result) => deps.process.metrics.cacheLookups.inc({ plugin: plugin.definition.name, result }),
    }),
    (plugin, hook, reason) => deps.process.metrics.pluginFailures.inc({ plugin, hook, reason }),
  )
  const tracing = await deps.process.tracingFor(config.telemetry?.tracing, deps.logger)
  let closed = false
  runtime = Object.freeze({
    version: deps.version,
    loadedAt: new Date(),
    checked,
    routes,
    governor,
    routing: { state: deps.process.routing, breaker: { ...DEFAULT_BREAKER, ...config.routing?.breaker } },
    metrics: deps.process.metrics,
    tracing,
    policies: checked.policies,
    plugins,
    adminToken: config.admin?.token,
    close: async () => {
      if (closed) return
      closed = true
      await plugins.close(deps.logger)
    },
  })
  return runtime
}
