/**
 * Child processes for the benchmark: each contender, the mock upstream and
 * the load generator run in their own process, so the CPU time and memory of
 * one can be read without the others (from /proc, which needs nothing from
 * the child). Every child is killed when the runner exits, however it exits.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const children = new Set<ChildProcess>()

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.pid) child.kill('SIGKILL')
}

process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping the children\n`)
    killAll()
    process.exit(130)
  })
}

export interface ChildOptions {
  /** Shown in messages. */
  name: string
  /** Arguments after `node` (the script and its arguments, and node flags before them). */
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** How long to wait for the child's `{ type: 'ready', port }` message. */
  readyTimeoutMs?: number
}

/** A child process speaking the bench's IPC protocol: `{ type: 'ready', port }` once it listens. */
export class Child {
  readonly name: string
  readonly command: string
  readonly process: ChildProcess
  port = 0
  #stderr = ''
  #nextId = 1
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()

  private constructor(options: ChildOptions, child: ChildProcess) {
    this.name = options.name
    this.command = `node ${options.args.join(' ')}`
    this.process = child
    child.stderr?.on('data', (data: Buffer) => {
      this.#stderr = (this.#stderr + data.toString()).slice(-8_000)
    })
    child.on('message', (message: { type?: string; id?: number; result?: unknown; error?: string }) => {
      if (message.type !== 'reply' || message.id === undefined) return
      const waiter = this.#pending.get(message.id)
      if (!waiter) return
      this.#pending.delete(message.id)
      if (message.error) waiter.reject(new Error(`${this.name}: ${message.error}`))
      else waiter.resolve(message.result)
    })
    child.on('exit', (code, signal) => {
      children.delete(child)
      for (const waiter of this.#pending.values())
        waiter.reject(new Error(`${this.name} exited (${code ?? signal}) ${this.#stderr.slice(-2_000)}`))
      this.#pending.clear()
    })
  }

  static async start(options: ChildOptions): Promise<Child> {
    const child = spawn(process.execPath, options.args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      // stdout goes to /dev/null: contenders log there (the same for all of them).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    children.add(child)
    const handle = new Child(options, child)
    handle.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start in time: ${handle.#stderr}`)),
        options.readyTimeoutMs ?? 60_000,
      )
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'ready' && typeof message.port === 'number') {
          clearTimeout(timer)
          resolve(message.port)
        }
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${options.name} exited before it was ready (${code ?? signal}):\n${handle.#stderr}`))
      })
    })
    return handle
  }

  get pid(): number {
    return this.process.pid as number
  }

  get stderr(): string {
    return this.#stderr
  }

  /** Sends a request over IPC; the child answers `{ type: 'reply', id, result | error }`. */
  call<T>(method: string, params: unknown = {}): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.process.send({ type: 'call', id, method, params })
    })
  }

  /** SIGTERM, then SIGKILL if the child has not exited within `graceMs` (profiles are written on a clean exit). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()))
    this.process.kill('SIGTERM')
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
}

let clockTicks: number | undefined

/** Kernel clock ticks per second (utime/stime unit in /proc/<pid>/stat). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may contain spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1000) / ticksPerSecond()
}

function statusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : 0
}

/** Resident set size now, bytes. */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS')
}

/** Peak resident set size since start or since the last `resetPeakRss`, bytes. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM')
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false where the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/**
 * CPU time the whole machine has spent so far, ms (summed over cores): busy
 * (user, nice, system, irq, softirq) and stolen by the hypervisor.
 */
export function systemCpuMs(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[]
  const ms = (ticks: number | undefined) => ((ticks ?? 0) * 1000) / ticksPerSecond()
  return {
    busy: ms((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)),
    steal: ms(steal),
  }
}

export interface TcpCounters {
  /** Segments sent again (any cause). */
  retransSegs: number
  /** Connection attempts whose SYN was sent again: a client waited 1 s or more to connect. */
  synRetrans: number
  /** Connections dropped because a listener's accept queue was full. */
  listenOverflows: number
}

/**
 * The kernel's TCP counters for the whole machine (/proc/net/snmp and
 * /proc/net/netstat): a latency outlier of a second or more with a quiet
 * event loop points at connection set-up, which these count.
 */
export function tcpCounters(): TcpCounters {
  const fields = new Map<string, number>()
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    const lines = readFileSync(file, 'utf8').split('\n')
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = (lines[i] as string).split(/\s+/)
      const values = (lines[i + 1] as string).split(/\s+/)
      const prefix = names[0]
      for (let k = 1; k < names.length; k++) fields.set(`${prefix}${names[k]}`, Number(values[k]))
    }
  }
  return {
    retransSegs: fields.get('Tcp:RetransSegs') ?? 0,
    synRetrans: fields.get('TcpExt:TCPSynRetrans') ?? 0,
    listenOverflows: fields.get('TcpExt:ListenOverflows') ?? 0,
  }
}
