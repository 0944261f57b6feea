/**
 * Audit sinks end to end: a real gateway, the built-in audit plugins, and the
 * sinks taken down and brought back while requests keep coming.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { DATABASE_URL, postgresForTests, requirePostgres } from '../helpers/postgres.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const pluginPath = (name: string) => JSON.stringify(path.join(repo, 'plugins', name, 'index.ts'))

function configWith(importName: string, plugin: string, entry: string): string {
  return tsConfig(`{
  providers: { mock: { type: 'mock' } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [${entry}],
}`).replace('export default', `import ${importName} from ${pluginPath(plugin)}\nexport default`)
}

const chat = (gateway: TestGateway, requestId: string, content = 'hello', stream = false) =>
  request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'demo', stream, messages: [{ role: 'user', content }] }),
  }).then(async (res) => {
    await res.body.dump()
    return res.statusCode
  })

async function waitFor<T>(what: string, probe: () => Promise<T> | T, done: (value: T) => boolean, ms = 20_000) {
  const deadline = Date.now() + ms
  let last: T = await probe()
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    last = await probe()
  }
  return last
}

async function gauge(gateway: TestGateway, series: string): Promise<number | undefined> {
  const text = await (await request(`${gateway.url}/metrics`)).body.text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

function verify(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'core/cli/main.ts', 'audit', 'verify', file],
      { cwd: repo },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    )
  })
}

describe('audit-file: hash-chained JSONL', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'audit-file-'))
  const file = path.join(outDir, 'audit.jsonl')
  const ids = Array.from({ length: 12 }, (_, i) => `file-${i}-${randomUUID()}`)
  let lines: string[]

  beforeAll(async () => {
    const gateway = await startTestGateway(
      configWith(
        'auditFile',
        'audit-file',
        `auditFile({ path: ${JSON.stringify(file)}, batchSize: 5, flushIntervalMs: 50, redact: ['hunter2'] })`,
      ),
    )
    try {
      for (const [i, id] of ids.entries()) {
        const content = i === 3 ? 'my key is sk-abcdefghijklmnopqrstuvwxyz012345 and password hunter2' : `hello ${i}`
        expect(await chat(gateway, id, content, i % 2 === 1)).toBe(200)
      }
    } finally {
      await gateway.close() // close() flushes what is still queued
    }
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  })
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  it('writes one line per request, in order, with the chain, the fields and redacted content', () => {
    expect(lines).toHaveLength(ids.length)
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.map((r) => r.requestId)).toEqual(ids)
    expect(records[0]?.prev).toBe('0'.repeat(64))
    for (let i = 1; i < records.length; i++) expect(records[i]?.prev).toBe(records[i - 1]?.hash)
    expect(records[0]).toMatchObject({
      surface: 'openai',
      endpoint: 'chat',
      status: 200,
      route: 'demo',
      provider: 'mock',
      model: 'demo',
      attempts: 1,
      key: null,
      team: null,
      org: null,
      content: { request: { messages: [{ role: 'user', content: 'hello 0' }] }, response: 'You said: hello 0' },
    })
    expect(records[1]).toMatchObject({ stream: true, content: { response: 'You said: hello 1' } })
    expect((records[0]?.usage as { total_tokens: number } | undefined)?.total_tokens).toBeGreaterThan(0)
    expect(lines[3]).not.toContain('sk-abcdefghijklmnopqrstuvwxyz012345')
    expect(lines[3]).not.toContain('hunter2')
    expect(lines[3]).toContain('[REDACTED]')
  })

  it('`gateway audit verify` passes on the intact file', async () => {
    const { code, output } = await verify(file)
    expect(output).toContain('OK, 12 records')
    expect(code).toBe(0)
  })

  it('names the first bad line when a line is edited, removed, or two are swapped', async () => {
    const variant = (name: string, edit: (l: string[]) => string[]) => {
      const target = path.join(outDir, name)
      writeFileSync(target, `${edit([...lines]).join('\n')}\n`)
      return verify(target)
    }
    const [edited, removed, swapped] = await Promise.all([
      variant('edited.jsonl', (l) => {
        l[4] = (l[4] as string).replace('"status":200', '"status":201')
        return l
      }),
      variant('removed.jsonl', (l) => {
        l.splice(6, 1)
        return l
      }),
      variant('swapped.jsonl', (l) => {
        ;[l[8], l[9]] = [l[9] as string, l[8] as string]
        return l
      }),
    ])
    expect(edited.code).toBe(1)
    expect(edited.output).toMatch(/BROKEN at line 5: hash mismatch/)
    expect(removed.code).toBe(1)
    expect(removed.output).toMatch(/BROKEN at line 7: prev does not match/)
    expect(swapped.code).toBe(1)
    expect(swapped.output).toMatch(/BROKEN at line 9/)
  })

  it('continues the chain of an existing file after a restart', async () => {
    const gateway = await startTestGateway(
      configWith('auditFile', 'audit-file', `auditFile({ path: ${JSON.stringify(file)}, flushIntervalMs: 50 })`),
    )
    try {
      expect(await chat(gateway, `file-after-restart-${randomUUID()}`)).toBe(200)
    } finally {
      await gateway.close()
    }
    const { code, output } = await verify(file)
    expect(output).toContain('OK, 13 records')
    expect(code).toBe(0)
  })
})

describe('audit with the secrets plugin in redact mode', () => {
  it('records the request as the secrets plugin redacted it (it runs before the audit sees the body)', async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'audit-secrets-'))
    const file = path.join(outDir, 'audit.jsonl')
    const source = configWith(
      'auditFile',
      'audit-file',
      `secrets({ action: 'redact' }), auditFile({ path: ${JSON.stringify(file)}, flushIntervalMs: 50 })`,
    ).replace('export default', `import secrets from ${pluginPath('secrets')}\nexport default`)
    const gateway = await startTestGateway(source)
    try {
      const id = `secrets-${randomUUID()}`
      expect(await chat(gateway, id, 'connect with postgres://app:Xq7pL9vRt2mW4zK8@db.internal:5432/orders')).toBe(200)
    } finally {
      await gateway.close()
    }
    const text = readFileSync(file, 'utf8')
    rmSync(outDir, { recursive: true, force: true })
    expect(text).not.toContain('Xq7pL9vRt2mW4zK8')
    expect(text).toContain('[REDACTED:')
  })
})

/** A TCP proxy that can be stopped (connections refused) and started again on the same port. */
async function startProxy(targetPort: number) {
  const sockets = new Set<net.Socket>()
  let server: net.Server | null = null
  let port = 0
  const start = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1')
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => sockets.delete(socket))
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  }
  const stop = async () => {
    const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    for (const socket of sockets) socket.destroy()
    await closing
    server = null
  }
  await start()
  return { port, start, stop }
}

const postgres = await postgresForTests('the audit-postgres tests')

describe.runIf(postgres.run)('audit-postgres: spooled while the database is unreachable, exactly once after', () => {
  requirePostgres()
  let gateway: TestGateway
  let proxy: Awaited<ReturnType<typeof startProxy>>
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  const run = randomUUID()
  const spoolSeries = 'gateway_plugin_audit_postgres_spool_records{sink="audit-postgres"}'

  beforeAll(async () => {
    proxy = await startProxy(Number(new URL(DATABASE_URL).port || 5432))
    const url = new URL(DATABASE_URL)
    url.hostname = '127.0.0.1'
    url.port = String(proxy.port)
    gateway = await startTestGateway(
      configWith(
        'auditPostgres',
        'audit-postgres',
        `auditPostgres({ connectionString: ${JSON.stringify(url.toString())}, batchSize: 10, flushIntervalMs: 50,
           retryMinMs: 100, retryMaxMs: 300, connectTimeoutMs: 500, queryTimeoutMs: 2000 })`,
      ),
    )
  })
  afterAll(async () => {
    await gateway?.close()
    await proxy?.stop()
    await admin.end()
  })

  const countsFor = async (prefix: string) => {
    try {
      const result = await admin.query<{ request_id: string; n: string }>(
        'SELECT request_id, count(*) AS n FROM gateway_audit WHERE request_id LIKE $1 GROUP BY request_id',
        [`${prefix}%`],
      )
      return result.rows
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return [] // the table is not there yet
      throw error
    }
  }

  it('writes rows while the database is up (migration applied at first write)', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `pg-${run}-up-${i}`)
    for (const id of ids) expect(await chat(gateway, id)).toBe(200)
    const rows = await waitFor(
      '5 rows',
      () => countsFor(`pg-${run}-up-`),
      (r) => r.length === 5,
    )
    expect(rows.every((r) => r.n === '1')).toBe(true)
    const migrations = await admin.query('SELECT name FROM gateway_audit_migrations')
    expect(migrations.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['001_audit.sql', '002_surface.sql']))
    const row = (await admin.query('SELECT * FROM gateway_audit WHERE request_id = $1', [ids[0]])).rows[0]
    expect(row).toMatchObject({
      surface: 'openai',
      status: 200,
      route: 'demo',
      provider: 'mock',
      model: 'demo',
      attempts: 1,
    })
    expect(row.content.response).toBe('You said: hello')
  })

  it('spools under load while the database is unreachable and replays every record exactly once', async () => {
    await proxy.stop()
    const ids = Array.from({ length: 80 }, (_, i) => `pg-${run}-down-${i}`)
    const started = performance.now()
    for (let i = 0; i < ids.length; i += 20) {
      const statuses = await Promise.all(ids.slice(i, i + 20).map((id, j) => chat(gateway, id, 'load', j % 3 === 0)))
      expect(statuses.every((s) => s === 200)).toBe(true)
    }
    // Answers never wait on the sink.
    expect(performance.now() - started).toBeLessThan(5000)
    await waitFor(
      'records in the spool',
      () => gauge(gateway, spoolSeries),
      (n) => (n ?? 0) >= ids.length,
    )
    expect(await countsFor(`pg-${run}-down-`)).toHaveLength(0)

    await proxy.start()
    await waitFor(
      'the spool to drain',
      () => gauge(gateway, spoolSeries),
      (n) => n === 0,
    )
    const rows = await waitFor(
      '80 rows',
      () => countsFor(`pg-${run}-down-`),
      (r) => r.length === ids.length,
    )
    expect(rows.filter((r) => r.n !== '1')).toEqual([])
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids))
    // And nothing more arrives late (no duplicates from a second replay).
    await new Promise((resolve) => setTimeout(resolve, 500))
    const total = await admin.query('SELECT count(*)::int AS n FROM gateway_audit WHERE request_id LIKE $1', [
      `pg-${run}-%`,
    ])
    expect(total.rows[0].n).toBe(85)
  })
})

/** An audit webhook receiver that can go down and come back on the same port. */
async function startReceiver() {
  const received: Array<{ id: string; requestId: string }> = []
  let server: Server | null = null
  let port = 0
  const sockets = new Set<net.Socket>()
  const start = async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on('end', () => {
        const { records } = JSON.parse(body) as { records: Array<{ id: string; requestId: string }> }
        received.push(...records.map(({ id, requestId }) => ({ id, requestId })))
        res.writeHead(204).end()
      })
    })
    server.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  }
  const stop = async () => {
    const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    for (const socket of sockets) socket.destroy()
    await closing
    server = null
  }
  await start()
  return { received, url: `http://127.0.0.1:${port}/audit`, start, stop }
}

describe('audit-webhook: batches POSTed, spooled while the receiver is down', () => {
  let gateway: TestGateway
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  const spoolSeries = 'gateway_plugin_audit_webhook_spool_records{sink="audit-webhook"}'

  beforeAll(async () => {
    receiver = await startReceiver()
    gateway = await startTestGateway(
      configWith(
        'auditWebhook',
        'audit-webhook',
        `auditWebhook({ url: ${JSON.stringify(receiver.url)}, batchSize: 7, flushIntervalMs: 50, retries: 1,
           retryMinMs: 100, retryMaxMs: 300, timeoutMs: 1000 })`,
      ),
    )
  })
  afterAll(async () => {
    await gateway?.close()
    await receiver?.stop()
  })

  it('delivers every record exactly once and in order, including after the receiver was down', async () => {
    const up = Array.from({ length: 10 }, (_, i) => `hook-up-${i}-${randomUUID()}`)
    for (const id of up) expect(await chat(gateway, id)).toBe(200)
    await waitFor(
      '10 records',
      () => receiver.received.length,
      (n) => n >= up.length,
    )

    await receiver.stop()
    const down = Array.from({ length: 30 }, (_, i) => `hook-down-${i}-${randomUUID()}`)
    for (const id of down) expect(await chat(gateway, id, 'while down', true)).toBe(200)
    await waitFor(
      'records in the spool',
      () => gauge(gateway, spoolSeries),
      (n) => (n ?? 0) > 0,
    )
    // Down for a while: several retries fail.
    await new Promise((resolve) => setTimeout(resolve, 700))
    await receiver.start()
    await waitFor(
      '40 records',
      () => receiver.received.length,
      (n) => n >= up.length + down.length,
    )
    await waitFor(
      'the spool to drain',
      () => gauge(gateway, spoolSeries),
      (n) => n === 0,
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.received.map((r) => r.requestId)).toEqual([...up, ...down])
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(up.length + down.length)
  })
})
