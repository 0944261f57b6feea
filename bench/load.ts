/**
 * The load generator, a process of its own so its CPU is not the
 * contenders'. The runner sends it jobs over IPC:
 *
 * - `concurrency`: autocannon with N connections for D seconds (closed loop:
 *   each connection sends its next request when the last one is answered);
 *   throughput and latency (autocannon's histogram has 1 ms resolution).
 * - `rate`: an open-loop client on undici sending R requests per second at
 *   even intervals, whatever the answers do, with latency and time to first
 *   byte of the body measured per request in microseconds. autocannon's own
 *   `overallRate` is not used for this: it lets each connection send back to
 *   back until its per-second quota is spent, then pause until the next
 *   second (bursts of `connections` requests in flight, then silence), and it
 *   corrects for coordinated omission with an expected interval of
 *   `ceil(1 / rate)` = 1 ms, which adds a phantom sample for every
 *   millisecond of each response.
 * - `sequential`: the same client with one request in flight at a time (an
 *   unloaded gateway: what one request costs in latency and TTFT).
 */
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { Pool } from 'undici'
import { announceReady, serveIpc } from './lib/child.js'

export interface Target {
  url: string
  headers: Record<string, string>
  body: string
}

export interface ConcurrencyJob extends Target {
  connections: number
  durationS: number
}

export interface RateJob extends Target {
  /** Requests per second; 0 = one at a time (sequential). */
  rate: number
  durationS: number
  /** Every `streamEvery`-th request sends this body instead (a mixed JSON/SSE load). */
  streamBody?: string
  streamEvery?: number
}

/** Latency percentiles, ms. */
export interface Percentiles {
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

export interface LoadResult {
  /** Answers with a 2xx status. */
  ok: number
  /** Answers with another status, by status. */
  failed: Record<string, number>
  /** Transport errors and timeouts. */
  errors: number
  durationS: number
  /** 2xx answers per second. */
  rps: number
  /** Until the last byte of the answer. */
  latency: Percentiles
  /** Until the first byte of the answer's body (rate and sequential jobs only). */
  ttfb?: Percentiles
  /** How late the open-loop client sent requests behind schedule (rate jobs only): its own health. */
  lag?: Percentiles
  /** One failed answer's body, to show what went wrong. */
  sampleFailure?: string
}

function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0)
    return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN }
  const sorted = Float64Array.from(samples).sort()
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  let sum = 0
  for (const value of sorted) sum += value
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  }
}

function concurrency(job: ConcurrencyJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        method: 'POST',
        headers: job.headers,
        body: job.body,
        connections: job.connections,
        duration: job.durationS,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error)
        const failed: Record<string, number> = {}
        for (const [status, { count }] of Object.entries(result.statusCodeStats))
          if (!status.startsWith('2')) failed[status] = count
        const ok = result['2xx']
        resolve({
          ok,
          failed,
          errors: result.errors + result.timeouts,
          durationS: result.duration,
          rps: ok / result.duration,
          latency: {
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
            mean: result.latency.mean,
          },
        })
      },
    )
  })
}

/**
 * One pool per contender, kept across jobs: a measurement follows its lead-in
 * on the connections the lead-in opened (see `measure`), as a client in
 * service would find them.
 */
const pools = new Map<string, Pool>()

function poolFor(origin: string): Pool {
  let pool = pools.get(origin)
  if (!pool) {
    pool = new Pool(origin, {
      connections: 512,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    })
    pools.set(origin, pool)
  }
  return pool
}

async function rate(job: RateJob): Promise<LoadResult> {
  const url = new URL(job.url)
  const pool = poolFor(url.origin)
  const body = Buffer.from(job.body)
  const streamBody = job.streamBody ? Buffer.from(job.streamBody) : undefined
  let count = 0
  const headers = { ...job.headers, 'content-type': 'application/json' }
  const latencies: number[] = []
  const ttfbs: number[] = []
  const lags: number[] = []
  const failed: Record<string, number> = {}
  let errors = 0
  let ok = 0
  let sampleFailure: string | undefined

  const send = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      let first = 0
      const mixed = streamBody && job.streamEvery && ++count % job.streamEvery === 0
      pool
        .request({ method: 'POST', path: url.pathname, headers, body: mixed ? streamBody : body })
        .then(({ statusCode, body: answer }) => {
          const parts: Buffer[] = []
          const good = statusCode >= 200 && statusCode < 300
          answer.on('data', (part: Buffer) => {
            if (first === 0) first = performance.now()
            if (!good) parts.push(part)
          })
          answer.on('end', () => {
            const ended = performance.now()
            if (good) {
              ok++
              latencies.push(ended - started)
              ttfbs.push((first || ended) - started)
            } else {
              failed[statusCode] = (failed[statusCode] ?? 0) + 1
              sampleFailure ??= Buffer.concat(parts).toString().slice(0, 500)
            }
            resolve()
          })
          answer.on('error', () => {
            errors++
            resolve()
          })
        })
        .catch((error: unknown) => {
          errors++
          sampleFailure ??= String(error)
          resolve()
        })
    })

  const started = performance.now()
  const endAt = started + job.durationS * 1000
  const inFlight = new Set<Promise<void>>()
  const track = (request: Promise<void>) => {
    inFlight.add(request)
    void request.then(() => inFlight.delete(request))
  }

  if (job.rate <= 0) {
    while (performance.now() < endAt) await send()
  } else {
    const interval = 1000 / job.rate
    let sent = 0
    await new Promise<void>((done) => {
      const tick = () => {
        const now = performance.now()
        if (now >= endAt) return done()
        const due = Math.floor((now - started) / interval) + 1
        while (sent < due) {
          lags.push(now - (started + sent * interval))
          track(send())
          sent++
        }
        setTimeout(tick, Math.max(0, started + sent * interval - performance.now()))
      }
      tick()
    })
  }
  await Promise.all(inFlight)
  const durationS = (performance.now() - started) / 1000
  return {
    ok,
    failed,
    errors,
    durationS,
    rps: ok / durationS,
    latency: percentiles(latencies),
    ttfb: percentiles(ttfbs),
    ...(lags.length > 0 && { lag: percentiles(lags) }),
    ...(sampleFailure !== undefined && { sampleFailure }),
  }
}

serveIpc({ concurrency, rate })
announceReady(0)
