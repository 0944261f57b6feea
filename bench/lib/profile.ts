/**
 * `npm run bench -- --profile minimal,full`: runs each named contender under
 * `node --cpu-prof`, loads it at the fixed concurrency (JSON, then SSE), and
 * summarises the V8 CPU profile for exactly those load windows: the top
 * functions by self time, self and inclusive time by package or source file,
 * and the gateway's own functions by inclusive time. Writes bench/PROFILE.md;
 * the .cpuprofile files stay in bench/.tmp/profiles (open them in Chrome
 * DevTools or speedscope).
 *
 * V8 stamps samples with the monotonic clock, as process.hrtime does, so the
 * runner's load windows select the samples exactly.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadResult } from '../load.js'
import type { RunContext } from '../run.js'
import { CONTENDER_IDS, CONTENDER_LABELS, type ContenderId, startContender } from './contenders.js'
import { configureUpstream, type Mode, requestBody, verify, waitForQuiet, warmUp } from './measure.js'
import { REPO_ROOT } from './proc.js'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n)

/** Where a frame's code lives: a package, a gateway source file, node's internals, or V8 itself. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame
  if (!url) {
    if (functionName.startsWith('(')) return functionName
    return '(native/builtins)'
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/')
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url)
  }
  const root = url.indexOf(REPO_ROOT)
  return root >= 0 ? url.slice(root + REPO_ROOT.length) : url
}

function frameKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)'
  if (!frame.url) return name
  return `${name} ${areaOf(frame)}:${frame.lineNumber + 1}`
}

export interface ProfileSummary {
  busyMs: number
  idleMs: number
  self: Array<[string, number]>
  selfByArea: Array<[string, number]>
  inclusiveByArea: Array<[string, number]>
  inclusiveOwn: Array<[string, number]>
}

/** Self and inclusive times (ms) over the samples taken between `from` and `to` (µs, monotonic clock). */
export function summarise(profile: CpuProfile, from: number, to: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<string, number>()
  const selfArea = new Map<string, number>()
  const inclusiveArea = new Map<string, number>()
  const inclusiveOwn = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms)
  let busy = 0
  let idle = 0
  let time = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0
    if (time < from || time > to) continue
    const ms = (profile.timeDeltas[i + 1] ?? 1000) / 1000
    const node = byId.get(profile.samples[i] as number)
    if (!node) continue
    if (node.callFrame.functionName === '(idle)') {
      idle += ms
      continue
    }
    busy += ms
    add(self, frameKey(node.callFrame), ms)
    add(selfArea, areaOf(node.callFrame), ms)
    const areas = new Set<string>()
    const own = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = (byId.get(id) as ProfileNode).callFrame
      if (frame.functionName === '(root)') continue
      const area = areaOf(frame)
      areas.add(area)
      if (area.startsWith('core/') || area.startsWith('bench/')) own.add(frameKey(frame))
    }
    for (const area of areas) add(inclusiveArea, area, ms)
    for (const key of own) add(inclusiveOwn, key, ms)
  }
  const top = (map: Map<string, number>, n: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  return {
    busyMs: busy,
    idleMs: idle,
    self: top(self, 30),
    selfByArea: top(selfArea, 20),
    inclusiveByArea: top(inclusiveArea, 20),
    inclusiveOwn: top(inclusiveOwn, 30),
  }
}

function table(title: string, rows: Array<[string, number]>, busy: number, answers: number): string {
  const perAnswer = (ms: number) => ((ms * 1000) / Math.max(1, answers)).toFixed(1)
  return [
    `| ${title} | ms | % of busy | µs per answer |`,
    '|---|--:|--:|--:|',
    ...rows.map(
      ([key, ms]) =>
        `| \`${key.replace(/\|/g, '\\|')}\` | ${ms.toFixed(0)} | ${((ms / busy) * 100).toFixed(1)} | ${perAnswer(ms)} |`,
    ),
  ].join('\n')
}

function renderSummary(title: string, summary: ProfileSummary, answers: number): string {
  const { busyMs } = summary
  return `### ${title}

${answers.toLocaleString('en')} answers; busy ${busyMs.toFixed(0)} ms (${((busyMs * 1000) / Math.max(1, answers)).toFixed(0)} µs per answer, profiler on), idle ${summary.idleMs.toFixed(0)} ms.

${table('function (self time)', summary.self, busyMs, answers)}

${table('package or file (self time)', summary.selfByArea, busyMs, answers)}

${table('package or file (inclusive: on the stack)', summary.inclusiveByArea, busyMs, answers)}

${table('gateway and bench functions (inclusive)', summary.inclusiveOwn, busyMs, answers)}
`
}

export async function runProfile(context: RunContext, which: string): Promise<void> {
  const { options, log } = context
  const ids = (which.trim() ? which.split(',').map((s) => s.trim()) : ['minimal', 'full']) as ContenderId[]
  for (const id of ids)
    if (!CONTENDER_IDS.includes(id) || id === 'direct') throw new Error(`--profile: cannot profile '${id}'`)
  const dir = join(context.tmpDir, 'profiles')
  mkdirSync(dir, { recursive: true })
  const bench = await context.startBench()
  const sections: string[] = []
  const loads: Mode[] = [
    {
      id: 'conc-json',
      kind: 'concurrency',
      stream: false,
      latencyMs: 0,
      durationS: options.durationS,
      connections: options.connections,
      rate: 0,
    },
    {
      id: 'conc-sse',
      kind: 'concurrency',
      stream: true,
      latencyMs: 0,
      durationS: options.durationS,
      connections: options.connections,
      rate: 0,
    },
  ]
  try {
    for (const id of ids) {
      const name = `${id}.cpuprofile`
      rmSync(join(dir, name), { force: true })
      const contender = await startContender(id, {
        upstream: bench.upstream,
        logLevel: context.logLevel,
        tmpDir: context.tmpDir,
        log,
        nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name],
      })
      const windows: Array<{ mode: Mode; from: number; to: number; load: LoadResult }> = []
      try {
        await verify(bench, contender, options.chunks)
        await warmUp(bench, contender, loads, options.warmupS)
        await configureUpstream(bench, { latencyMs: 0 })
        for (const mode of loads) {
          await waitForQuiet(bench, 20, log)
          log(`profile ${id} ${mode.id}: ${mode.durationS} s`)
          const from = nowMicros()
          const load = await bench.load.call<LoadResult>('concurrency', {
            url: contender.url,
            headers: contender.headers,
            body: requestBody(mode.stream),
            connections: mode.connections,
            durationS: mode.durationS,
          })
          windows.push({ mode, from, to: nowMicros(), load })
        }
      } finally {
        await contender.stop()
      }
      const file = readdirSync(dir).find((f) => f === name)
      if (!file) throw new Error(`${id}: no profile was written in ${dir}`)
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
      sections.push(`## ${CONTENDER_LABELS[id]}\n\n\`${contender.command}\`, profile: \`bench/.tmp/profiles/${name}\``)
      for (const w of windows) {
        const what = w.mode.stream ? `SSE (${options.chunks} chunks)` : 'JSON'
        sections.push(
          renderSummary(
            `${what}, ${w.mode.connections} connections, ${w.mode.durationS} s: ${w.load.rps.toFixed(0)} req/s under the profiler`,
            summarise(profile, w.from, w.to),
            w.load.ok,
          ),
        )
      }
    }
  } finally {
    await Promise.all([bench.upstream.stop(), bench.load.stop()])
  }
  const report = `# CPU profiles under load

Produced by \`${context.command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')}.
${context.machine().join('; ')}. ${context.versions()[0]}. Log level ${context.logLevel}.

Each contender ran under \`node --cpu-prof\` (sampling every 1 ms) with the mock upstream at 0 ms
latency; only the samples taken during each load window are counted (not start-up or warm-up).
"Self" is time in the function itself; "inclusive" is time with the function (or package) anywhere
on the stack; a stack only goes back to the last \`await\` or event, so inclusive time shows what
runs synchronously under a function (\`node:async_hooks\` is inclusive of nearly everything only
because raw-body calls the route handler through \`runInAsyncScope\`). Files are the transpiled
copies in bench/.tmp/build, line numbers close to the sources'. "(program)" is native work outside
JavaScript (HTTP parsing, libuv), \`writev\` the socket writes (the kernel's loopback TCP included),
"(garbage collector)" is GC.

${sections.join('\n\n')}`
  const out = join(REPO_ROOT, 'bench', 'PROFILE.md')
  writeFileSync(out, report)
  log(`wrote ${out}`)
  process.stdout.write(report)
}
