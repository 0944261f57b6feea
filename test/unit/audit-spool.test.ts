import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { PluginApi } from '../../core/index.js'
import { AuditQueue } from '../../plugins/audit-shared/spool.js'

function fakeApi(configDir: string) {
  const values: Record<string, number> = {}
  const api = {
    logger: pino({ level: 'silent' }),
    configDir,
    metrics: {
      counter: (name: string) => ({ inc: (_l?: unknown, v = 1) => (values[name] = (values[name] ?? 0) + v) }),
      histogram: () => ({ observe: () => {} }),
      gauge: (name: string) => ({ set: (_l: unknown, v: number) => (values[name] = v) }),
    },
  } as unknown as PluginApi
  return { api, values }
}

const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms))

describe('audit queue and spool', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('spools while the sink fails, drops what does not fit (counted), replays in order once it is back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spool-'))
    dirs.push(dir)
    const { api, values } = fakeApi(dir)
    let up = false
    const written: number[] = []
    const queue = new AuditQueue<{ n: number; pad: string }>(
      {
        name: 'test-sink',
        lockKey: `test:${dir}`,
        write: async (batch) => {
          if (!up) throw new Error('down')
          written.push(...batch.map((r) => r.n))
        },
      },
      { batchSize: 3, flushIntervalMs: 10, spoolMaxBytes: 2000, retryMinMs: 5, retryMaxMs: 10 },
      api,
    )
    const pad = 'x'.repeat(80) // ~100 bytes a line: 20 fit in 2000 bytes
    for (let n = 0; n < 30; n++) queue.enqueue({ n, pad })
    await queue.flush()
    await settle(50)
    expect(values.spool_records).toBe(queue.spooled)
    expect(queue.spooled).toBeGreaterThan(10)
    expect(queue.spooled).toBeLessThan(30)
    expect(values.dropped_total).toBe(30 - queue.spooled)
    const kept = queue.spooled

    up = true
    await settle(50)
    await queue.flush()
    expect(written).toEqual(Array.from({ length: kept }, (_, i) => i))
    expect(values.spool_records).toBe(0)
    expect(readFileSync(path.join(dir, '.audit-spool', 'test-sink.spool.jsonl'), 'utf8')).toBe('')
    await queue.close()
  })

  it('hands what close() could not deliver to the next queue, which replays it before new records', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spool-'))
    dirs.push(dir)
    const first = new AuditQueue<{ n: number }>(
      {
        name: 'test-sink',
        lockKey: `test:${dir}`,
        write: async () => {
          throw new Error('down')
        },
      },
      { flushIntervalMs: 10 },
      fakeApi(dir).api,
    )
    for (let n = 0; n < 5; n++) first.enqueue({ n })
    const written: number[] = []
    // Set up before the first closes (a reload): it waits for the first's close.
    const second = new AuditQueue<{ n: number }>(
      {
        name: 'test-sink',
        lockKey: `test:${dir}`,
        write: async (batch) => void written.push(...batch.map((r) => r.n)),
      },
      { flushIntervalMs: 10 },
      fakeApi(dir).api,
    )
    second.enqueue({ n: 5 })
    await settle()
    expect(written).toEqual([])
    await first.close()
    await settle(50)
    await second.close()
    expect(written).toEqual([0, 1, 2, 3, 4, 5])
  })
})
