import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../core/governance/store/memory-store.js'
import { EXPIRY_MARGIN_MS } from '../../core/governance/store/periods.js'
import { RedisStore } from '../../core/governance/store/redis-store.js'
import {
  type BudgetCheck,
  type BudgetPeriod,
  type BudgetWindow,
  type GovernanceStore,
  type RateCheck,
  StoreUnavailableError,
} from '../../core/governance/store/store.js'
import { adminClient, deleteKeys, REDIS_URL, redisForTests, requireRedis, scanKeys } from '../helpers/redis.js'

/** Every key this run writes lives under it, and goes when the run ends. */
const RUN_PREFIX = `gw-test:${randomUUID()}:`
const { reachable: redisReachable, run: runRedisTests } = await redisForTests('the RedisStore tests')

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** A thousandth of a dollar, in nanodollars. */
const MILLI = 1_000_000

const at = (iso: string): number => Date.parse(iso)

function budget(id: string, limitNanos: number, period: BudgetPeriod = 'month', window: BudgetWindow = 'calendar') {
  return { id, limitNanos, period, window } satisfies BudgetCheck
}

function rate(id: string, limit: number, amount = 1, windowMs = MINUTE): RateCheck {
  return { id, limit, windowMs, amount }
}

/** Books `nanos` of spend at `now` as a request would: reserve, then settle at the real cost. */
async function spendAt(store: GovernanceStore, checks: BudgetCheck[], nanos: number, now: number): Promise<void> {
  expect(await store.reserve(checks, nanos, now)).toEqual({ ok: true })
  await store.settle(checks, nanos, nanos, now)
}

interface Backend {
  name: string
  /** `replicas` handles on one shared state: the same object in memory, separate connections to Redis. */
  open(replicas?: number): GovernanceStore[]
  needsRedis: boolean
}

let storeNumber = 0
const opened: GovernanceStore[] = []

const memoryBackend: Backend = {
  name: 'MemoryStore',
  needsRedis: false,
  open(replicas = 1) {
    const store = new MemoryStore()
    opened.push(store)
    return Array.from({ length: replicas }, () => store)
  },
}

const redisBackend: Backend = {
  name: 'RedisStore',
  needsRedis: true,
  open(replicas = 1) {
    const prefix = `${RUN_PREFIX}${++storeNumber}:`
    const stores = Array.from({ length: replicas }, () => new RedisStore({ url: REDIS_URL, prefix }))
    opened.push(...stores)
    return stores
  },
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()))
})

afterAll(async () => {
  if (redisReachable) await deleteKeys(`${RUN_PREFIX}*`)
})

describe.each(runRedisTests ? [memoryBackend, redisBackend] : [memoryBackend])('$name conformance', (backend) => {
  if (backend.needsRedis) requireRedis()
  const open = (): GovernanceStore => backend.open(1)[0]!
  const now = at('2026-11-26T12:30:00Z')

  describe('budgets', () => {
    it('reserves up to the limit inclusive, then refuses with spent, reserved, limit and resetsAt', async () => {
      const store = open()
      const org = budget('org:acme', 100)
      await spendAt(store, [org], 30, now)
      expect(await store.reserve([org], 50, now)).toEqual({ ok: true })
      expect(await store.reserve([org], 20, now)).toEqual({ ok: true })
      expect(await store.reserve([org], 1, now)).toEqual({
        ok: false,
        failed: 'org:acme',
        spentNanos: 30,
        reservedNanos: 70,
        limitNanos: 100,
        resetsAt: new Date('2026-12-01T00:00:00Z'),
      })
    })

    it('refuses a single amount above the limit even when nothing is spent', async () => {
      const store = open()
      const result = await store.reserve([budget('key:k', 100, 'day')], 101, now)
      expect(result).toMatchObject({ ok: false, failed: 'key:k', spentNanos: 0, reservedNanos: 0 })
    })

    it('is all-or-nothing: one level over its limit leaves every other level untouched', async () => {
      const store = open()
      const org = budget('org:acme', 1000)
      const team = budget('team:ml', 100)
      const key = budget('key:batch', 1000)
      await spendAt(store, [team], 80, now)
      expect(await store.reserve([org, team, key], 30, now)).toMatchObject({
        ok: false,
        failed: 'team:ml',
        spentNanos: 80,
        reservedNanos: 0,
      })
      expect(await store.spend([org, team, key], now)).toEqual([
        { id: 'org:acme', spentNanos: 0, reservedNanos: 0 },
        { id: 'team:ml', spentNanos: 80, reservedNanos: 0 },
        { id: 'key:batch', spentNanos: 0, reservedNanos: 0 },
      ])
      expect(await store.reserve([org, team, key], 20, now)).toEqual({ ok: true })
      expect((await store.spend([org, team, key], now)).map((s) => s.reservedNanos)).toEqual([20, 20, 20])
    })

    it('reports the first failing level in the order given', async () => {
      const store = open()
      const a = budget('a', 10)
      const b = budget('b', 10)
      expect(await store.reserve([b, a], 11, now)).toMatchObject({ ok: false, failed: 'b' })
      expect(await store.reserve([a, b], 11, now)).toMatchObject({ ok: false, failed: 'a' })
    })

    it('settle releases the reservation and books the actual cost at every level', async () => {
      const store = open()
      const checks = [budget('org:acme', 100), budget('team:ml', 100)]
      expect(await store.reserve(checks, 50, now)).toEqual({ ok: true })
      expect((await store.spend(checks, now)).map((s) => s.reservedNanos)).toEqual([50, 50])
      await store.settle(checks, 50, 30, now)
      expect(await store.spend(checks, now)).toEqual([
        { id: 'org:acme', spentNanos: 30, reservedNanos: 0 },
        { id: 'team:ml', spentNanos: 30, reservedNanos: 0 },
      ])
    })

    it('never lets reservations go below zero', async () => {
      const store = open()
      const org = budget('org:acme', 100)
      await spendAt(store, [org], 30, now)
      await store.settle([org], 1000, 0, now)
      expect(await store.spend([org], now)).toEqual([{ id: 'org:acme', spentNanos: 30, reservedNanos: 0 }])
      expect(await store.reserve([org], 71, now)).toMatchObject({ ok: false, reservedNanos: 0 })
      expect(await store.reserve([org], 70, now)).toEqual({ ok: true })
    })

    it('books the actual cost in the period current when the request settles', async () => {
      const store = open()
      const org = budget('org:acme', 100)
      const november = at('2026-11-30T23:59:00Z')
      const december = at('2026-12-01T00:01:00Z')
      expect(await store.reserve([org], 40, november)).toEqual({ ok: true })
      await store.settle([org], 40, 25, december)
      expect(await store.spend([org], november)).toEqual([{ id: 'org:acme', spentNanos: 0, reservedNanos: 0 }])
      expect(await store.spend([org], december)).toEqual([{ id: 'org:acme', spentNanos: 25, reservedNanos: 0 }])
    })

    it('keeps two periods of one level apart', async () => {
      const store = open()
      const checks = [budget('org:acme', 100, 'day'), budget('org:acme', 1000, 'month')]
      await spendAt(store, checks, 10, now)
      expect(await store.reserve(checks, 5, now)).toEqual({ ok: true })
      expect(await store.spend(checks, now)).toEqual([
        { id: 'org:acme', spentNanos: 10, reservedNanos: 5 },
        { id: 'org:acme', spentNanos: 10, reservedNanos: 5 },
      ])
    })

    it('stays exact at millions of dollars', async () => {
      const store = open()
      const DOLLAR = 1_000_000_000
      const org = budget('org:acme', 9_000_000 * DOLLAR, 'total')
      await spendAt(store, [org], 4_000_000 * DOLLAR + 1, now)
      await spendAt(store, [org], 4_999_999 * DOLLAR - 2, now)
      expect(await store.reserve([org], DOLLAR + 2, now)).toMatchObject({
        ok: false,
        spentNanos: 8_999_999 * DOLLAR - 1,
      })
      expect(await store.reserve([org], DOLLAR + 1, now)).toEqual({ ok: true })
      expect(await store.spend([org], now)).toEqual([
        { id: 'org:acme', spentNanos: 8_999_999 * DOLLAR - 1, reservedNanos: DOLLAR + 1 },
      ])
    })

    it('takes empty lists as nothing to do', async () => {
      const store = open()
      expect(await store.reserve([], 10, now)).toEqual({ ok: true })
      await store.settle([], 10, 10, now)
      expect(await store.spend([], now)).toEqual([])
    })

    it('refuses fractional and negative amounts alike', async () => {
      const store = open()
      const org = budget('org:acme', 100)
      await expect(store.reserve([org], 1.5, now)).rejects.toThrow(RangeError)
      await expect(store.reserve([org], -1, now)).rejects.toThrow(RangeError)
      await expect(store.settle([org], 0, 0.5, now)).rejects.toThrow(RangeError)
      await expect(store.consume([rate('rpm', 10, -1)], now)).rejects.toThrow(RangeError)
      await expect(store.adjust([rate('rpm', 10, 0.5)], now)).rejects.toThrow(RangeError)
    })
  })

  describe('calendar periods (UTC)', () => {
    it('starts a fresh month on the 1st', async () => {
      const store = open()
      const org = budget('org:acme', 100, 'month')
      await spendAt(store, [org], 100, at('2026-11-30T23:59:00Z'))
      expect(await store.reserve([org], 1, at('2026-11-30T23:59:59Z'))).toMatchObject({
        ok: false,
        spentNanos: 100,
        resetsAt: new Date('2026-12-01T00:00:00Z'),
      })
      const december = at('2026-12-01T00:01:00Z')
      expect(await store.spend([org], december)).toEqual([{ id: 'org:acme', spentNanos: 0, reservedNanos: 0 }])
      expect(await store.reserve([org], 100, december)).toEqual({ ok: true })
    })

    it('starts a fresh day at midnight UTC', async () => {
      const store = open()
      const key = budget('key:k', 100, 'day')
      await spendAt(store, [key], 100, at('2026-11-26T23:59:00Z'))
      expect(await store.reserve([key], 1, at('2026-11-26T23:59:30Z'))).toMatchObject({
        ok: false,
        resetsAt: new Date('2026-11-27T00:00:00Z'),
      })
      expect(await store.reserve([key], 100, at('2026-11-27T00:01:00Z'))).toEqual({ ok: true })
    })

    it('starts a fresh ISO week on Monday', async () => {
      const store = open()
      const team = budget('team:ml', 100, 'week')
      await spendAt(store, [team], 60, at('2026-11-29T23:59:00Z')) // Sunday
      expect(await store.spend([team], at('2026-11-30T00:01:00Z'))).toEqual([
        { id: 'team:ml', spentNanos: 0, reservedNanos: 0 },
      ])
      await spendAt(store, [team], 70, at('2026-11-30T00:01:00Z')) // Monday
      expect(await store.reserve([team], 31, at('2026-12-06T23:59:00Z'))).toMatchObject({
        ok: false,
        spentNanos: 70,
        resetsAt: new Date('2026-12-07T00:00:00Z'),
      })
      expect(await store.reserve([team], 100, at('2026-12-07T00:00:00Z'))).toEqual({ ok: true })
    })

    it('keeps an ISO week whole across New Year while the month starts afresh', async () => {
      const store = open()
      const week = budget('team:ml', 100, 'week')
      const month = budget('team:ml', 100, 'month')
      await spendAt(store, [week, month], 40, at('2026-12-31T12:00:00Z')) // Thursday of 2026-W53
      expect(await store.spend([week, month], at('2027-01-03T23:00:00Z'))).toEqual([
        { id: 'team:ml', spentNanos: 40, reservedNanos: 0 },
        { id: 'team:ml', spentNanos: 0, reservedNanos: 0 },
      ])
      expect(await store.spend([week], at('2027-01-04T00:00:00Z'))).toEqual([
        { id: 'team:ml', spentNanos: 0, reservedNanos: 0 },
      ])
    })

    it('never resets a total budget, and ignores its window', async () => {
      const store = open()
      await spendAt(store, [budget('org:acme', 100, 'total', 'calendar')], 90, at('2026-01-01T00:00:00Z'))
      const later = at('2031-06-01T00:00:00Z')
      expect(await store.reserve([budget('org:acme', 100, 'total', 'rolling')], 11, later)).toEqual({
        ok: false,
        failed: 'org:acme',
        spentNanos: 90,
        reservedNanos: 0,
        limitNanos: 100,
        resetsAt: null,
      })
    })
  })

  describe('rolling windows', () => {
    it('counts the last 24 hours: spend 25 h ago has dropped out, spend 23 h ago has not', async () => {
      const store = open()
      const key = budget('key:k', 100, 'day', 'rolling')
      await spendAt(store, [key], 40, now - 25 * HOUR)
      await spendAt(store, [key], 50, now - 23 * HOUR)
      expect(await store.spend([key], now)).toEqual([{ id: 'key:k', spentNanos: 50, reservedNanos: 0 }])
      expect(await store.reserve([key], 51, now)).toEqual({
        ok: false,
        failed: 'key:k',
        spentNanos: 50,
        reservedNanos: 0,
        limitNanos: 100,
        resetsAt: null,
      })
      expect(await store.reserve([key], 50, now)).toEqual({ ok: true })
    })

    it('counts every hour of the last 24, up to the current one', async () => {
      const store = open()
      const key = budget('key:k', 10_000, 'day', 'rolling')
      for (let hoursAgo = 0; hoursAgo < 24; hoursAgo++) await spendAt(store, [key], 1, now - hoursAgo * HOUR)
      expect((await store.spend([key], now))[0]!.spentNanos).toBe(24)
    })

    it('counts the last 7 and 30 days in daily buckets', async () => {
      const store = open()
      const week = budget('team:ml', 1000, 'week', 'rolling')
      const month = budget('team:ml', 1000, 'month', 'rolling')
      await spendAt(store, [week, month], 1, now - 31 * DAY)
      await spendAt(store, [week, month], 10, now - 29 * DAY)
      await spendAt(store, [week, month], 100, now - 8 * DAY)
      await spendAt(store, [week, month], 200, now - 6 * DAY)
      expect(await store.spend([week, month], now)).toEqual([
        { id: 'team:ml', spentNanos: 200, reservedNanos: 0 },
        { id: 'team:ml', spentNanos: 310, reservedNanos: 0 },
      ])
    })
  })

  describe('rate windows', () => {
    // 15 s into a minute-aligned window.
    const minute = Math.floor(now / MINUTE) * MINUTE
    const inWindow = minute + 15_000

    it('takes up to the limit, then refuses until the epoch-aligned window ends', async () => {
      const store = open()
      const rpm = rate('rpm:key:k', 3)
      for (let i = 0; i < 3; i++) expect(await store.consume([rpm], inWindow + i)).toEqual({ ok: true })
      expect(await store.consume([rpm], inWindow)).toEqual({
        ok: false,
        failed: 'rpm:key:k',
        limit: 3,
        retryAfterMs: 45_000,
      })
      expect(await store.consume([rpm], minute + MINUTE)).toEqual({ ok: true })
    })

    it('refuses a single request larger than the limit, even in an empty window', async () => {
      const store = open()
      expect(await store.consume([rate('tpm:key:k', 1000, 1001)], inWindow)).toMatchObject({
        ok: false,
        failed: 'tpm:key:k',
        retryAfterMs: 45_000,
      })
      expect(await store.consume([rate('tpm:key:k', 1000, 1000)], inWindow)).toEqual({ ok: true })
    })

    it('is all-or-nothing across windows and reports the first full one', async () => {
      const store = open()
      const rpm = rate('rpm:key:k', 10)
      const tpm = rate('tpm:key:k', 1000, 600)
      expect(await store.consume([rpm, tpm], inWindow)).toEqual({ ok: true })
      expect(await store.consume([rpm, tpm], inWindow)).toMatchObject({ ok: false, failed: 'tpm:key:k', limit: 1000 })
      // The refused request took nothing from rpm: 9 more still fit.
      for (let i = 0; i < 9; i++) expect(await store.consume([rpm], inWindow)).toEqual({ ok: true })
      expect(await store.consume([rpm], inWindow)).toMatchObject({ ok: false, failed: 'rpm:key:k' })
      expect(await store.consume([rate('a', 0), rate('b', 0)], inWindow)).toMatchObject({ failed: 'a' })
    })

    it('keeps windows of different lengths for one id apart', async () => {
      const store = open()
      expect(await store.consume([rate('rpm:k', 1, 1, MINUTE), rate('rpm:k', 1, 1, HOUR)], inWindow)).toEqual({
        ok: true,
      })
      expect(await store.consume([rate('rpm:k', 1, 1, HOUR)], inWindow + MINUTE)).toMatchObject({
        ok: false,
        retryAfterMs: Math.ceil(inWindow / HOUR) * HOUR - inWindow - MINUTE,
      })
    })

    it('adjust corrects the current window, floored at zero, and never refuses', async () => {
      const store = open()
      const tpm = rate('tpm:key:k', 100, 50)
      expect(await store.consume([tpm], inWindow)).toEqual({ ok: true })
      await store.adjust([{ ...tpm, amount: -80 }], inWindow)
      expect(await store.consume([{ ...tpm, amount: 100 }], inWindow)).toEqual({ ok: true })
      await store.adjust([{ ...tpm, amount: 150 }], inWindow)
      expect(await store.consume([{ ...tpm, amount: 1 }], inWindow)).toMatchObject({ ok: false })
      await store.adjust([{ ...tpm, amount: -1000 }], inWindow)
      expect(await store.consume([{ ...tpm, amount: 100 }], inWindow)).toEqual({ ok: true })
    })
  })

  describe('concurrency slots', () => {
    it('takes slots up to the limit and frees them on release', async () => {
      const store = open()
      const key = { id: 'key:k', limit: 2 }
      expect(await store.acquire([key])).toEqual({ ok: true })
      expect(await store.acquire([key])).toEqual({ ok: true })
      expect(await store.acquire([key])).toEqual({ ok: false, failed: 'key:k', limit: 2 })
      await store.release(['key:k'])
      expect(await store.acquire([key])).toEqual({ ok: true })
    })

    it('is all-or-nothing across levels', async () => {
      const store = open()
      const org = { id: 'org:acme', limit: 3 }
      const key = { id: 'key:k', limit: 1 }
      expect(await store.acquire([org, key])).toEqual({ ok: true })
      expect(await store.acquire([org, key])).toEqual({ ok: false, failed: 'key:k', limit: 1 })
      // The refusal took no org slot: two are still free.
      expect(await store.acquire([org])).toEqual({ ok: true })
      expect(await store.acquire([org])).toEqual({ ok: true })
      expect(await store.acquire([org])).toMatchObject({ ok: false, failed: 'org:acme' })
    })

    it('never goes below zero on extra releases', async () => {
      const store = open()
      await store.release(['key:k', 'key:k'])
      expect(await store.acquire([{ id: 'key:k', limit: 1 }])).toEqual({ ok: true })
      expect(await store.acquire([{ id: 'key:k', limit: 1 }])).toMatchObject({ ok: false })
    })
  })

  describe('races across replicas', () => {
    it('lets exactly 100 of 500 concurrent reservations through a limit of 100 × amount', async () => {
      const replicas = backend.open(3)
      const checks = [budget('org:acme', 100 * MILLI), budget('key:k', 1_000 * MILLI, 'day', 'rolling')]
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => replicas[i % 3]!.reserve(checks, MILLI, now)),
      )
      expect(results.filter((result) => result.ok)).toHaveLength(100)
      expect(await replicas[0]!.spend(checks, now)).toEqual([
        { id: 'org:acme', spentNanos: 0, reservedNanos: 100 * MILLI },
        { id: 'key:k', spentNanos: 0, reservedNanos: 100 * MILLI },
      ])
    })

    it('lets exactly 60 of 500 concurrent requests through a limit of 60', async () => {
      const replicas = backend.open(3)
      const checks = [rate('rpm:key:k', 60), rate('rpm:org:acme', 1000)]
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => replicas[i % 3]!.consume(checks, now)))
      expect(results.filter((result) => result.ok)).toHaveLength(60)
    })

    it('hands out exactly the limit of concurrency slots to concurrent acquirers', async () => {
      const replicas = backend.open(3)
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => replicas[i % 3]!.acquire([{ id: 'key:k', limit: 25 }])),
      )
      expect(results.filter((result) => result.ok)).toHaveLength(25)
    })
  })
})

describe('MemoryStore housekeeping', () => {
  it('lets old periods and windows go, and keeps total spend and held state', async () => {
    const store = new MemoryStore()
    const start = at('2026-11-26T12:00:00Z')
    const total = budget('org:acme', 1000, 'total')
    const checks = [budget('org:acme', 1000, 'day'), budget('org:acme', 1000, 'day', 'rolling'), total]
    await spendAt(store, checks, 10, start)
    await store.consume([rate('rpm:k', 10)], start)
    expect(await store.reserve([total], 5, start)).toEqual({ ok: true })
    await store.acquire([{ id: 'key:k', limit: 1 }])
    // Three spend buckets, one window, one reservation, one slot.
    expect(store.size).toBe(6)
    await store.spend(checks, start + 2 * DAY)
    expect(store.size).toBe(3)
    expect(await store.spend([total], start + 2 * DAY)).toEqual([{ id: 'org:acme', spentNanos: 10, reservedNanos: 5 }])
  })
})

describe.runIf(runRedisTests)('RedisStore on Redis', () => {
  requireRedis()

  it('puts every key under its prefix, each with a TTL except total spend', async () => {
    const prefix = `${RUN_PREFIX}ttl:`
    const store = new RedisStore({ url: REDIS_URL, prefix })
    opened.push(store)
    const now = at('2026-11-30T23:59:00Z')
    const checks = [budget('org:acme', 1000, 'month'), budget('org:acme', 1000, 'day', 'rolling')]
    await spendAt(store, checks, 10, now)
    expect(await store.reserve([...checks, budget('org:acme', 1000, 'total')], 5, now)).toEqual({ ok: true })
    await store.settle([budget('org:acme', 1000, 'total')], 0, 7, now)
    await store.consume([rate('rpm:k', 10)], now)
    await store.acquire([{ id: 'key:k', limit: 1 }])

    const admin = adminClient()
    try {
      const keys = (await scanKeys(admin, `${prefix}*`)).sort()
      const ttls = Object.fromEntries(
        await Promise.all(keys.map(async (k) => [k.slice(prefix.length), await admin.pttl(k)])),
      )
      expect(Object.keys(ttls).sort()).toEqual([
        'rate:rpm:k:60000:29934719',
        'reserved:org:acme:24h',
        'reserved:org:acme:month',
        'reserved:org:acme:total',
        'slots:key:k',
        'spend:org:acme:24h:2026-11-30T23',
        'spend:org:acme:month:2026-11',
        'spend:org:acme:total:total',
      ])
      const near = (ttl: number, expected: number) => expect(Math.abs(ttl - expected)).toBeLessThan(5_000)
      near(ttls['spend:org:acme:month:2026-11'], MINUTE + EXPIRY_MARGIN_MS)
      near(ttls['spend:org:acme:24h:2026-11-30T23'], MINUTE + DAY + EXPIRY_MARGIN_MS)
      near(ttls['rate:rpm:k:60000:29934719'], MINUTE + EXPIRY_MARGIN_MS)
      near(ttls['reserved:org:acme:month'], HOUR)
      near(ttls['slots:key:k'], 10 * MINUTE)
      expect(ttls['spend:org:acme:total:total']).toBe(-1)
    } finally {
      admin.disconnect()
    }
  })

  it('fails fast with StoreUnavailableError when Redis goes away after connecting', async () => {
    const proxy = await startProxy(new URL(REDIS_URL))
    try {
      const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}`, prefix: `${RUN_PREFIX}proxy:` })
      opened.push(store)
      const org = budget('org:acme', 100)
      expect(await store.reserve([org], 1, Date.now())).toEqual({ ok: true })
      proxy.cut()
      const started = Date.now()
      await expect(store.reserve([org], 1, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError)
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      await proxy.close()
    }
  })

  it('fails with StoreUnavailableError when Redis stops answering a command', async () => {
    const proxy = await startProxy(new URL(REDIS_URL))
    try {
      const store = new RedisStore({
        url: `redis://127.0.0.1:${proxy.port}`,
        prefix: `${RUN_PREFIX}proxy:`,
        commandTimeoutMs: 300,
      })
      opened.push(store)
      expect(await store.acquire([{ id: 'key:k', limit: 5 }])).toEqual({ ok: true })
      proxy.mute()
      const started = Date.now()
      await expect(store.acquire([{ id: 'key:k', limit: 5 }])).rejects.toBeInstanceOf(StoreUnavailableError)
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      await proxy.close()
    }
  })
})

describe('RedisStore without Redis', () => {
  it('rejects with StoreUnavailableError within a second when the port is closed', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${await closedPort()}` })
    opened.push(store)
    const started = Date.now()
    const error = await store.reserve([budget('org:acme', 100)], 1, Date.now()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as Error).message).toMatch(/governance store \(Redis\) unavailable: reserve/)
    expect(Date.now() - started).toBeLessThan(1000)
    // Later calls fail at once too, without waiting for reconnects.
    const again = Date.now()
    await expect(store.consume([rate('rpm:k', 1)], Date.now())).rejects.toBeInstanceOf(StoreUnavailableError)
    expect(Date.now() - again).toBeLessThan(100)
  })

  it('rejects with StoreUnavailableError when the server accepts but never answers', async () => {
    const silent = net.createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as net.AddressInfo).port
      const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300, commandTimeoutMs: 300 })
      opened.push(store)
      const started = Date.now()
      await expect(store.spend([budget('org:acme', 100)], Date.now())).rejects.toBeInstanceOf(StoreUnavailableError)
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      silent.close()
    }
  })
})

/** A port nothing listens on: bound by us a moment ago, then let go. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A TCP relay to Redis that can be cut (connections reset, port closed) or muted (bytes dropped both ways). */
async function startProxy(target: URL) {
  const sockets = new Set<net.Socket>()
  let muted = false
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    client.on('data', (chunk) => muted || upstream.write(chunk))
    upstream.on('data', (chunk) => muted || client.write(chunk))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const cut = () => {
    server.close()
    for (const socket of sockets) socket.destroy()
  }
  return {
    port: (server.address() as net.AddressInfo).port,
    cut,
    mute: () => {
      muted = true
    },
    close: async () => {
      cut()
      await new Promise<void>((resolve) => setImmediate(resolve))
    },
  }
}
