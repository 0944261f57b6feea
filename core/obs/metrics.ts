/**
 * Prometheus metrics (prom-client), owned by the process so counters survive
 * reloads. Each gateway has its own registry: several gateways in one
 * process (tests) do not mix. Labels are bounded: route and provider names
 * come from the config, models only as configured (anything a client made
 * up is `other`), and never request ids, keys or free text.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { RoutingState } from '../routing/routing-state.js'

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const

export class GatewayMetrics {
  readonly registry = new Registry()

  readonly requests = new Counter({
    name: 'gateway_requests_total',
    help: 'Requests answered, by surface (client wire format), endpoint, route, serving provider and model, and status code.',
    labelNames: ['surface', 'endpoint', 'route', 'provider', 'model', 'status'] as const,
    registers: [this.registry],
  })

  readonly requestSeconds = new Histogram({
    name: 'gateway_request_duration_seconds',
    help: 'Time from request to the last byte of the answer.',
    labelNames: ['endpoint', 'route', 'stream'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  })

  readonly ttftSeconds = new Histogram({
    name: 'gateway_time_to_first_token_seconds',
    help: 'Streams: from request to the first chunk sent to the client.',
    labelNames: ['route'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
    registers: [this.registry],
  })

  readonly interChunkSeconds = new Histogram({
    name: 'gateway_inter_chunk_seconds',
    help: 'Streams: gaps between chunks sent to the client.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })

  readonly overheadSeconds = new Histogram({
    name: 'gateway_overhead_seconds',
    help: "The gateway's own time per request: until the answer (streams: first chunk) minus time on upstreams.",
    labelNames: ['endpoint', 'stream'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  })

  readonly guardrailVerdicts = new Counter({
    name: 'gateway_guardrail_verdicts_total',
    help: 'Verdicts plugins report (allow, block, redact, flag, ...), by plugin.',
    labelNames: ['plugin', 'verdict'] as const,
    registers: [this.registry],
  })

  readonly cacheLookups = new Counter({
    name: 'gateway_cache_lookups_total',
    help: 'Cache lookups plugins report, by plugin and result (hit, miss).',
    labelNames: ['plugin', 'result'] as const,
    registers: [this.registry],
  })

  readonly inFlight = new Gauge({
    name: 'gateway_requests_in_flight',
    help: 'Data-plane requests being served now.',
    registers: [this.registry],
  })

  readonly attempts = new Counter({
    name: 'gateway_upstream_attempts_total',
    help: 'Upstream attempts by outcome: ok, or the failure class.',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly attemptSeconds = new Histogram({
    name: 'gateway_upstream_attempt_duration_seconds',
    help: 'Successful upstream attempts: until the answer, or the first chunk of a stream.',
    labelNames: ['provider', 'model'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  })

  readonly retries = new Counter({
    name: 'gateway_retries_total',
    help: 'Retries of the same target.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  })

  readonly fallbacks = new Counter({
    name: 'gateway_fallbacks_total',
    help: 'Moves to the next target after a failure.',
    labelNames: ['route', 'from_provider'] as const,
    registers: [this.registry],
  })

  readonly skipped = new Counter({
    name: 'gateway_targets_skipped_total',
    help: 'Targets skipped without a call because their circuit was open.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  })

  readonly tokens = new Counter({
    name: 'gateway_tokens_total',
    help: 'Tokens by kind: prompt, completion, cached (prompt tokens read from a cache).',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  })

  readonly costUsd = new Counter({
    name: 'gateway_cost_usd_total',
    help: 'Cost of answered requests, from usage and the price table.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  })

  readonly governanceRejections = new Counter({
    name: 'gateway_governance_rejections_total',
    help: 'Requests refused by governance, by reason (rate_limit_exceeded, budget_exceeded, ...).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  readonly pluginFailures = new Counter({
    name: 'gateway_plugin_failures_total',
    help: 'Plugin hooks that threw or ran out of time.',
    labelNames: ['plugin', 'hook', 'reason'] as const,
    registers: [this.registry],
  })

  readonly policyMatches = new Counter({
    name: 'gateway_policy_matches_total',
    help: 'Policies that matched, by name and phase.',
    labelNames: ['policy', 'phase'] as const,
    registers: [this.registry],
  })

  readonly reloads = new Counter({
    name: 'gateway_config_reloads_total',
    help: 'Config loads by trigger and result.',
    labelNames: ['trigger', 'result'] as const,
    registers: [this.registry],
  })

  constructor(routing: RoutingState) {
    new Gauge({
      name: 'gateway_circuit_state',
      help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open.',
      labelNames: ['target'] as const,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [target, breaker] of routing.breakers()) this.set({ target }, BREAKER_VALUE[breaker.state()])
      },
    })
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' })
  }
}
