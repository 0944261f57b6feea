/**
 * Audit file sink: one JSON line per request, append-only, hash-chained (see
 * chain.ts); `gateway audit verify <file>` finds the first edited, removed or
 * reordered line. Writes go through the shared queue (plugins/audit-shared):
 * never on the request's path, spooled while the file cannot be written.
 */

import { mkdirSync } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { definePlugin } from '../../core/index.js'
import {
  type AuditRecord,
  auditRecordBuilder,
  RECORD_OPTIONS_SCHEMA,
  type RecordOptions,
} from '../audit-shared/record.js'
import { AuditQueue, QUEUE_OPTIONS_SCHEMA, type QueueOptions } from '../audit-shared/spool.js'
import { chainLines, GENESIS } from './chain.js'

export interface AuditFileOptions extends RecordOptions, QueueOptions {
  /** The JSONL file (relative: to the config's directory). */
  path: string
  /** fsync after every batch (default true). */
  fsync?: boolean
}

export default definePlugin<AuditFileOptions>({
  name: 'audit-file',
  options: {
    type: 'object',
    required: ['path'],
    additionalProperties: false,
    properties: {
      path: { type: 'string', minLength: 1, description: "The audit file (relative to the config's directory)." },
      fsync: { type: 'boolean', default: true, description: 'fsync the file after every batch.' },
      ...RECORD_OPTIONS_SCHEMA,
      ...QUEUE_OPTIONS_SCHEMA,
    },
  },
  setup(options, api) {
    const file = path.resolve(api.configDir, options.path)
    mkdirSync(path.dirname(file), { recursive: true })
    const build = auditRecordBuilder(options)
    /** The last line's hash; read from the file before the first write (the queue holds the file's lock then). */
    let head: string | null = null
    const queue = new AuditQueue<AuditRecord>(
      {
        name: 'audit-file',
        lockKey: `file:${file}`,
        async write(batch) {
          head ??= await lastHash(file)
          const { text, hash } = await chainLines(head, batch)
          const handle = await open(file, 'a')
          try {
            await handle.appendFile(text)
            if (options.fsync !== false) await handle.sync()
          } catch (error) {
            // The file may now end with a partial batch; re-read the head before the next try.
            head = null
            throw error
          } finally {
            await handle.close()
          }
          head = hash
        },
      },
      options,
      api,
    )
    return {
      onComplete(record, ctx) {
        queue.enqueue(build(record, ctx))
      },
      close: () => queue.close(),
    }
  },
})

/** The `hash` of the file's last line, read backwards from its end; the genesis value for a new file. */
async function lastHash(file: string): Promise<string> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return GENESIS
  }
  if (size === 0) return GENESIS
  const handle = await open(file, 'r')
  try {
    let end = size
    let tail = Buffer.alloc(0)
    while (end > 0) {
      const start = Math.max(0, end - 65536)
      const chunk = Buffer.alloc(end - start)
      await handle.read(chunk, 0, chunk.length, start)
      tail = Buffer.concat([chunk, tail])
      end = start
      const text = tail.toString('utf8').replace(/\n+$/, '')
      const newline = text.lastIndexOf('\n')
      if (newline !== -1 || end === 0) {
        const last = JSON.parse(text.slice(newline + 1)) as { hash?: unknown }
        if (typeof last.hash !== 'string') throw new Error(`${file}: the last line has no hash; is it an audit file?`)
        return last.hash
      }
    }
    return GENESIS
  } finally {
    await handle.close()
  }
}
