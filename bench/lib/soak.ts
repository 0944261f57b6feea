/**
 * `npm run bench -- --soak MINUTES`: the full-chain gateway at a fixed rate
 * (mixed load: one request in five streamed) for that long, in 30-second
 * windows. RSS is read every second; the report lists it every 30 s with the
 * window's throughput and latency, and compares the first third of the run
 * with the last third (plus a least-squares slope) to show a leak's trend.
 * Writes bench/SOAK.md.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadResult } from '../load.js'
import type { RunContext } from '../run.js'
import { startContender } from './contenders.js'
import { configureUpstream, requestBody, verify, warmUp } from './measure.js'
import { cpuMs, peakRssBytes, REPO_ROOT, rssBytes } from './proc.js'

const WINDOW_S = 30
const STREAM_EVERY = 5
const MB = 2 ** 20

interface Window {
  endS: number
  rss: number
  peak: number
  load: LoadResult
  cpuShare: number
}

export async function runSoak(context: RunContext, minutes: number): Promise<void> {
  const { options, log } = context
  const started = Date.now()
  const bench = await context.startBench()
  const gateway = await startContender('full', {
    upstream: bench.upstream,
    logLevel: context.logLevel,
    tmpDir: context.tmpDir,
    log,
  })
  try {
    await verify(bench, gateway, options.chunks)
    await warmUp(
      bench,
      gateway,
      [
        {
          id: 'conc-json',
          kind: 'concurrency',
          stream: false,
          latencyMs: 0,
          durationS: 0,
          connections: options.connections,
          rate: 0,
        },
      ],
      options.warmupS,
    )
    await configureUpstream(bench, { latencyMs: options.latencyMs })
    const samples: Array<{ t: number; rss: number }> = []
    const t0 = performance.now()
    const sample = () => samples.push({ t: (performance.now() - t0) / 1000, rss: rssBytes(gateway.pid) })
    sample()
    const sampler = setInterval(sample, 1000)
    const windows: Window[] = []
    const totalS = minutes * 60
    log(`soak: full chain at ${options.rate} req/s for ${minutes} min (1 in ${STREAM_EVERY} streamed)`)
    for (let done = 0; done < totalS; done += WINDOW_S) {
      const durationS = Math.min(WINDOW_S, totalS - done)
      const cpuBefore = cpuMs(gateway.pid)
      const windowStart = performance.now()
      const load = await bench.load.call<LoadResult>('rate', {
        url: gateway.url,
        headers: gateway.headers,
        body: requestBody(false),
        streamBody: requestBody(true),
        streamEvery: STREAM_EVERY,
        rate: options.rate,
        durationS,
      })
      const wallMs = performance.now() - windowStart
      const window: Window = {
        endS: Math.round((performance.now() - t0) / 1000),
        rss: rssBytes(gateway.pid),
        peak: peakRssBytes(gateway.pid),
        load,
        cpuShare: (cpuMs(gateway.pid) - cpuBefore) / wallMs,
      }
      windows.push(window)
      log(
        `soak ${window.endS} s: rss ${(window.rss / MB).toFixed(1)} MB, ${load.rps.toFixed(0)} req/s, p50 ${load.latency.p50.toFixed(2)} ms, p99 ${load.latency.p99.toFixed(2)} ms`,
      )
    }
    clearInterval(sampler)
    sample()
    const report = renderSoak(context, minutes, samples, windows, (Date.now() - started) / 60_000, gateway.command)
    const out = join(REPO_ROOT, 'bench', 'SOAK.md')
    writeFileSync(out, report)
    log(`wrote ${out}`)
    process.stdout.write(report)
  } finally {
    await gateway.stop()
    await Promise.all([bench.upstream.stop(), bench.load.stop()])
  }
}

function renderSoak(
  context: RunContext,
  minutes: number,
  samples: Array<{ t: number; rss: number }>,
  windows: Window[],
  tookMinutes: number,
  gatewayCommand: string,
): string {
  const third = Math.max(1, Math.floor(samples.length / 3))
  const avg = (list: Array<{ rss: number }>) => list.reduce((sum, s) => sum + s.rss, 0) / list.length
  const first = avg(samples.slice(0, third))
  const last = avg(samples.slice(-third))
  // Least-squares slope of RSS over time, MB per hour.
  const n = samples.length
  const mt = samples.reduce((sum, s) => sum + s.t, 0) / n
  const mr = samples.reduce((sum, s) => sum + s.rss, 0) / n
  const cov = samples.reduce((sum, s) => sum + (s.t - mt) * (s.rss - mr), 0)
  const varT = samples.reduce((sum, s) => sum + (s.t - mt) ** 2, 0)
  const slopeMbPerHour = varT > 0 ? ((cov / varT) * 3600) / MB : 0
  const total = windows.reduce((sum, w) => sum + w.load.ok, 0)
  const failed = windows.reduce(
    (sum, w) => sum + w.load.errors + Object.values(w.load.failed).reduce((a, b) => a + b, 0),
    0,
  )
  const rows = [
    `| 0 | ${(samples[0] ? samples[0].rss / MB : 0).toFixed(1)} | | | | | |`,
    ...windows.map(
      (w) =>
        `| ${w.endS} | ${(w.rss / MB).toFixed(1)} | ${(w.peak / MB).toFixed(1)} | ${w.load.rps.toFixed(0)} | ${w.load.latency.p50.toFixed(2)} | ${w.load.latency.p99.toFixed(2)} | ${Math.round(w.cpuShare * 100)}% |`,
    ),
  ]
  const growth = last - first
  const limit = 150 * MB
  // A run's last third within 5% of its first counts as flat: RSS moves by more than that between GCs.
  const flat = last <= first * 1.05
  const finalRss = samples.at(-1)?.rss ?? 0
  return `# Soak: full-chain gateway, RSS over time

Produced by \`${context.command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} (${tookMinutes.toFixed(1)} min).

- ${context.machine().join('; ')}
- ${context.versions()[0]}
- Gateway: \`${gatewayCommand}\` (bench/configs/full.config.ts: keys, rate limits, budgets,
  5 JSONata rules, secrets scan, exact-cache miss, audit file, metrics), log level ${context.logLevel}.
- Load: ${context.options.rate} req/s open loop for ${minutes} min, one request in ${STREAM_EVERY} streamed
  (${context.options.chunks} chunks), upstream latency ${context.options.latencyMs} ms, in ${WINDOW_S}-second windows,
  after ${context.options.warmupS} s of warm-up at ${context.options.connections} connections.
- ${total.toLocaleString('en')} answers, ${failed} failed.

## Target

| target | measured | |
|---|---|---|
| RSS < ${limit / MB} MB after ${minutes} min at load (mean of the last third) | ${(last / MB).toFixed(1)} MB (last sample ${(finalRss / MB).toFixed(1)} MB) | ${last < limit ? 'met' : '**missed**'} |
| no upward trend (last third within 5% of the first) | ${growth >= 0 ? '+' : ''}${(growth / MB).toFixed(1)} MB, slope ${slopeMbPerHour >= 0 ? '+' : ''}${slopeMbPerHour.toFixed(1)} MB/hour | ${flat ? 'met' : '**missed**'} |

## Trend

| | RSS MB |
|---|--:|
| mean of the first third (${third} samples, 1 per second) | ${(first / MB).toFixed(1)} |
| mean of the last third | ${(last / MB).toFixed(1)} |
| change | ${growth >= 0 ? '+' : ''}${(growth / MB).toFixed(1)} (${first > 0 ? ((growth / first) * 100).toFixed(1) : '–'}%) |
| least-squares slope over the whole run | ${slopeMbPerHour >= 0 ? '+' : ''}${slopeMbPerHour.toFixed(1)} MB/hour |

A short soak mostly shows the heap settling after warm-up; a leak shows as a last third that
keeps rising over a long run (\`--soak 10\` or more) with a steady slope.

## Every ${WINDOW_S} s

| s | RSS MB | peak RSS MB | answers/s | p50 ms | p99 ms | gateway CPU |
|--:|--:|--:|--:|--:|--:|--:|
${rows.join('\n')}
`
}
