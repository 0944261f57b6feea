import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from '../../core/obs/metrics.js'
import { RoutingState } from '../../core/routing/routing-state.js'

describe('the example Grafana dashboard', () => {
  it('queries only metrics the gateway exports', async () => {
    const dashboard = readFileSync(
      new URL('../../examples/observability/grafana-dashboard.json', import.meta.url),
      'utf8',
    )
    const queried = new Set(
      [...dashboard.matchAll(/gateway_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')),
    )
    const exported = new Set(
      (await new GatewayMetrics(new RoutingState()).registry.getMetricsAsJSON()).map((m) => m.name),
    )
    const missing = [...queried].filter((name) => !exported.has(name))
    expect(missing).toEqual([])
    expect(queried.size).toBeGreaterThan(15)
  })
})
