/**
 * `npm run bench`: the gateway against a bare pass-through (the floor), bare
 * Express, and the Portkey gateway, on one mock upstream, in one run, with
 * every number also given as a ratio to the floor. Writes bench/RESULTS.md
 * (with the JSONata policy cost from bench/policies.ts).
 *
 *   npm run bench -- --duration 10 --connections 50 --rate 500 --latency 20
 *   npm run bench -- --only floor,minimal,full --no-peer
 *   npm run bench -- --soak 10          # full chain at a fixed rate, RSS over time -> bench/SOAK.md
 *   npm run bench -- --profile full     # CPU profile under load -> bench/PROFILE.md
 *
 * Speed is measured here, never asserted in tests. See bench/README.md.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildForBench, built } from './lib/build.js'
import {
  CONTENDER_IDS,
  type ContenderId,
  ContenderUnavailable,
  makeTmpDir,
  type RunningContender,
  startContender,
} from './lib/contenders.js'
import { type Bench, type Mode, measureQuietly, verify, waitForQuiet, warmUp } from './lib/measure.js'
import { Child, REPO_ROOT, rssBytes } from './lib/proc.js'
import { runProfile } from './lib/profile.js'
import { type ContenderResult, type RunReport, renderReport } from './lib/report.js'
import { runSoak } from './lib/soak.js'
import { PORTKEY_INSTALL, PORTKEY_VERSION } from './peer/portkey.js'
import { benchPolicies } from './policies.js'
import { benchSecrets } from './secrets.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '500' },
    latency: { type: 'string', default: '20' },
    chunks: { type: 'string', default: '20' },
    'log-level': { type: 'string', default: 'warn' },
    only: { type: 'string' },
    modes: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    soak: { type: 'string' },
    render: { type: 'boolean', default: false },
    profile: { type: 'string' },
    out: { type: 'string' },
    retries: { type: 'string', default: '1' },
    'quiet-wait': { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
})

if (args.help) {
  process.stdout.write(readFileSync(new URL('./README.md', import.meta.url), 'utf8'))
  process.exit(0)
}

const positive = (name: string, value: string | undefined, allowZero = false): number => {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    process.stderr.write(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}\n`)
    process.exit(2)
  }
  return n
}

const options = {
  durationS: positive('duration', args.duration),
  warmupS: positive('warmup', args.warmup, true),
  connections: positive('connections', args.connections),
  rate: positive('rate', args.rate),
  latencyMs: positive('latency', args.latency, true),
  chunks: positive('chunks', args.chunks),
}
const logLevel = args['log-level'] as string
const quiet = {
  retries: positive('retries', args.retries, true),
  quietWaitS: positive('quiet-wait', args['quiet-wait'], true),
}
const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
const tmpDir = makeTmpDir()
if (!args.render) log(`transpiled ${buildForBench()} files of core/ and bench/ into bench/.tmp/build`)

async function startBench(): Promise<Bench> {
  const upstream = await Child.start({
    name: 'upstream',
    args: [built('bench/upstream.ts'), '--chunks', String(options.chunks)],
  })
  const load = await Child.start({ name: 'load', args: [built('bench/load.ts')] })
  return { upstream, load }
}

function machine(): string[] {
  const cpus = os.cpus()
  let distro = ''
  try {
    distro = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? ''
  } catch {}
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'} x${cpus.length}`,
    `RAM: ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `Node ${process.version}`,
    `OS: ${[distro, `${os.type()} ${os.release()}`].filter(Boolean).join(', ')}`,
  ]
}

function packageVersion(name: string, base = REPO_ROOT): string {
  try {
    return (JSON.parse(readFileSync(join(base, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version
  } catch {
    return 'not installed'
  }
}

function versions(): string[] {
  let commit = ''
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'core'], { cwd: REPO_ROOT, encoding: 'utf8' })
    if (dirty.trim()) commit += ' + uncommitted changes in core/'
  } catch {}
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
  const deps = ['express', 'undici', 'pino', 'prom-client', 'jsonata', 'keyv', 'ajv', 'gpt-tokenizer', 'typescript']
  return [
    `${own.name} ${own.version}${commit ? ` (git ${commit})` : ''}, transpiled to bench/.tmp/build and run with node`,
    deps.map((name) => `${name} ${packageVersion(name)}`).join(', '),
    `autocannon ${packageVersion('autocannon')}`,
  ]
}

const allModes: Mode[] = [
  { id: 'conc-json', kind: 'concurrency', stream: false, latencyMs: 0, durationS: 0, connections: 0, rate: 0 },
  { id: 'conc-sse', kind: 'concurrency', stream: true, latencyMs: 0, durationS: 0, connections: 0, rate: 0 },
  { id: 'rate-json', kind: 'rate', stream: false, latencyMs: options.latencyMs, durationS: 0, connections: 0, rate: 0 },
  { id: 'rate-sse', kind: 'rate', stream: true, latencyMs: options.latencyMs, durationS: 0, connections: 0, rate: 0 },
  { id: 'seq-json', kind: 'rate', stream: false, latencyMs: 0, durationS: 0, connections: 0, rate: 0 },
  { id: 'seq-sse', kind: 'rate', stream: true, latencyMs: 0, durationS: 0, connections: 0, rate: 0 },
].map((mode) => {
  const sequential = mode.id.startsWith('seq')
  return {
    ...(mode as Mode),
    durationS: sequential ? Math.max(1, Math.round(options.durationS / 2)) : options.durationS,
    connections: options.connections,
    rate: mode.kind === 'rate' && !sequential ? options.rate : 0,
  }
})

function selectedModes(): Mode[] {
  const only = args.modes?.split(',').map((s) => s.trim())
  for (const id of only ?? [])
    if (!allModes.some((m) => m.id === id)) {
      process.stderr.write(`--modes: unknown mode ${id} (one of ${allModes.map((m) => m.id).join(', ')})\n`)
      process.exit(2)
    }
  return allModes.filter((m) => !only || only.includes(m.id))
}
const modes = selectedModes()

function selectedContenders(): ContenderId[] {
  const only = args.only?.split(',').map((s) => s.trim())
  for (const id of only ?? [])
    if (!CONTENDER_IDS.includes(id as ContenderId)) {
      process.stderr.write(`--only: unknown contender ${id} (one of ${CONTENDER_IDS.join(', ')})\n`)
      process.exit(2)
    }
  const ids = CONTENDER_IDS.filter((id) => !only || only.includes(id))
  return args['no-peer'] ? ids.filter((id) => id !== 'portkey') : ids
}

interface Entry {
  key: string
  id: ContenderId
  running: RunningContender
  result: ContenderResult
}

/** Starts a contender, checks it answers correctly, and warms it up. */
async function prepare(
  bench: Bench,
  id: ContenderId,
): Promise<{ running?: RunningContender; result: ContenderResult }> {
  const result: ContenderResult = { id, command: '', measurements: {} }
  let running: RunningContender | undefined
  try {
    log(`${id}: starting`)
    running = await startContender(id, { upstream: bench.upstream, logLevel, tmpDir, log })
    result.command = running.command
    result.version = running.version
    await verify(bench, running, options.chunks)
    result.startRss = rssBytes(running.pid)
    await warmUp(
      bench,
      running,
      modes.filter((m) => m.kind === 'concurrency'),
      options.warmupS,
    )
    return { running, result }
  } catch (error) {
    result.error =
      error instanceof ContenderUnavailable ? error.message : ((error as Error).stack ?? String(error)).slice(0, 2_000)
    log(`${id}: FAILED ${result.error}`)
    await running?.stop()
    return { result }
  }
}

async function main(): Promise<void> {
  const started = Date.now()
  const bench = await startBench()
  await waitForQuiet(bench, quiet.quietWaitS, log)
  log('JSONata policy cost (bench/policies.ts)')
  const policy = await benchPolicies()
  log('secrets scan cost (bench/secrets.ts)')
  const secrets = await benchSecrets()
  const ids = selectedContenders()
  const results: ContenderResult[] = []
  const entries: Entry[] = []
  // Every contender is started (and warmed up) first, then each mode measures them one after the
  // other, so that the numbers compared in a table were taken minutes apart at most.
  for (const id of ids) {
    const { running, result } = await prepare(bench, id)
    results.push(result)
    if (running) entries.push({ key: id, id, running, result })
  }
  const floor = entries.find((e) => e.id === 'floor')
  if (floor && entries.length > 2) {
    const again: ContenderResult = { ...floor.result, label: 'floor, again (last)', measurements: {} }
    results.push(again)
    entries.push({ ...floor, key: 'floor-again', result: again })
  }
  for (const mode of modes) {
    for (const entry of entries) {
      if (entry.result.error) continue
      try {
        const m = await measureQuietly(bench, entry.running, mode, quiet, log)
        entry.result.measurements[mode.id] = m
        const ttft = m.load.ttfb ? ` ttft p50 ${m.load.ttfb.p50.toFixed(2)} ms` : ''
        log(
          `${entry.key} ${mode.id}: ${m.load.rps.toFixed(0)} req/s p50 ${m.load.latency.p50.toFixed(2)} ms p99 ${m.load.latency.p99.toFixed(2)} ms${ttft} cpu ${m.cpuPerRequestUs.toFixed(0)} µs/req peak ${(m.peakRss / 2 ** 20).toFixed(0)} MB other ${m.otherCores.toFixed(2)} cores`,
        )
      } catch (error) {
        entry.result.error = `failed during ${mode.id}: ${((error as Error).stack ?? String(error)).slice(0, 2_000)}`
        log(`${entry.key}: FAILED ${entry.result.error}`)
      }
    }
  }
  for (const entry of entries) await entry.running.stop()
  await Promise.all([bench.upstream.stop(), bench.load.stop()])

  const portkey = results.find((r) => r.id === 'portkey')
  const peerNotes = [
    `\`@portkey-ai/gateway@${PORTKEY_VERSION}\`, the published npm package, installed for the benchmark only with`,
    `\`npm ${PORTKEY_INSTALL.join(' ')}\` (bench/.peer, gitignored; its engines field is empty and it`,
    'installs under engine-strict on Node 20). It runs as `start-server.js --headless` with',
    '`NODE_ENV=production` and bench/peer/listen-local.ts preloaded, which makes its server listen on',
    '127.0.0.1 on an ephemeral port (its CLI only takes `--port=N` and listens on every interface). It',
    'is pointed at the mock upstream per request with `x-portkey-provider: openai` and',
    '`x-portkey-custom-host: <upstream>/v1` (plus a dummy `Authorization` key), no config, no cache, no',
    "retries: Portkey's pass-through path. No outside network is needed.",
    '',
    '@hono/node-server is pinned to 1.14.1 (and @hono/node-ws to 1.2.0, whose peer range accepts it):',
    "with the 1.19.x that Portkey's `^1.3.3` range resolves to today, every streamed chat completion",
    'fails with 500 "Something went wrong" (`TypeError: immutable` in its `updateHeaders`; Portkey-AI/gateway',
    'issue #1389). JSON answers work with either.',
  ]
  const pkStream = portkey?.measurements['seq-sse']
  const floorStream = results.find((r) => r.id === 'floor')?.measurements['seq-sse']
  if (pkStream?.load.ttfb && floorStream?.load.ttfb)
    peerNotes.push(
      '',
      `Streams through Portkey, one at a time: TTFT p50 ${pkStream.load.ttfb.p50.toFixed(1)} ms against the floor's ${floorStream.load.ttfb.p50.toFixed(2)} ms.`,
      'A manual check (undici client, chunk arrival times) showed why: Portkey answers the stream in one piece,',
      'status line and the whole body together, 30-40 ms after the request, even though the mock writes',
      'its frames at once. JSON answers through Portkey take about a millisecond.',
    )
  if (!args['no-peer'] && ids.includes('portkey') && portkey?.error)
    peerNotes.push('', `**It did not run in this run:** ${portkey.error}`)
  if (!ids.includes('portkey')) peerNotes.push('', 'Not part of this run (`--no-peer` or `--only`).')

  const input: RunReport = {
    command,
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
    minutes: (Date.now() - started) / 60_000,
    machine: machine(),
    versions: [
      ...versions(),
      ...(portkey?.version ? [`@portkey-ai/gateway ${portkey.version} (peer, bench/.peer)`] : []),
    ],
    options,
    logLevel,
    modes,
    results,
    policy,
    secrets,
    peerNotes,
    memoryNotes: [
      'The o200k tokenizer (gpt-tokenizer) is about 68 MB of RSS (`node -e` loading',
      '`gpt-tokenizer/encoding/o200k_base`: 39 MB before, 107 MB after). The full chain does not load it:',
      'budget reservations start from a UTF-8 byte ceiling on the prompt; the tokenizer is loaded for',
      'tokens-per-minute limits, streams that report no usage, and before a reservation is refused.',
    ],
  }
  writeFileSync(REPORT_DATA, JSON.stringify(input, null, 2))
  writeReport(input)
}

/** The measured data of the last run, from which `--render` writes RESULTS.md again. */
const REPORT_DATA = join(tmpDir, 'report.json')

function writeReport(input: RunReport): void {
  const report = renderReport(input)
  const out = args.out ?? join(REPO_ROOT, 'bench', 'RESULTS.md')
  writeFileSync(out, report)
  log(`wrote ${out} (raw data: ${REPORT_DATA.slice(REPO_ROOT.length)})`)
  process.stdout.write(report)
}

const context = { options, logLevel, log, tmpDir, startBench, machine, versions, command }
export type RunContext = typeof context

if (args.render) writeReport(JSON.parse(readFileSync(REPORT_DATA, 'utf8')) as RunReport)
else if (args.soak !== undefined) await runSoak(context, positive('soak', args.soak))
else if (args.profile !== undefined) await runProfile(context, args.profile)
else await main()
process.exit(0)
