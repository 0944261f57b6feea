/**
 * Batching, spooling and replay shared by the audit sinks.
 *
 * `onComplete` only calls `enqueue` (synchronous, never waits on a sink). A
 * single-flight drain loop sends batches of `batchSize` records, every
 * `flushIntervalMs` or as soon as a batch is full. When the sink fails, the
 * failed batch and everything queued behind it are appended to a spool file
 * (`<spoolDir>/<sink>.spool.jsonl`, one record a line) and the sink is retried
 * with exponential backoff. While the spool holds records, new records go
 * behind them, and the spool is replayed first: records reach the sink in the
 * order they were enqueued. Progress through the spool is a byte offset kept
 * in `<sink>.spool.offset` and written after each batch the sink accepted, so
 * a replay sends each record once (a crash between a write and the offset
 * update can resend one batch: sinks dedupe on the record's `id`). The spool
 * survives restarts: a new process replays what an old one left behind.
 *
 * Bound: the unsent part of the spool is at most `spoolMaxBytes`. Records that
 * do not fit are dropped (the newest: the spool is append-only), counted in
 * `<plugin>_dropped_total` and logged as errors. The spool's size in records
 * is the gauge `<plugin>_spool_records`.
 *
 * One queue per sink target in a process: during a reload the new runtime's
 * queue waits for the old one's `close()` (which flushes) before touching the
 * sink or the spool, so the two never interleave.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { appendFile, open, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import type { PluginApi } from '../../core/index.js'

export interface QueueOptions {
  /** Records per write (default 100). */
  batchSize?: number
  /** Longest a record waits before a write is attempted (default 1000 ms). */
  flushIntervalMs?: number
  /** Directory for the spool file (relative: to the config's directory; default `.audit-spool`). */
  spoolDir?: string
  /** Largest unsent spool, in bytes (default 64 MiB). */
  spoolMaxBytes?: number
  /** First wait before retrying a failed sink (default 500 ms); doubles up to `retryMaxMs` (default 30 s). */
  retryMinMs?: number
  retryMaxMs?: number
}

export const QUEUE_OPTIONS_SCHEMA = {
  batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'Records per write.' },
  flushIntervalMs: {
    type: 'integer',
    minimum: 1,
    default: 1000,
    description: 'Longest a record waits in memory before a write is attempted.',
  },
  spoolDir: {
    type: 'string',
    minLength: 1,
    default: '.audit-spool',
    description: "Where records wait while the sink is down (relative to the config's directory).",
  },
  spoolMaxBytes: {
    type: 'integer',
    minimum: 1024,
    default: 64 * 1024 * 1024,
    description: 'Bound on the unsent spool; newer records that do not fit are dropped and counted.',
  },
  retryMinMs: { type: 'integer', minimum: 1, default: 500, description: 'First retry delay after a failure.' },
  retryMaxMs: { type: 'integer', minimum: 1, default: 30000, description: 'Longest retry delay.' },
} as const

export interface SinkTarget<T> {
  /** Names the spool files and the metric label, e.g. `audit-postgres`. */
  name: string
  /** Sinks writing to the same place share this key (a file path, a URL): one queue at a time per key. */
  lockKey: string
  /** Writes one batch; throws when the sink did not take it (the batch is then spooled and retried). */
  write(batch: T[]): Promise<void>
}

const LOCKS = Symbol.for('llm-gateway.audit-shared.locks')
type LockTable = Map<string, Promise<void>>

/** Waits for the previous holder of `key` in this process; returns the release function. */
function acquire(key: string): { ready: Promise<void>; release: () => void } {
  const holder = globalThis as unknown as Record<symbol, LockTable | undefined>
  holder[LOCKS] ??= new Map()
  const table = holder[LOCKS]
  const previous = table.get(key) ?? Promise.resolve()
  let release!: () => void
  const mine = new Promise<void>((resolve) => {
    release = resolve
  })
  const chained = previous.then(() => mine)
  table.set(key, chained)
  return {
    ready: previous,
    release: () => {
      release()
      if (table.get(key) === chained) table.delete(key)
    },
  }
}

/** An append-only JSONL file of unsent records with a committed byte offset. */
class Spool<T> {
  readonly file: string
  readonly #offsetFile: string
  readonly #dir: string
  #offset = 0
  #size = 0
  #count = 0

  constructor(
    dir: string,
    name: string,
    readonly maxBytes: number,
  ) {
    this.#dir = dir
    this.file = path.join(dir, `${name}.spool.jsonl`)
    this.#offsetFile = path.join(dir, `${name}.spool.offset`)
  }

  get count(): number {
    return this.#count
  }

  get unsentBytes(): number {
    return this.#size - this.#offset
  }

  /** Picks up a spool left by an earlier process (or runtime); called once the queue holds the sink's lock. */
  recover(): void {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch {
      return
    }
    let offset = 0
    try {
      offset = Number(readFileSync(this.#offsetFile, 'utf8').trim()) || 0
    } catch {}
    const bytes = Buffer.from(text)
    // A torn last line (a crash mid-append) is ignored: only whole lines count.
    const end = bytes.lastIndexOf(0x0a) + 1
    this.#size = end
    this.#offset = Math.min(offset, end)
    this.#count = bytes.subarray(this.#offset, end).toString('utf8').split('\n').filter(Boolean).length
    if (end < bytes.length) writeFileSync(this.file, bytes.subarray(0, end))
  }

  /** Appends what fits; returns how many of `records` were dropped for lack of room. */
  async append(records: T[]): Promise<number> {
    if (records.length === 0) return 0
    const lines = records.map((record) => `${JSON.stringify(record)}\n`)
    let room = this.maxBytes - this.unsentBytes
    const kept: string[] = []
    for (const line of lines) {
      const size = Buffer.byteLength(line)
      if (size > room) break
      kept.push(line)
      room -= size
    }
    if (kept.length > 0) {
      if (this.#offset > 0 && this.#size + (this.maxBytes - room) > 2 * this.maxBytes) await this.#compact()
      const text = kept.join('')
      if (this.#size === 0) mkdirSync(this.#dir, { recursive: true })
      await appendFile(this.file, text)
      this.#size += Buffer.byteLength(text)
      this.#count += kept.length
    }
    return records.length - kept.length
  }

  /** The first `n` unsent records and the bytes they take. */
  async peek(n: number): Promise<{ records: T[]; bytes: number }> {
    const handle = await open(this.file, 'r')
    try {
      const records: T[] = []
      let bytes = 0
      let carry = Buffer.alloc(0)
      let position = this.#offset
      const chunk = Buffer.alloc(1 << 20)
      while (records.length < n && position < this.#size) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, this.#size - position), position)
        if (bytesRead === 0) break
        position += bytesRead
        let buffer = Buffer.concat([carry, chunk.subarray(0, bytesRead)])
        let newline = buffer.indexOf(0x0a)
        while (newline !== -1 && records.length < n) {
          const line = buffer.subarray(0, newline)
          bytes += newline + 1
          if (line.length > 0) records.push(JSON.parse(line.toString('utf8')) as T)
          buffer = buffer.subarray(newline + 1)
          newline = buffer.indexOf(0x0a)
        }
        carry = Buffer.from(buffer)
      }
      return { records, bytes }
    } finally {
      await handle.close()
    }
  }

  /** Marks the first `records` records (`bytes` long) as sent. */
  async commit(records: number, bytes: number): Promise<void> {
    this.#offset += bytes
    this.#count -= records
    if (this.#count <= 0 || this.#offset >= this.#size) {
      this.#offset = 0
      this.#size = 0
      this.#count = 0
      await writeFile(this.file, '')
      await rm(this.#offsetFile, { force: true })
      return
    }
    const temp = `${this.#offsetFile}.tmp`
    await writeFile(temp, String(this.#offset))
    await rename(temp, this.#offsetFile)
  }

  /** Rewrites the file without its sent part. */
  async #compact(): Promise<void> {
    const handle = await open(this.file, 'r')
    let rest: Buffer
    try {
      rest = Buffer.alloc(this.#size - this.#offset)
      await handle.read(rest, 0, rest.length, this.#offset)
    } finally {
      await handle.close()
    }
    const temp = `${this.file}.tmp`
    await writeFile(temp, rest)
    await rename(temp, this.file)
    await rm(this.#offsetFile, { force: true })
    this.#size = rest.length
    this.#offset = 0
  }
}

/**
 * The queue in front of one sink. `enqueue` never blocks; `close` flushes
 * what it can and spools the rest.
 */
export class AuditQueue<T> {
  readonly #target: SinkTarget<T>
  readonly #logger: Logger
  readonly #spool: Spool<T>
  readonly #batchSize: number
  readonly #retryMinMs: number
  readonly #retryMaxMs: number
  readonly #timer: NodeJS.Timeout
  readonly #lock: { ready: Promise<void>; release: () => void }
  readonly #spoolGauge: { set(labels: Record<string, string>, value: number): void }
  readonly #dropped: { inc(labels?: Record<string, string>, value?: number): void }
  readonly #written: { inc(labels?: Record<string, string>, value?: number): void }
  readonly #failures: { inc(labels?: Record<string, string>, value?: number): void }
  /** Resolves once the previous holder of the sink closed and the spool it left was read. */
  readonly #loaded: Promise<void>
  #pending: T[] = []
  #running: Promise<void> | null = null
  #again = false
  #retryAt = 0
  #retryDelay: number
  #closed = false

  constructor(target: SinkTarget<T>, options: QueueOptions, api: PluginApi) {
    this.#target = target
    this.#logger = api.logger
    this.#batchSize = options.batchSize ?? 100
    this.#retryMinMs = options.retryMinMs ?? 500
    this.#retryMaxMs = options.retryMaxMs ?? 30_000
    this.#retryDelay = this.#retryMinMs
    const dir = path.resolve(api.configDir, options.spoolDir ?? '.audit-spool')
    this.#spool = new Spool<T>(dir, target.name, options.spoolMaxBytes ?? 64 * 1024 * 1024)
    this.#spoolGauge = api.metrics.gauge('spool_records', 'Audit records waiting in the spool for the sink', ['sink'])
    this.#dropped = api.metrics.counter('dropped_total', 'Audit records dropped because the spool was full', ['sink'])
    this.#written = api.metrics.counter('written_total', 'Audit records the sink accepted', ['sink'])
    this.#failures = api.metrics.counter('write_failures_total', 'Failed batch writes (records spooled)', ['sink'])
    this.#lock = acquire(target.lockKey)
    this.#timer = setInterval(() => this.#kick(), options.flushIntervalMs ?? 1000)
    this.#timer.unref()
    this.#loaded = this.#lock.ready.then(() => {
      this.#spool.recover()
      this.#updateGauge()
      if (this.#spool.count > 0)
        this.#logger.warn({ spooled: this.#spool.count, file: this.#spool.file }, 'audit spool found; replaying it')
    })
    this.#kick()
  }

  /** Records waiting in the spool. */
  get spooled(): number {
    return this.#spool.count
  }

  /** Queues one record; never waits on the sink. */
  enqueue(record: T): void {
    if (this.#closed) return
    this.#pending.push(record)
    if (this.#pending.length >= this.#batchSize) this.#kick()
  }

  /** Sends everything queued now (waiting for a drain in progress); resolves when done or the sink failed. */
  async flush(): Promise<void> {
    this.#retryAt = 0
    this.#kick()
    while (this.#running) await this.#running
  }

  /** Flushes once more; what the sink does not take stays in the spool for the next process. */
  async close(): Promise<void> {
    if (this.#closed) return
    clearInterval(this.#timer)
    try {
      await this.flush()
      this.#closed = true
      if (this.#pending.length > 0) await this.#toSpool(this.#pending.splice(0))
    } finally {
      this.#closed = true
      this.#lock.release()
    }
  }

  #kick(): void {
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#drain()
      .catch((error: unknown) => this.#logger.error({ err: error, sink: this.#target.name }, 'audit drain failed'))
      .finally(() => {
        this.#running = null
      })
  }

  async #drain(): Promise<void> {
    await this.#loaded
    do {
      this.#again = false
      if (Date.now() < this.#retryAt) {
        // The sink is resting after a failure: keep memory bounded and the order intact.
        await this.#toSpool(this.#pending.splice(0))
        return
      }
      while (this.#spool.count > 0) {
        const { records, bytes } = await this.#spool.peek(this.#batchSize)
        if (records.length === 0) break
        if (!(await this.#send(records))) {
          await this.#toSpool(this.#pending.splice(0))
          return
        }
        await this.#spool.commit(records.length, bytes)
        this.#updateGauge()
      }
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#batchSize)
        if (!(await this.#send(batch))) {
          await this.#toSpool([...batch, ...this.#pending.splice(0)])
          return
        }
      }
    } while (this.#again)
  }

  async #send(batch: T[]): Promise<boolean> {
    try {
      await this.#target.write(batch)
      this.#written.inc({ sink: this.#target.name }, batch.length)
      if (this.#retryDelay !== this.#retryMinMs) this.#logger.info({ sink: this.#target.name }, 'audit sink is back')
      this.#retryDelay = this.#retryMinMs
      this.#retryAt = 0
      return true
    } catch (error) {
      this.#failures.inc({ sink: this.#target.name })
      this.#logger.warn(
        { err: error, sink: this.#target.name, records: batch.length, retryInMs: this.#retryDelay },
        'audit sink write failed; spooling',
      )
      this.#retryAt = Date.now() + this.#retryDelay
      this.#retryDelay = Math.min(this.#retryDelay * 2, this.#retryMaxMs)
      return false
    }
  }

  async #toSpool(records: T[]): Promise<void> {
    if (records.length === 0) return
    const dropped = await this.#spool.append(records)
    if (dropped > 0) {
      this.#dropped.inc({ sink: this.#target.name }, dropped)
      this.#logger.error(
        { sink: this.#target.name, dropped, maxBytes: this.#spool.maxBytes },
        'audit spool full: records dropped',
      )
    }
    this.#updateGauge()
  }

  #updateGauge(): void {
    this.#spoolGauge.set({ sink: this.#target.name }, this.#spool.count)
  }
}
