/**
 * bench/RESULTS.md: the machine, the versions, the commands, every raw
 * number, the ratios to the floor measured in the same run, and the targets
 * next to the measured values.
 */
import type { PolicyBenchResult } from '../policies.js'
import type { SecretsBenchResult } from '../secrets.js'
import { CONTENDER_LABELS, type ContenderId } from './contenders.js'
import { DISTURBED_CORES, type Measurement, type Mode, type ModeId } from './measure.js'

export interface ContenderResult {
  id: ContenderId
  /** Shown instead of the contender's label (e.g. the floor's second run). */
  label?: string
  command: string
  version?: string
  /** RSS once started and checked, before any load, bytes. */
  startRss?: number
  measurements: Partial<Record<ModeId, Measurement>>
  /** Why the contender has no numbers. */
  error?: string
}

export interface RunReport {
  /** Free-form lines about the memory numbers (what a contender loads). */
  memoryNotes?: string[]
  command: string
  date: string
  minutes: number
  machine: string[]
  versions: string[]
  options: { durationS: number; warmupS: number; connections: number; rate: number; latencyMs: number; chunks: number }
  logLevel: string
  modes: Mode[]
  results: ContenderResult[]
  policy: PolicyBenchResult
  secrets: SecretsBenchResult
  peerNotes: string[]
}

const MB = 2 ** 20

const num = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const signed = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value >= 0 ? '+' : ''}${num(value, digits)}`

const ratio = (value: number | undefined, reference: number | undefined): string =>
  value === undefined || reference === undefined || !Number.isFinite(value) || !reference
    ? '–'
    : `${(value / reference).toFixed(2)}`

const pct = (value: number | undefined, reference: number | undefined): string =>
  value === undefined || reference === undefined || !reference || !Number.isFinite(value)
    ? '–'
    : `${Math.round((value / reference) * 100)}%`

function mean(values: number[]): number | undefined {
  const finite = values.filter(Number.isFinite)
  return finite.length === 0 ? undefined : finite.reduce((a, b) => a + b, 0) / finite.length
}

/** The floor's numbers: the mean of its runs (it is measured first and again last, to show drift). */
function floorReference(results: ContenderResult[], mode: ModeId, pick: (m: Measurement) => number) {
  return mean(
    results.filter((r) => r.id === 'floor').flatMap((r) => (r.measurements[mode] ? [pick(r.measurements[mode])] : [])),
  )
}

function modeTitle(mode: Mode, chunks: number): string {
  const what = mode.stream ? `SSE, ${chunks} chunks` : 'JSON'
  const latency = `upstream latency ${mode.latencyMs} ms`
  if (mode.kind === 'concurrency')
    return `${what}: ${mode.connections} connections, ${mode.durationS} s, ${latency} (autocannon)`
  if (mode.rate > 0) return `${what}: ${mode.rate} req/s, ${mode.durationS} s, ${latency} (open-loop undici client)`
  return `${what}: one request at a time, ${mode.durationS} s, ${latency} (undici client)`
}

const errorsOf = (m: Measurement): string => {
  const failed = Object.entries(m.load.failed)
    .map(([status, count]) => `${count}×${status}`)
    .join(' ')
  const parts = [failed, m.load.errors ? `${m.load.errors} errors` : ''].filter(Boolean)
  return parts.length > 0 ? parts.join(', ') : '0'
}

const label = (r: ContenderResult) => r.label ?? CONTENDER_LABELS[r.id]

/** The machine's TCP trouble meanwhile (older reports have none). */
const tcpOf = (m: Measurement) =>
  m.tcp ? `${m.tcp.retransSegs} / ${m.tcp.synRetrans} / ${m.tcp.listenOverflows}` : '–'

/** Cores other processes used meanwhile; flagged when they may have disturbed the measurement. */
const other = (m: Measurement) =>
  `${m.otherCores.toFixed(2)}${m.otherCores > DISTURBED_CORES ? ' ⚠' : ''}${m.attempts > 1 ? ` (${m.attempts} tries)` : ''}`

function throughputTable(report: RunReport, mode: Mode): string {
  const rps = floorReference(report.results, mode.id, (m) => m.load.rps)
  const cpu = floorReference(report.results, mode.id, (m) => m.cpuPerRequestUs)
  const rss = floorReference(report.results, mode.id, (m) => m.peakRss)
  const rows = report.results.map((r) => {
    const m = r.measurements[mode.id]
    if (!m) return `| ${label(r)} | ${r.error ? 'not measured' : '–'} |||||||||||`
    const share = (ms: number) => `${Math.round((ms / (m.wallS * 1000)) * 100)}%`
    return `| ${label(r)} | ${num(m.load.rps)} | ${ratio(m.load.rps, rps)} | ${num(m.load.latency.p50, 1)} | ${num(m.load.latency.p99, 1)} | ${num(m.cpuPerRequestUs)} | ${ratio(m.cpuPerRequestUs, cpu)} | ${share(m.cpuMs.contender)} / ${share(m.cpuMs.upstream)} / ${share(m.cpuMs.load)} | ${num(m.peakRss / MB)} | ${ratio(m.peakRss, rss)} | ${num(m.upstreamPerRequest, 2)} | ${errorsOf(m)} | ${other(m)} |`
  })
  return [
    `### ${modeTitle(mode, report.options.chunks)}`,
    '',
    '| contender | req/s | × floor | p50 ms | p99 ms | CPU µs/req | × floor | CPU contender / upstream / load gen | peak RSS MB | × floor | upstream calls/answer | non-2xx, errors | other load, cores |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|',
    ...rows,
  ].join('\n')
}

function latencyTable(report: RunReport, mode: Mode): string {
  const p50 = floorReference(report.results, mode.id, (m) => m.load.latency.p50)
  const p99 = floorReference(report.results, mode.id, (m) => m.load.latency.p99)
  const t50 = floorReference(report.results, mode.id, (m) => m.load.ttfb?.p50 ?? Number.NaN)
  const t99 = floorReference(report.results, mode.id, (m) => m.load.ttfb?.p99 ?? Number.NaN)
  const cpu = floorReference(report.results, mode.id, (m) => m.cpuPerRequestUs)
  const direct = report.results.find((r) => r.id === 'direct')?.measurements[mode.id]
  const stream = mode.stream
  const head = stream
    ? '| contender | answers/s | TTFT p50 ms | TTFT p99 ms | added TTFT p50 | added TTFT p99 | total p50 ms | total p99 ms | added p50 | added p99 | CPU µs/req | × floor | peak RSS MB | lag p99 ms | TCP retransmits / SYN retries / accept overflows | non-2xx, errors | other load, cores |'
    : '| contender | answers/s | p50 ms | p99 ms | added p50 | added p99 | added p50 vs direct | CPU µs/req | × floor | peak RSS MB | lag p99 ms | TCP retransmits / SYN retries / accept overflows | non-2xx, errors | other load, cores |'
  const rows = report.results.map((r) => {
    const m = r.measurements[mode.id]
    if (!m) return `| ${label(r)} | ${r.error ? 'not measured' : '–'} |`
    const { latency, ttfb } = m.load
    const common = `${num(m.cpuPerRequestUs)} | ${ratio(m.cpuPerRequestUs, cpu)} | ${num(m.peakRss / MB)} | ${num(m.load.lag?.p99, 2)} | ${tcpOf(m)} | ${errorsOf(m)} | ${other(m)}`
    if (stream) {
      return `| ${label(r)} | ${num(m.load.rps)} | ${num(ttfb?.p50, 2)} | ${num(ttfb?.p99, 2)} | ${signed(minus(ttfb?.p50, t50))} | ${signed(minus(ttfb?.p99, t99))} | ${num(latency.p50, 2)} | ${num(latency.p99, 2)} | ${signed(minus(latency.p50, p50))} | ${signed(minus(latency.p99, p99))} | ${common} |`
    }
    return `| ${label(r)} | ${num(m.load.rps)} | ${num(latency.p50, 2)} | ${num(latency.p99, 2)} | ${signed(minus(latency.p50, p50))} | ${signed(minus(latency.p99, p99))} | ${signed(minus(latency.p50, direct?.load.latency.p50))} | ${common} |`
  })
  const columns = head.split('|').length - 3
  return [
    `### ${modeTitle(mode, report.options.chunks)}`,
    '',
    head,
    `|---|${'--:|'.repeat(columns - 2)}---|--:|`,
    ...rows,
  ].join('\n')
}

const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b)

interface Target {
  what: string
  measured: string
  met: boolean | undefined
}

function targets(report: RunReport): Target[] {
  const get = (id: ContenderId, mode: ModeId) => report.results.find((r) => r.id === id)?.measurements[mode]
  const out: Target[] = []
  const throughput = (id: ContenderId, share: number, mode: ModeId) => {
    const floor = floorReference(report.results, mode, (m) => m.load.rps)
    const m = get(id, mode)
    const value = m && floor ? m.load.rps / floor : undefined
    const kind = mode === 'conc-json' ? 'JSON' : 'SSE'
    out.push({
      what: `${CONTENDER_LABELS[id]}: throughput ≥ ${share * 100}% of the floor (${kind}, ${report.options.connections} connections)`,
      measured: m ? `${pct(m.load.rps, floor)} (${num(m.load.rps)} vs ${num(floor)} req/s)` : 'not measured',
      met: value === undefined ? undefined : value >= share,
    })
  }
  throughput('minimal', 0.75, 'conc-json')
  throughput('minimal', 0.75, 'conc-sse')
  throughput('full', 0.6, 'conc-json')
  throughput('full', 0.6, 'conc-sse')
  // Portkey runs its pass-through path (no config, cache or retries), so the like-for-like
  // comparison is the minimal config; the full chain is listed beside it.
  for (const id of ['minimal', 'full'] as const) {
    for (const mode of ['conc-json', 'conc-sse'] as const) {
      const peer = get('portkey', mode)?.load.rps
      const m = get(id, mode)
      const times = m && peer ? m.load.rps / peer : undefined
      out.push({
        what: `${CONTENDER_LABELS[id]}: throughput ≥ 5x Portkey's (${mode === 'conc-json' ? 'JSON' : 'SSE'}, ${report.options.connections} connections)`,
        measured:
          times === undefined ? 'not measured' : `${num(times, 1)}x (${num(m?.load.rps)} vs ${num(peer)} req/s)`,
        met: times === undefined ? undefined : times >= 5,
      })
    }
  }
  for (const id of ['minimal', 'full'] as const) {
    for (const [q, limit] of [
      ['p50', 0.5],
      ['p99', 2],
    ] as const) {
      const floor = floorReference(report.results, 'rate-json', (m) => m.load.latency[q])
      const m = get(id, 'rate-json')
      const added = m && floor !== undefined ? m.load.latency[q] - floor : undefined
      out.push({
        what: `${CONTENDER_LABELS[id]}: added latency at ${report.options.rate} req/s, ${q} < ${limit} ms (JSON)`,
        measured:
          added === undefined
            ? 'not measured'
            : `${signed(added)} ms (${num(m?.load.latency[q], 2)} vs ${num(floor, 2)})`,
        met: added === undefined ? undefined : added < limit,
      })
    }
  }
  for (const id of ['minimal', 'full'] as const) {
    for (const mode of ['seq-sse', 'rate-sse'] as const) {
      const floor = floorReference(report.results, mode, (m) => m.load.ttfb?.p50 ?? Number.NaN)
      const m = get(id, mode)
      const added = m?.load.ttfb && floor !== undefined ? m.load.ttfb.p50 - floor : undefined
      const where = mode === 'seq-sse' ? 'one request at a time' : `at ${report.options.rate} req/s`
      out.push({
        what: `${CONTENDER_LABELS[id]}: streaming TTFT overhead < 1 ms (p50, ${where})`,
        measured:
          added === undefined
            ? 'not measured'
            : `${signed(added)} ms (${num(m?.load.ttfb?.p50, 2)} vs ${num(floor, 2)})`,
        met: added === undefined ? undefined : added < 1,
      })
    }
  }
  for (const id of ['minimal', 'full'] as const) {
    const result = report.results.find((r) => r.id === id)
    const peaks = Object.values(result?.measurements ?? {}).map((m) => m.peakRss)
    const peak = peaks.length > 0 ? Math.max(...peaks) : undefined
    out.push({
      what: `${CONTENDER_LABELS[id]}: RSS < 150 MB (peak under load, any mode)`,
      measured: peak === undefined ? 'not measured' : `${num(peak / MB)} MB`,
      met: peak === undefined ? undefined : peak < 150 * MB,
    })
  }
  return out
}

function summaryTable(report: RunReport): string {
  const floorOf = (mode: ModeId, pick: (m: Measurement) => number) => floorReference(report.results, mode, pick)
  const refs = {
    rpsJson: floorOf('conc-json', (m) => m.load.rps),
    rpsSse: floorOf('conc-sse', (m) => m.load.rps),
    cpuJson: floorOf('conc-json', (m) => m.cpuPerRequestUs),
    cpuSse: floorOf('conc-sse', (m) => m.cpuPerRequestUs),
    p50: floorOf('rate-json', (m) => m.load.latency.p50),
    p99: floorOf('rate-json', (m) => m.load.latency.p99),
    ttft: floorOf('seq-sse', (m) => m.load.ttfb?.p50 ?? Number.NaN),
  }
  const rows = report.results
    .filter((r) => r.id !== 'direct' && !r.label)
    .map((r) => {
      const m = r.measurements
      const peaks = Object.values(m).map((x) => x.peakRss)
      return `| ${label(r)} | ${ratio(m['conc-json']?.load.rps, refs.rpsJson)} | ${ratio(m['conc-sse']?.load.rps, refs.rpsSse)} | ${ratio(m['conc-json']?.cpuPerRequestUs, refs.cpuJson)} | ${ratio(m['conc-sse']?.cpuPerRequestUs, refs.cpuSse)} | ${signed(minus(m['rate-json']?.load.latency.p50, refs.p50))} / ${signed(minus(m['rate-json']?.load.latency.p99, refs.p99))} | ${signed(minus(m['seq-sse']?.load.ttfb?.p50, refs.ttft))} | ${peaks.length > 0 ? num(Math.max(...peaks) / MB) : '–'} |`
    })
  return [
    `| contender | throughput JSON × floor | throughput SSE × floor | CPU/answer JSON × floor | CPU/answer SSE × floor | added latency p50 / p99 at ${report.options.rate} req/s, ms | added TTFT p50 (one at a time), ms | peak RSS MB |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...rows,
  ].join('\n')
}

function memoryTable(report: RunReport): string {
  const floorStart = mean(report.results.filter((r) => r.id === 'floor').map((r) => r.startRss ?? Number.NaN))
  const floorPeak = mean(
    report.results
      .filter((r) => r.id === 'floor')
      .map((r) => Math.max(...Object.values(r.measurements).map((m) => m.peakRss))),
  )
  const rows = report.results
    .filter((r) => r.id !== 'direct')
    .map((r) => {
      const peaks = Object.values(r.measurements).map((m) => m.peakRss)
      const peak = peaks.length > 0 ? Math.max(...peaks) : undefined
      return `| ${label(r)} | ${num((r.startRss ?? Number.NaN) / MB)} | ${ratio(r.startRss, floorStart)} | ${num((peak ?? Number.NaN) / MB)} | ${ratio(peak, floorPeak)} |`
    })
  return [
    '| contender | RSS after start MB | × floor | peak RSS under load MB | × floor |',
    '|---|--:|--:|--:|--:|',
    ...rows,
  ].join('\n')
}

function floorDrift(report: RunReport): string {
  const floors = report.results.filter((r) => r.id === 'floor')
  if (floors.length < 2) return ''
  const [first, last] = [floors[0] as ContenderResult, floors[floors.length - 1] as ContenderResult]
  const lines = report.modes.flatMap((mode) => {
    const a = first.measurements[mode.id]
    const b = last.measurements[mode.id]
    if (!a || !b) return []
    const change = (x: number, y: number) => `${signed(((y - x) / x) * 100, 0)}%`
    return [
      `| ${mode.id} | ${num(a.load.rps)} → ${num(b.load.rps)} (${change(a.load.rps, b.load.rps)}) | ${num(a.cpuPerRequestUs)} → ${num(b.cpuPerRequestUs)} (${change(a.cpuPerRequestUs, b.cpuPerRequestUs)}) | ${num(a.load.latency.p50, 2)} → ${num(b.load.latency.p50, 2)} |`,
    ]
  })
  return [
    'The floor runs first and again last; ratios use the mean of both runs. How much it moved',
    'between the two is the noise floor of this machine for every ratio above:',
    '',
    '| mode | req/s first → last | CPU µs/req first → last | p50 ms first → last |',
    '|---|---|---|---|',
    ...lines,
  ].join('\n')
}

export function renderReport(report: RunReport): string {
  const { options } = report
  const modes = (kind: 'concurrency' | 'rate', sequential: boolean) =>
    report.modes.filter((m) => m.kind === kind && (kind === 'concurrency' || (m.rate === 0) === sequential))
  const failures = report.results.filter((r) => r.error)
  const targetRows = targets(report).map(
    (t) => `| ${t.what} | ${t.measured} | ${t.met === undefined ? '–' : t.met ? 'met' : '**missed**'} |`,
  )
  const commands = report.results
    .filter((r, i, all) => all.findIndex((o) => o.id === r.id) === i)
    .map((r) => `  - ${CONTENDER_LABELS[r.id]}: \`${r.command}\`${r.version ? ` (version ${r.version})` : ''}`)

  return `# Benchmark results

Produced by \`${report.command}\` on ${report.date} (${report.minutes.toFixed(1)} min). Every ratio is
against the floor (a bare node:http + undici pass-through) measured in the same run, on the
same mock upstream, with the same load. Numbers are measured, never asserted in tests.

## Machine

${report.machine.map((line) => `- ${line}`).join('\n')}

## Versions

${report.versions.map((line) => `- ${line}`).join('\n')}

## Targets

| target | measured | |
|---|---|---|
${targetRows.join('\n')}

Added latency is the contender's percentile minus the floor's at the same rate (a difference of
percentiles, not a percentile of differences); TTFT is the time to the first byte of the answer's
body (the first SSE frame) seen by the client. The RSS rows here are the peak at saturation, a
stricter reading than the issue's target (RSS < 150 MB after 10 minutes at load, no upward trend),
which \`npm run bench -- --soak 10\` measures and judges in [SOAK.md](SOAK.md).

## Summary

Throughput at ${options.connections} connections; CPU time per answer in the same measurements (the steadiest
number on a shared 2-core machine); latency and TTFT added over the floor; the highest peak RSS
of any mode.

${summaryTable(report)}
${failures.length > 0 ? `\n${failures.map((r) => `**${label(r)} not measured:** ${r.error}`).join('\n\n')}\n` : ''}
## Throughput at a fixed concurrency

Closed loop: each of the ${options.connections} connections sends its next request when the previous
answer is complete. CPU is the process's user + system time (all threads, from
\`/proc/<pid>/stat\`) over the measurement, per 2xx answer; the shares are of one core
(this machine has ${report.machine.find((l) => l.startsWith('CPU'))?.match(/x(\d+)/)?.[1] ?? '?'}; upstream and load generator share them with the contender).
Peak RSS is the kernel's high-water mark (VmHWM, reset before each measurement).

${modes('concurrency', false)
  .map((mode) => throughputTable(report, mode))
  .join('\n\n')}

## Latency at a fixed rate

Open loop: requests leave at even intervals whatever the answers do; latency is measured per
request from the moment it is handed to the client pool (µs resolution). "lag" is how late the
load generator sent requests behind schedule (its own health; high values mean the numbers are
suspect).

${modes('rate', false)
  .map((mode) => latencyTable(report, mode))
  .join('\n\n')}

## One request at a time

No concurrency: what one request costs a contender that is otherwise idle.

${modes('rate', true)
  .map((mode) => latencyTable(report, mode))
  .join('\n\n')}

## Memory

${memoryTable(report)}
${report.memoryNotes?.length ? `\n${report.memoryNotes.join('\n')}\n` : ''}
${floorDrift(report)}

## Peer: Portkey

${report.peerNotes.join('\n')}

## How this was measured

- Every contender, the mock upstream and the load generator run in processes of their own,
  on 127.0.0.1 with ephemeral ports; each contender is checked first (one JSON and one SSE
  request must come back complete and reach the upstream exactly once), warmed up
  (${options.warmupS} s of each concurrency mode), then measured mode by mode.
- Every process runs plain JavaScript: before the run, core/ and bench/ are transpiled with
  TypeScript's \`transpileModule\` into bench/.tmp/build (bench/lib/build.ts), as production runs
  compiled output (tsx's loader alone costs a process 30-40 MB of RSS).
- Mock upstream: \`node bench/.tmp/build/bench/upstream.js\` (node:http; prepared answers; the
  latency is the delay before the first byte; SSE frames are written back to back).
- Load generator: \`node bench/.tmp/build/bench/load.js\`: autocannon ${report.versions.find((v) => v.startsWith('autocannon'))?.split(' ')[1] ?? ''} for the
  concurrency modes; for the fixed rate and one-at-a-time modes an undici client of its own
  (autocannon's \`overallRate\` sends each connection's quota for a second back to back and then
  pauses, i.e. bursts; its coordinated-omission correction uses an expected interval of
  \`ceil(1 / rate)\` = 1 ms, and its latency histogram has 1 ms resolution).
- Contenders:
${commands.join('\n')}
- Gateway configs: \`bench/configs/minimal.config.ts\` and \`bench/configs/full.config.ts\`. Log level
  **${report.logLevel}** for both gateway configs (\`--log-level\`), stdout of every contender
  to /dev/null: at \`warn\` the gateway writes no line per request (its request line is \`info\`).
- Request: a chat completion with a system prompt and a ~700-character user message
  (\`bench/lib/measure.ts\`), \`"stream": true\` added for SSE; the same bytes to every contender.

## JSONata policies per request

${report.policy.rules} typical rules (caps, denials by team and model, tags, routing by
metadata and time, a prompt-length check), compiled once as the gateway
compiles them, then evaluated in full with their actions over a typical chat
request, ${report.policy.requests.toLocaleString('en')} times after a warm-up
(\`bench/policies.ts\`).

| per request | µs |
|---|---|
| mean | ${report.policy.meanMicros.toFixed(1)} |
| p50 | ${report.policy.p50Micros.toFixed(1)} |
| p99 | ${report.policy.p99Micros.toFixed(1)} |

Target: 10 rules add < 100 µs (0.1 ms) per request.

## Secrets scan per prompt

The secrets plugin's request scan (59 rules, action \`block\`) over a realistic
${report.secrets.promptBytes.toLocaleString('en')}-byte prompt with no secret in it (code, URLs, words like
"token" and "password"), ${report.secrets.runs.toLocaleString('en')} runs (\`bench/secrets.ts\`).

| | µs |
|---|---|
| per 4 KB (median of batch means) | ${report.secrets.microsPer4kb.toFixed(1)} |
| mean per prompt | ${report.secrets.meanMicros.toFixed(1)} |
| p50 per prompt | ${report.secrets.p50Micros.toFixed(1)} |
| p99 per prompt | ${report.secrets.p99Micros.toFixed(1)} |

Target: < 100 µs per 4 KB prompt.
`
}
