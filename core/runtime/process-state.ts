/**
 * What belongs to the process rather than to one compiled config: upstream
 * keep-alive pools, the secret scrubber, the governance store and what
 * routing has learnt (breakers, latencies, key health). A reload swaps the
 * runtime; these stay, so counters, spend, breaker state and warm
 * connections survive it.
 */
import type { Logger } from 'pino'
import type { Resolved } from '../config/resolve-env.js'
import type { StoreConfig, TracingConfig } from '../config/schema.js'
import { MemoryStore } from '../governance/store/memory-store.js'
import { RedisStore } from '../governance/store/redis-store.js'
import type { GovernanceStore } from '../governance/store/store.js'
import { GatewayMetrics } from '../obs/metrics.js'
import { SecretScrubber } from '../obs/secret-scrubber.js'
import type { Tracing } from '../obs/tracing.js'
import { PluginStorage } from '../plugins/plugin-storage.js'
import { VertexTokenSources } from '../providers/gemini/vertex-token-sources.js'
import { UpstreamPools } from '../providers/upstream-pools.js'
import { RoutingState } from '../routing/routing-state.js'

export class ProcessState {
  readonly pools = new UpstreamPools()
  readonly vertexTokens = new VertexTokenSources(this.pools)
  readonly scrubber = new SecretScrubber()
  readonly routing = new RoutingState()
  readonly metrics = new GatewayMetrics(this.routing)
  #store: { fingerprint: string; store: GovernanceStore; plugins: PluginStorage } | undefined
  #tracing: { fingerprint: string; tracing: Promise<Tracing> } | undefined

  /**
   * The governance store, created from the first config that asks for one.
   * Counters cannot move between stores mid-flight, so a later change of
   * `store` takes effect at the next restart; it is reported, not applied.
   */
  storeFor(config: Resolved<StoreConfig> | undefined, logger: Logger): GovernanceStore {
    return this.#stores(config, logger).store
  }

  /** Plugins' key-value storage, on the same backend as the governance store. */
  pluginStorage(config: Resolved<StoreConfig> | undefined, logger: Logger): PluginStorage {
    return this.#stores(config, logger).plugins
  }

  #stores(
    config: Resolved<StoreConfig> | undefined,
    logger: Logger,
  ): { store: GovernanceStore; plugins: PluginStorage } {
    const fingerprint = JSON.stringify(config ?? { kind: 'memory' })
    if (!this.#store) {
      const redis = config?.kind === 'redis' ? config : undefined
      this.#store = {
        fingerprint,
        store: redis ? new RedisStore({ url: redis.url, prefix: redis.prefix }) : new MemoryStore(),
        plugins: new PluginStorage(redis?.url),
      }
    } else if (this.#store.fingerprint !== fingerprint) {
      logger.warn('the `store` setting changed; it takes effect at the next restart')
    }
    return this.#store
  }

  /**
   * The tracer provider, created from the first config that enables tracing
   * (the SDK is loaded only then). Like the store, a later change of its
   * settings takes effect at the next restart; a config without
   * `telemetry.tracing` turns tracing off for its requests.
   */
  async tracingFor(config: Resolved<TracingConfig> | undefined, logger: Logger): Promise<Tracing | undefined> {
    if (!config) return undefined
    const fingerprint = JSON.stringify(config)
    if (!this.#tracing) {
      this.#tracing = {
        fingerprint,
        tracing: import('../obs/tracing.js').then(({ Tracing }) => new Tracing(config, logger)),
      }
    } else if (this.#tracing.fingerprint !== fingerprint) {
      logger.warn('the `telemetry.tracing` setting changed; it takes effect at the next restart')
    }
    return this.#tracing.tracing
  }

  async close(): Promise<void> {
    await Promise.all([
      this.pools.close(),
      this.#store?.store.close(),
      this.#store?.plugins.close(),
      // Spans that cannot be delivered now are lost either way; they must not fail the shutdown.
      this.#tracing?.tracing.then((tracing) => tracing.shutdown()).catch(() => undefined),
    ])
  }
}
