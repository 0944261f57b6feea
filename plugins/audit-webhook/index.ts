/**
 * Audit sink for an HTTP endpoint: POSTs batches as JSON
 * (`{ "records": [...] }`) through undici, retrying a failed POST a few
 * times at once and then through the shared queue (plugins/audit-shared):
 * spooled to disk while the receiver is down, replayed in order when it is
 * back. Any 2xx is success. Every record carries its own `id` and each batch
 * an `idempotency-key` header: a receiver that stores by `id` never keeps a
 * record twice, even in the one case a batch is sent again (the receiver took
 * it but its answer was lost).
 */
import { createHash } from 'node:crypto'
import { request } from 'undici'
import { definePlugin } from '../../core/index.js'
import {
  type AuditRecord,
  auditRecordBuilder,
  RECORD_OPTIONS_SCHEMA,
  type RecordOptions,
} from '../audit-shared/record.js'
import { AuditQueue, QUEUE_OPTIONS_SCHEMA, type QueueOptions } from '../audit-shared/spool.js'

export interface AuditWebhookOptions extends RecordOptions, QueueOptions {
  url: string
  /** Extra request headers, e.g. an authorization header (use env() in the config for the secret). */
  headers?: Record<string, string>
  /** Per POST (default 10000 ms). */
  timeoutMs?: number
  /** Immediate re-tries of a failed POST before the batch is spooled (default 2). */
  retries?: number
}

export default definePlugin<AuditWebhookOptions>({
  name: 'audit-webhook',
  options: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'Where batches are POSTed.' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra request headers.' },
      timeoutMs: { type: 'integer', minimum: 1, default: 10000, description: 'Per POST.' },
      retries: { type: 'integer', minimum: 0, maximum: 10, default: 2, description: 'Immediate re-tries per batch.' },
      ...RECORD_OPTIONS_SCHEMA,
      ...QUEUE_OPTIONS_SCHEMA,
    },
  },
  setup(options, api) {
    const build = auditRecordBuilder(options)
    const timeout = options.timeoutMs ?? 10000
    const retries = options.retries ?? 2
    const post = async (body: string, key: string): Promise<void> => {
      const res = await request(options.url, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      })
      await res.body.dump()
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}`)
    }
    const queue = new AuditQueue<AuditRecord>(
      {
        name: 'audit-webhook',
        lockKey: `webhook:${options.url}`,
        async write(batch) {
          const body = JSON.stringify({ records: batch })
          const key = createHash('sha256')
            .update(batch.map((r) => r.id).join(','))
            .digest('hex')
          for (let attempt = 0; ; attempt++) {
            try {
              await post(body, key)
              return
            } catch (error) {
              if (attempt >= retries) throw error
              await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
            }
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
      close: () => queue.close(),
    }
  },
})
