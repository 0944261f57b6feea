/**
 * One measurement: set the upstream up, reset the contender's peak-RSS mark,
 * read the CPU time of the contender, the upstream and the load generator,
 * run the load job, read them again. Everything the report needs comes back
 * in one record.
 */
import { request } from 'undici'
import type { ConcurrencyJob, LoadResult, RateJob } from '../load.js'
import type { UpstreamSettings, UpstreamStats } from '../upstream.js'
import type { RunningContender } from './contenders.js'
import {
  type Child,
  cpuMs,
  peakRssBytes,
  resetPeakRss,
  rssBytes,
  systemCpuMs,
  type TcpCounters,
  tcpCounters,
} from './proc.js'

export type ModeId = 'conc-json' | 'conc-sse' | 'rate-json' | 'rate-sse' | 'seq-json' | 'seq-sse'

export interface Mode {
  id: ModeId
  kind: 'concurrency' | 'rate'
  stream: boolean
  /** Upstream latency before the first byte, ms. */
  latencyMs: number
  durationS: number
  /** concurrency: connections. */
  connections: number
  /** rate: requests per second; 0 = one at a time. */
  rate: number
}

export interface Measurement {
  mode: ModeId
  load: LoadResult
  wallS: number
  /** CPU time used during the measurement, ms. */
  cpuMs: { contender: number; upstream: number; load: number }
  /** Contender CPU time per 2xx answer, µs. */
  cpuPerRequestUs: number
  /** Peak RSS of the contender during the measurement, bytes. */
  peakRss: number
  /** Upstream calls per 2xx answer (1.00 = every answer came from the upstream). */
  upstreamPerRequest: number
  /**
   * Cores used meanwhile by processes outside the bench (other work on the
   * machine) and stolen by the hypervisor: both make the numbers less
   * trustworthy on a shared 2-core machine.
   */
  otherCores: number
  stealCores: number
  /**
   * The machine's TCP counters over the measurement (retransmits, SYN retries,
   * accept-queue overflows); absent in reports from before they were counted.
   */
  tcp?: TcpCounters
  /** How many times the measurement was taken (it is repeated while other load disturbs it). */
  attempts: number
}

/** Cores used by other processes above which a measurement is taken again. */
export const DISTURBED_CORES = 0.25

export interface Bench {
  upstream: Child
  load: Child
}

/** The request every contender gets: a typical chat completion with a system prompt and a ~1 KB user message. */
export function requestBody(stream: boolean): string {
  const conversation = [
    'Customer: Hi, I ordered a pair of running shoes (order 48213) ten days ago and they still have not arrived.',
    'Agent: Sorry to hear that. The tracking shows the parcel left our warehouse on the 3rd.',
    'Customer: The tracking page has not changed since then. I need them for a race on Sunday.',
    'Agent: I have opened an investigation with the carrier and can send a replacement by express delivery today.',
    'Customer: That would be great, thank you. Will I be charged for the express shipping?',
    'Agent: No, the express shipping is on us. You will receive a confirmation email within the hour.',
  ].join('\n')
  return JSON.stringify({
    model: 'bench',
    messages: [
      {
        role: 'system',
        content: 'You are a helpful assistant for the support team of an online shop. Answer briefly and politely.',
      },
      {
        role: 'user',
        content: `Summarise the customer conversation below in three bullet points.\n\n${conversation}`,
      },
    ],
    max_tokens: 256,
    temperature: 0.7,
    ...(stream && { stream: true }),
  })
}

export async function configureUpstream(bench: Bench, settings: Partial<UpstreamSettings>): Promise<void> {
  await bench.upstream.call('configure', settings)
}

/** One JSON and one streamed request through the contender: both must be complete and reach the upstream once. */
export async function verify(bench: Bench, contender: RunningContender, chunks: number): Promise<void> {
  await configureUpstream(bench, { latencyMs: 0, chunkDelayMs: 0 })
  const before = await bench.upstream.call<UpstreamStats>('stats')
  for (const stream of [false, true]) {
    const answer = await request(contender.url, {
      method: 'POST',
      headers: contender.headers,
      body: requestBody(stream),
    })
    const text = await answer.body.text()
    if (answer.statusCode !== 200)
      throw new Error(`${contender.id}: ${stream ? 'stream' : 'JSON'} request got ${answer.statusCode}: ${text}`)
    if (stream) {
      const frames = text.split('\n\n').filter((frame) => frame.includes('"content"'))
      if (!text.includes('data: [DONE]') || frames.length < chunks)
        throw new Error(`${contender.id}: incomplete stream (${frames.length} content frames): ${text.slice(0, 300)}`)
    } else {
      const content = (JSON.parse(text) as { choices?: Array<{ message?: { content?: string } }> }).choices?.[0]
        ?.message?.content
      if (!content?.includes('quick brown fox')) throw new Error(`${contender.id}: unexpected answer ${text}`)
    }
  }
  const after = await bench.upstream.call<UpstreamStats>('stats')
  if (after.requests - before.requests !== 2)
    throw new Error(`${contender.id}: 2 requests made ${after.requests - before.requests} upstream calls`)
}

function jobFor(mode: Mode, contender: RunningContender, durationS = mode.durationS): ConcurrencyJob | RateJob {
  const target = { url: contender.url, headers: contender.headers, body: requestBody(mode.stream) }
  return mode.kind === 'concurrency'
    ? { ...target, connections: mode.connections, durationS }
    : { ...target, rate: mode.rate, durationS }
}

export async function warmUp(bench: Bench, contender: RunningContender, modes: Mode[], seconds: number): Promise<void> {
  if (seconds <= 0) return
  await configureUpstream(bench, { latencyMs: 0 })
  for (const mode of modes.filter((m) => m.kind === 'concurrency'))
    await bench.load.call<LoadResult>('concurrency', jobFor(mode, contender, seconds))
}

/**
 * Waits up to `maxWaitS` until processes outside the bench have used less
 * than DISTURBED_CORES for two seconds in a row (a test suite or a build on
 * a shared machine). Returns false when the machine stayed busy.
 */
export async function waitForQuiet(bench: Bench, maxWaitS: number, log: (line: string) => void): Promise<boolean> {
  const deadline = performance.now() + maxWaitS * 1000
  let quiet = 0
  let said = false
  for (;;) {
    const ours = () => cpuMs(bench.upstream.pid) + cpuMs(bench.load.pid)
    const system = systemCpuMs()
    const before = ours()
    const runner = process.cpuUsage()
    const started = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const self = process.cpuUsage(runner)
    const used = ours() - before + (self.user + self.system) / 1000
    const other = Math.max(0, systemCpuMs().busy - system.busy - used) / (performance.now() - started)
    quiet = other < DISTURBED_CORES ? quiet + 1 : 0
    if (quiet >= 2) return true
    if (performance.now() > deadline) {
      log(`the machine stayed busy (other processes: ${other.toFixed(2)} cores); measuring anyway`)
      return false
    }
    if (!said) log(`other processes use ${other.toFixed(2)} cores; waiting up to ${maxWaitS} s for a quiet machine`)
    said = true
  }
}

/**
 * Waits for a quiet machine, measures, and measures again (up to `retries`
 * more times, waiting again first) while other processes used more than
 * DISTURBED_CORES meanwhile; keeps the least disturbed measurement.
 */
export async function measureQuietly(
  bench: Bench,
  contender: RunningContender,
  mode: Mode,
  settings: { retries: number; quietWaitS: number },
  log: (line: string) => void,
): Promise<Measurement> {
  await waitForQuiet(bench, settings.quietWaitS, log)
  let best = await measure(bench, contender, mode)
  let attempts = 1
  while (best.otherCores > DISTURBED_CORES && attempts <= settings.retries) {
    log(
      `${contender.id} ${mode.id}: other processes used ${best.otherCores.toFixed(2)} cores meanwhile, measuring again`,
    )
    await waitForQuiet(bench, settings.quietWaitS, log)
    const next = await measure(bench, contender, mode)
    attempts++
    if (next.otherCores < best.otherCores) best = next
  }
  return { ...best, attempts }
}

/**
 * Fixed-rate and one-at-a-time measurements follow this many seconds of the
 * same load, not counted: the load generator's connections to the contender,
 * and the contender's to the upstream, are then open and warm, as they are for
 * a proxy in service. Without it the first seconds' connection set-up made
 * most of every contender's p99.
 */
const RATE_LEAD_IN_S = 2

export async function measure(bench: Bench, contender: RunningContender, mode: Mode): Promise<Measurement> {
  await configureUpstream(bench, { latencyMs: mode.latencyMs })
  if (mode.kind === 'rate') await bench.load.call<LoadResult>('rate', jobFor(mode, contender, RATE_LEAD_IN_S))
  const { pid } = contender
  const peakResettable = resetPeakRss(pid)
  let sampledPeak = rssBytes(pid)
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssBytes(pid))
  }, 200)
  const upstreamBefore = await bench.upstream.call<UpstreamStats>('stats')
  const before = { contender: cpuMs(pid), upstream: cpuMs(bench.upstream.pid), load: cpuMs(bench.load.pid) }
  const systemBefore = systemCpuMs()
  const tcpBefore = tcpCounters()
  const runnerBefore = process.cpuUsage()
  const started = performance.now()
  const load = await bench.load.call<LoadResult>(mode.kind, jobFor(mode, contender))
  const wallMs = performance.now() - started
  const wallS = wallMs / 1000
  const after = { contender: cpuMs(pid), upstream: cpuMs(bench.upstream.pid), load: cpuMs(bench.load.pid) }
  const runner = process.cpuUsage(runnerBefore)
  const systemAfter = systemCpuMs()
  const tcpAfter = tcpCounters()
  clearInterval(sampler)
  sampledPeak = Math.max(sampledPeak, rssBytes(pid))
  const upstreamAfter = await bench.upstream.call<UpstreamStats>('stats')
  const used = {
    contender: after.contender - before.contender,
    upstream: after.upstream - before.upstream,
    load: after.load - before.load,
  }
  const ours =
    (pid === bench.upstream.pid ? 0 : used.contender) + used.upstream + used.load + (runner.user + runner.system) / 1000
  return {
    mode: mode.id,
    load,
    wallS,
    cpuMs: used,
    otherCores: Math.max(0, systemAfter.busy - systemBefore.busy - ours) / wallMs,
    stealCores: (systemAfter.steal - systemBefore.steal) / wallMs,
    tcp: {
      retransSegs: tcpAfter.retransSegs - tcpBefore.retransSegs,
      synRetrans: tcpAfter.synRetrans - tcpBefore.synRetrans,
      listenOverflows: tcpAfter.listenOverflows - tcpBefore.listenOverflows,
    },
    attempts: 1,
    cpuPerRequestUs: load.ok > 0 ? (used.contender * 1000) / load.ok : Number.NaN,
    peakRss: peakResettable ? Math.max(peakRssBytes(pid), sampledPeak) : sampledPeak,
    upstreamPerRequest: load.ok > 0 ? (upstreamAfter.requests - upstreamBefore.requests) / load.ok : Number.NaN,
  }
}
