import type { CheckedConfig } from '../config/validate.js'
import type { Governor } from '../governance/governor.js'
import type { GatewayMetrics } from '../obs/metrics.js'
import type { Tracing } from '../obs/tracing.js'
import type { PluginChain } from '../plugins/chain.js'
import type { CompiledPolicy } from '../policy/compile.js'
import type { BreakerSettings } from '../routing/circuit-breaker.js'
import type { RouteTable } from '../routing/route-table.js'
import type { RoutingState } from '../routing/routing-state.js'

/**
 * Everything a request needs, compiled from one config and never changed
 * after: a reload builds a new Runtime and swaps it in whole.
 */
export interface Runtime {
  /** Increases by one with every successful load; shown in logs and /ready. */
  readonly version: number
  readonly loadedAt: Date
  readonly checked: CheckedConfig
  readonly routes: RouteTable
  readonly governor: Governor
  /** Process-wide routing state (breakers, latencies, key health) and this config's breaker settings. */
  readonly routing: { readonly state: RoutingState; readonly breaker: BreakerSettings }
  /** The process's metrics (they outlive this runtime). */
  readonly metrics: GatewayMetrics
  /** The process's tracer when this config turns tracing on (`telemetry.tracing`); otherwise undefined. */
  readonly tracing: Tracing | undefined
  readonly policies: readonly CompiledPolicy[]
  readonly plugins: PluginChain
  readonly adminToken: string | undefined
  /** Releases what this runtime owns (plugin instances). Called once its last request has ended. */
  close(): Promise<void>
}
