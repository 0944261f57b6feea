/**
 * Governance state shared by any number of replicas through one Redis. Every
 * check-and-update is one Lua script (see redis-scripts.ts), so replicas
 * cannot race past a limit; reads that only report are one MGET.
 *
 * A gateway request must never hang on Redis: commands are not queued while
 * the connection is down and are not resent after a reconnect (a resent
 * reserve would be booked twice), so a broken or slow Redis turns into a
 * prompt StoreUnavailableError and the caller's configured fallback.
 */

import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { assertWholeAmount } from './amounts.js'
import { budgetKeys, currentSpendKey, rateKey, slotKey } from './keys.js'
import { SCRIPTS, type ScriptCall, type ScriptName } from './redis-scripts.js'
import {
  type AcquireResult,
  type BudgetCheck,
  type ConsumeResult,
  type GovernanceStore,
  type RateCheck,
  type ReserveResult,
  type SpendReport,
  StoreUnavailableError,
} from './store.js'

/** ioredis loads with the first RedisStore: a gateway on the memory store never pays for it (~10 MB of RSS). */
const loadIoredis = (): typeof import('ioredis') =>
  createRequire(import.meta.url)('ioredis') as typeof import('ioredis')

export interface RedisStoreOptions {
  /** e.g. `redis://:password@redis.internal:6379/0`. */
  url: string
  /** Put in front of every key, so several gateways (or tests) can share one Redis. Default `gw:`. */
  prefix?: string
  /** How long the first calls wait for the first connection. Default 1000. */
  connectTimeoutMs?: number
  /** How long a command may take before the call fails. Default 1000. */
  commandTimeoutMs?: number
}

/**
 * A replica that crashes mid-request never settles. Its reservation expires
 * once no reserve at the level has succeeded for this long; an hour outlasts
 * any model call, and a leaked reservation is one request's estimate, which
 * seldom blocks a level on its own.
 */
const RESERVATION_TTL_MS = 60 * 60_000

/**
 * Same for concurrency slots, but shorter: a leaked slot can be a level's
 * whole limit (limit 1 is common), and then nothing else refreshes the counter,
 * so it frees after this long. A request running longer with no other
 * acquire at its level meanwhile may let one more in.
 */
const SLOT_TTL_MS = 10 * 60_000

export class RedisStore implements GovernanceStore {
  private readonly redis: Redis
  private readonly prefix: string
  /** Settles once the first connection is up or has failed (bounded); calls wait for it, not for later reconnects. */
  private readonly connected: Promise<void>

  constructor(options: RedisStoreOptions) {
    const connectTimeoutMs = options.connectTimeoutMs ?? 1000
    this.prefix = options.prefix ?? 'gw:'
    this.redis = new (loadIoredis().Redis)(options.url, {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      // Commands in flight when the connection drops fail at once instead of waiting for reconnects.
      maxRetriesPerRequest: 0,
      // Keep reconnecting, quickly: every second without Redis is a second of fallback for every request.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    })
    // Failures reach callers as StoreUnavailableError; unheard, the event would only print noise.
    this.redis.on('error', () => {})
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(commandName(name), { lua })
    this.connected = Promise.race([this.redis.connect(), sleep(connectTimeoutMs, undefined, { ref: false })]).then(
      () => undefined,
      () => undefined,
    )
  }

  async reserve(checks: readonly BudgetCheck[], amountNanos: number, now: number): Promise<ReserveResult> {
    assertWholeAmount('amountNanos', amountNanos)
    if (checks.length === 0) return { ok: true }
    const levels = checks.map((check) => budgetKeys(check, now))
    const keys = levels.flatMap((level) => [level.reserved, ...level.spend])
    const args = [String(amountNanos), String(RESERVATION_TTL_MS)]
    for (const [i, check] of checks.entries()) args.push(String(check.limitNanos), String(levels[i]!.spend.length))
    const result = await this.run('reserve', keys, args)
    if (!Array.isArray(result)) return { ok: true }
    const [position, spentNanos, reservedNanos] = result.map(Number) as [number, number, number]
    const check = checks[position - 1]!
    return {
      ok: false,
      failed: check.id,
      spentNanos,
      reservedNanos,
      limitNanos: check.limitNanos,
      resetsAt: levels[position - 1]!.resetsAt,
    }
  }

  async settle(checks: readonly BudgetCheck[], reservedNanos: number, actualNanos: number, now: number): Promise<void> {
    assertWholeAmount('reservedNanos', reservedNanos)
    assertWholeAmount('actualNanos', actualNanos)
    if (checks.length === 0) return
    const levels = checks.map((check) => budgetKeys(check, now))
    const keys = levels.flatMap((level) => [level.reserved, currentSpendKey(level)])
    const ttls = levels.map((level) => (level.expiresAt === null ? '' : ttlMs(level.expiresAt, now)))
    await this.run('settle', keys, [String(reservedNanos), String(actualNanos), ...ttls])
  }

  async consume(checks: readonly RateCheck[], now: number): Promise<ConsumeResult> {
    for (const check of checks) assertWholeAmount('amount', check.amount)
    if (checks.length === 0) return { ok: true }
    const windows = checks.map((check) => rateKey(check, now))
    const keys = windows.map((window) => window.key)
    const args = checks.flatMap((check, i) => [
      String(check.limit),
      String(check.amount),
      ttlMs(windows[i]!.expiresAt, now),
    ])
    const position = Number(await this.run('consume', keys, args))
    if (position === 0) return { ok: true }
    const check = checks[position - 1]!
    return { ok: false, failed: check.id, limit: check.limit, retryAfterMs: windows[position - 1]!.endsAt - now }
  }

  async adjust(checks: readonly RateCheck[], now: number): Promise<void> {
    for (const check of checks) assertWholeAmount('amount', check.amount, { negative: true })
    if (checks.length === 0) return
    const windows = checks.map((check) => rateKey(check, now))
    const keys = windows.map((window) => window.key)
    await this.run(
      'adjust',
      keys,
      checks.flatMap((check, i) => [String(check.amount), ttlMs(windows[i]!.expiresAt, now)]),
    )
  }

  async acquire(slots: ReadonlyArray<{ id: string; limit: number }>): Promise<AcquireResult> {
    if (slots.length === 0) return { ok: true }
    const keys = slots.map((slot) => slotKey(slot.id))
    const args = [String(SLOT_TTL_MS), ...slots.map((slot) => String(slot.limit))]
    const position = Number(await this.run('acquire', keys, args))
    if (position === 0) return { ok: true }
    const slot = slots[position - 1]!
    return { ok: false, failed: slot.id, limit: slot.limit }
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.run('release', ids.map(slotKey), [])
  }

  async spend(checks: readonly BudgetCheck[], now: number): Promise<SpendReport[]> {
    if (checks.length === 0) return []
    const levels = checks.map((check) => budgetKeys(check, now))
    // One MGET is one atomic read: spend and reservations come from the same instant.
    const values = await this.call('spend', () =>
      this.redis.mget(levels.flatMap((level) => [level.reserved, ...level.spend].map((key) => this.prefix + key))),
    )
    let next = 0
    const take = () => Number(values[next++] ?? 0)
    return checks.map((check, i) => {
      const reservedNanos = take()
      let spentNanos = 0
      for (let bucket = 0; bucket < levels[i]!.spend.length; bucket++) spentNanos += take()
      return { id: check.id, spentNanos, reservedNanos }
    })
  }

  /** Lets commands already sent finish, then disconnects; a connection that is not up has nothing to finish. */
  async close(): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.redis.disconnect()
      return
    }
    await this.redis.quit().catch(() => this.redis.disconnect())
  }

  private run(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const script = (this.redis as unknown as Record<string, ScriptCall>)[commandName(name)]!
    return this.call(name, () => script.call(this.redis, keys.length, ...keys.map((key) => this.prefix + key), ...args))
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    await this.connected
    // Said plainly here: ioredis's own words for it are about its offline queue.
    if (this.redis.status !== 'ready') {
      throw new StoreUnavailableError(
        `governance store (Redis) unavailable: ${operation}: not connected (${this.redis.status})`,
      )
    }
    try {
      return await command()
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new StoreUnavailableError(`governance store (Redis) unavailable: ${operation}: ${reason}`, {
        cause: error,
      })
    }
  }
}

/** Namespaced, so no script can shadow one of ioredis's own commands. */
function commandName(script: string): string {
  return `governance_${script}`
}

/** PEXPIRE wants a whole, positive number of milliseconds; measured on the caller's clock, as the periods are. */
function ttlMs(expiresAt: number, now: number): string {
  return String(Math.max(1, Math.ceil(expiresAt - now)))
}
