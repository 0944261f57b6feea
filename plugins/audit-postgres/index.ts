/**
 * Audit sink for PostgreSQL: batched multi-row inserts into `gateway_audit`,
 * idempotent by the record's id (ON CONFLICT DO NOTHING), through the shared
 * queue (plugins/audit-shared): never on the request's path, spooled to disk
 * while the database is unreachable and replayed in order when it is back.
 * The table comes from migrations/*.sql, applied before the first write when
 * absent from `gateway_audit_migrations` (under an advisory lock, so replicas
 * do not race).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { definePlugin } from '../../core/index.js'
import {
  type AuditRecord,
  auditRecordBuilder,
  RECORD_OPTIONS_SCHEMA,
  type RecordOptions,
} from '../audit-shared/record.js'
import { AuditQueue, QUEUE_OPTIONS_SCHEMA, type QueueOptions } from '../audit-shared/spool.js'

export interface AuditPostgresOptions extends RecordOptions, QueueOptions {
  /** postgres://user:password@host:port/database; default: the DATABASE_URL environment variable. */
  connectionString?: string
  /** Connection attempts give up after this long (default 5000 ms). */
  connectTimeoutMs?: number
  /** Each insert gives up after this long (default 10000 ms). */
  queryTimeoutMs?: number
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))
const ROWS_PER_INSERT = 1000
const MIGRATION_LOCK = 7_361_920_104 // pg_advisory_xact_lock key for the audit migrations

const COLUMNS = [
  'id',
  'time',
  'request_id',
  'surface',
  'endpoint',
  'stream',
  'status',
  'key_name',
  'team_name',
  'org_name',
  'route',
  'provider',
  'model',
  'attempts',
  'duration_ms',
  'ttft_ms',
  'upstream_ms',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cost_usd',
  'error',
  'tags',
  'verdicts',
  'content',
] as const

function row(r: AuditRecord): unknown[] {
  return [
    r.id,
    r.time,
    r.requestId,
    r.surface,
    r.endpoint,
    r.stream,
    r.status,
    r.key,
    r.team,
    r.org,
    r.route,
    r.provider,
    r.model,
    r.attempts,
    r.durationMs,
    r.ttftMs,
    r.upstreamMs,
    r.usage?.prompt_tokens ?? null,
    r.usage?.completion_tokens ?? null,
    r.usage?.total_tokens ?? null,
    r.costUsd,
    r.error === null ? null : JSON.stringify(r.error),
    JSON.stringify(r.tags),
    JSON.stringify(r.verdicts),
    r.content === undefined ? null : JSON.stringify(r.content),
  ]
}

/** Applies the migrations not yet recorded in `gateway_audit_migrations`, in file-name order, each in a transaction. */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  const applied: string[] = []
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(
      'CREATE TABLE IF NOT EXISTS gateway_audit_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    )
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM gateway_audit_migrations')).rows.map((r) => r.name),
    )
    for (const file of files) {
      if (done.has(file)) continue
      await client.query(readFileSync(path.join(dir, file), 'utf8'))
      await client.query('INSERT INTO gateway_audit_migrations (name) VALUES ($1)', [file])
      applied.push(file)
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
  return applied
}

export default definePlugin<AuditPostgresOptions>({
  name: 'audit-postgres',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      connectionString: {
        type: 'string',
        minLength: 1,
        description: 'postgres://user:password@host:port/database (default: DATABASE_URL).',
      },
      connectTimeoutMs: { type: 'integer', minimum: 1, default: 5000 },
      queryTimeoutMs: { type: 'integer', minimum: 1, default: 10000 },
      ...RECORD_OPTIONS_SCHEMA,
      ...QUEUE_OPTIONS_SCHEMA,
    },
  },
  setup(options, api) {
    const connectionString = options.connectionString ?? api.env('DATABASE_URL')
    if (!connectionString) throw new Error('audit-postgres: set `connectionString` or DATABASE_URL')
    const pool = new pg.Pool({
      connectionString,
      max: 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 10000,
      idleTimeoutMillis: 10000,
    })
    // An idle connection the server (or the network) dropped: the next write reconnects.
    pool.on('error', (error) => api.logger.warn({ err: error }, 'audit-postgres: idle connection lost'))
    // Migrations run at setup, in the background (the database may be down: then before the first write).
    let migrated = false
    let migrating: Promise<void> | null = null
    const ensureMigrated = (): Promise<void> =>
      (migrating ??= migrate(pool).then(
        (applied) => {
          migrated = true
          if (applied.length > 0) api.logger.info({ applied }, 'audit-postgres: migrations applied')
        },
        (error: unknown) => {
          migrating = null
          throw error
        },
      ))
    ensureMigrated().catch((error: unknown) =>
      api.logger.warn({ err: error }, 'audit-postgres: migrations not applied yet; retrying before the first write'),
    )
    const build = auditRecordBuilder(options)
    const placeholders = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`,
      ).join(', ')
    const queue = new AuditQueue<AuditRecord>(
      {
        name: 'audit-postgres',
        lockKey: `postgres:${connectionString}`,
        async write(batch) {
          if (!migrated) await ensureMigrated()
          // Postgres takes at most 65535 parameters a statement; a replay after a partial failure inserts nothing twice.
          for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
            const rows = batch.slice(i, i + ROWS_PER_INSERT)
            await pool.query(
              `INSERT INTO gateway_audit (${COLUMNS.join(', ')}) VALUES ${placeholders(rows.length)} ON CONFLICT (id) DO NOTHING`,
              rows.flatMap(row),
            )
          }
        },
      },
      options,
      api,
    )
    return {
      onComplete(record, ctx) {
        queue.enqueue(build(record, ctx))
      },
      async close() {
        try {
          await queue.close()
        } finally {
          await pool.end()
        }
      },
    }
  },
})
