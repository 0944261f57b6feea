/**
 * Runs one request over a route: candidates in strategy order, each behind
 * its circuit breaker; retries on the same target with exponential backoff
 * and jitter (or at once on another key, or after the upstream's
 * Retry-After); a per-attempt timeout and a total deadline; fallback to the
 * next target by error class; and the last failure turned into the error the
 * client sees.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Abort, type AbortLike, toAbortSignal } from '../abort.js'
import { GatewayError } from '../errors.js'
import type { ProviderAdapter } from '../providers/provider.js'
import { toClientError, UpstreamError } from '../providers/upstream-error.js'
import type { BreakerSettings } from './circuit-breaker.js'
import type { CompiledRoute } from './route-table.js'
import type { RoutingState } from './routing-state.js'
import { candidates, type ModelTarget, type StrategyContext } from './strategies.js'

export interface Served<T> {
  result: T
  provider: string
  model: string
  /** How many attempts it took, the successful one included. */
  attempts: number
}

export type AttemptOutcome = 'retry' | 'fallback' | 'return'

export interface AttemptObserver {
  onAttemptFailed?(info: {
    provider: string
    model: string
    error: UpstreamError
    next: AttemptOutcome
    delayMs: number
    /** How long the failed attempt took. */
    ms: number
  }): void
  onSkipped?(info: { provider: string; model: string; reason: 'circuit-open' }): void
  onServed?(info: { provider: string; model: string; attempts: number; ms: number }): void
}

export interface ExecuteOptions {
  /** The client's signal: its abort ends everything. */
  signal: AbortLike
  state: RoutingState
  breaker: BreakerSettings
  strategy: Omit<StrategyContext, 'table'>
  /** A stream's attempt ends at its first chunk, so its timeout is the time-to-first-token one. */
  stream: boolean
  observer?: AttemptObserver
  /**
   * The name breakers and latencies are kept under. Configured targets have
   * their own; models a client made up share one per provider, so they
   * cannot grow the process's state without bound.
   */
  targetKey(provider: string, model: string): string
  /** Client overrides the route allows: one of its targets, or no fallback. */
  override?: { target?: ModelTarget; noFallback?: boolean }
}

/** One attempt at a target; `attempt` counts the request's attempts so far, this one included. */
export type Attempt<T> = (provider: ProviderAdapter, model: string, signal: AbortLike, attempt: number) => Promise<T>

/** Failures that say something about the target's health, and so count towards its breaker. */
const BREAKER_CLASSES = new Set(['rate_limited', 'overloaded', 'server_error', 'timeout', 'connection'])

export async function executeRoute<T>(
  route: CompiledRoute,
  table: Parameters<typeof candidates>[1]['table'],
  attempt: Attempt<T>,
  options: ExecuteOptions,
): Promise<Served<T>> {
  const started = Date.now()
  const deadline = route.timeouts.totalMs === undefined ? Number.POSITIVE_INFINITY : started + route.timeouts.totalMs
  const attemptMs = options.stream
    ? (route.timeouts.firstTokenMs ?? route.timeouts.attemptMs)
    : route.timeouts.attemptMs
  const fallbackOn = options.override?.noFallback ? new Set() : route.fallbackOn
  const targets = options.override?.target
    ? [options.override.target]
    : await candidates(route, { ...options.strategy, table })
  let attempts = 0
  let skipped = 0
  let last: { error: UpstreamError; provider: string } | undefined

  for (const { provider, model } of targets) {
    const id = options.targetKey(provider, model)
    const breaker = options.state.breaker(id, options.breaker)
    if (!breaker.tryAcquire()) {
      skipped++
      options.observer?.onSkipped?.({ provider, model, reason: 'circuit-open' })
      continue
    }
    for (let tryNumber = 1; ; tryNumber++) {
      attempts++
      const attemptStarted = Date.now()
      try {
        const timeoutMs = Math.min(attemptMs ?? Number.POSITIVE_INFINITY, deadline - attemptStarted)
        const result = await withTimeout(options.signal, timeoutMs, (signal) =>
          attempt(table.provider(provider), model, signal, attempts),
        )
        breaker.success()
        const ms = Date.now() - attemptStarted
        options.state.latency.record(id, ms)
        options.observer?.onServed?.({ provider, model, attempts, ms })
        return { result, provider, model, attempts }
      } catch (thrown) {
        if (!(thrown instanceof UpstreamError) || options.signal.aborted) {
          breaker.release()
          throw thrown
        }
        const error = thrown
        if (BREAKER_CLASSES.has(error.errorClass) && !error.uncalled) breaker.failure()
        else breaker.release()
        last = { error, provider }

        const delayMs = retryDelay(route, tryNumber, error, options.strategy.random)
        if (delayMs !== null && Date.now() + delayMs < deadline && breaker.tryAcquire()) {
          options.observer?.onAttemptFailed?.({
            provider,
            model,
            error,
            next: 'retry',
            delayMs,
            ms: Date.now() - attemptStarted,
          })
          await sleep(delayMs, undefined, { signal: toAbortSignal(options.signal) })
          continue
        }
        if (error.errorClass === 'context_length_exceeded' && route.onContextLength && Date.now() < deadline) {
          options.observer?.onAttemptFailed?.({
            provider,
            model,
            error,
            next: 'fallback',
            delayMs: 0,
            ms: Date.now() - attemptStarted,
          })
          return withAttempts(await executeRoute(contextRoute(route, deadline), table, attempt, options), attempts)
        }
        const next: AttemptOutcome = fallbackOn.has(error.errorClass) && Date.now() < deadline ? 'fallback' : 'return'
        options.observer?.onAttemptFailed?.({
          provider,
          model,
          error,
          next,
          delayMs: 0,
          ms: Date.now() - attemptStarted,
        })
        if (next === 'return') throw exhausted(error, provider, attempts)
        break
      }
    }
  }
  if (last) throw exhausted(last.error, last.provider, attempts)
  if (skipped > 0) {
    throw Object.assign(
      new GatewayError({
        status: 503,
        type: 'upstream_error',
        code: 'circuit_open',
        message: `Every target of ${route.name ? `route '${route.name}'` : 'this model'} is failing and resting (circuit open); try again shortly.`,
        headers: { 'retry-after': String(Math.ceil(options.breaker.cooldownMs / 1000)) },
      }),
      { attempts },
    )
  }
  throw new GatewayError({
    status: 404,
    type: 'not_found_error',
    code: 'no_target',
    message: `Route '${route.name}' has no target for this request (no condition matched and there is no default).`,
  })
}

/**
 * How long to wait before trying the same target again, or null not to.
 * Another key ready: at once, whatever `retry.on` lists, since the key
 * failed (a 429, or a 401/403 no backoff would cure), not the target. A
 * Retry-After within `maxDelayMs`: that long; beyond it, not here (another
 * target may answer sooner). Otherwise exponential backoff with jitter, so
 * clients that failed together do not retry together.
 */
export function retryDelay(
  route: CompiledRoute,
  tryNumber: number,
  error: UpstreamError,
  random: () => number,
): number | null {
  const { retry } = route
  if (tryNumber >= retry.attempts) return null
  if (error.anotherKeyReady) return 0
  if (!retry.on.has(error.errorClass)) return null
  if (error.retryAfterSeconds !== undefined) {
    const ms = Math.ceil(error.retryAfterSeconds * 1000)
    return ms <= retry.maxDelayMs ? ms : null
  }
  const exponential = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (tryNumber - 1))
  return Math.round(exponential * (0.5 + random() / 2))
}

/** Runs an attempt with its own signal: aborted by the client or when `ms` pass; a timeout becomes an UpstreamError. */
async function withTimeout<T>(client: AbortLike, ms: number, run: (signal: AbortLike) => Promise<T>): Promise<T> {
  if (!Number.isFinite(ms)) return run(client)
  const controller = new Abort()
  // The attempt's signal outlives the attempt when it returns a stream: client aborts must still reach it.
  client.addEventListener('abort', () => controller.abort(client.reason), { once: true })
  let timedOut = false
  const timer = setTimeout(
    () => {
      timedOut = true
      controller.abort(new Error('attempt timed out'))
    },
    Math.max(0, ms),
  )
  try {
    return await run(controller)
  } catch (error) {
    if (timedOut && !client.aborted) {
      throw new UpstreamError({ errorClass: 'timeout', message: `no answer within ${Math.round(ms)} ms` })
    }
    throw error
  } finally {
    clearTimeout(timer)
  }
}

function exhausted(error: UpstreamError, provider: string, attempts: number): GatewayError {
  const clientError = toClientError(error, provider)
  // The gateway has already retried and fallen back; an SDK retrying on top multiplies the load.
  if (attempts > 1 && clientError.status >= 429) clientError.headers['x-should-retry'] = 'false'
  return Object.assign(clientError, { attempts })
}

/** The larger-context target as a route of its own, within what is left of this request's total deadline. */
function contextRoute(route: CompiledRoute, deadline: number): CompiledRoute {
  return {
    ...route,
    strategy: 'single',
    targets: [route.onContextLength as NonNullable<CompiledRoute['onContextLength']>],
    timeouts: Number.isFinite(deadline) ? { ...route.timeouts, totalMs: deadline - Date.now() } : route.timeouts,
    onContextLength: null,
  }
}

function withAttempts<T>(served: Served<T>, before: number): Served<T> {
  return { ...served, attempts: served.attempts + before }
}
