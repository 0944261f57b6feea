/**
 * The audit record every sink writes: one per request, built from the
 * `CompletionRecord` handed to `onComplete` (plus the org from the request's
 * caller), with the content optional and secrets redacted.
 */
import { randomUUID } from 'node:crypto'
import type { CompletionRecord, RequestContext } from '../../core/index.js'

export interface AuditRecord {
  /** The audit record's own id (a UUID): the idempotency key sinks dedupe on. Request ids come from clients. */
  id: string
  /** When the request completed (ISO 8601). */
  time: string
  requestId: string
  /** The wire format the client spoke (openai, anthropic, genai, bedrock). */
  surface: CompletionRecord['surface']
  endpoint: 'chat' | 'embeddings'
  stream: boolean
  status: number
  key: string | null
  team: string | null
  org: string | null
  route: string | null
  provider: string | null
  model: string | null
  attempts: number
  durationMs: number
  ttftMs: number | null
  upstreamMs: number
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null
  costUsd: number | null
  error: { type: string; code: string; message: string } | null
  tags: Record<string, string>
  verdicts: Record<string, string>
  /** Absent with `content: false`. */
  content?: { request: unknown; response: string | null }
}

export interface RecordOptions {
  /** Keep what was asked and answered (default true). */
  content?: boolean
  /** Regular expressions (JavaScript syntax) whose matches in the content and error message become `[REDACTED]`. */
  redact?: string[]
}

/** Well-known credential shapes, redacted from the content whatever the options say. */
export const DEFAULT_REDACTIONS = [
  'sk-[A-Za-z0-9_-]{16,}',
  'AKIA[0-9A-Z]{16}',
  'gh[pousr]_[A-Za-z0-9]{30,}',
  'xox[abposr]-[A-Za-z0-9-]{10,}',
  '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----',
]

export const RECORD_OPTIONS_SCHEMA = {
  content: { type: 'boolean', default: true, description: 'Keep the request body and the answer text (default true).' },
  redact: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    description:
      'Regular expressions whose matches in the content and error message are replaced by [REDACTED] (added to built-in credential patterns).',
  },
} as const

/** A function that builds audit records; compiled once per plugin setup. */
export function auditRecordBuilder(
  options: RecordOptions,
): (record: CompletionRecord, ctx: RequestContext) => AuditRecord {
  const patterns = [...DEFAULT_REDACTIONS, ...(options.redact ?? [])].map((source) => new RegExp(source, 'g'))
  const redactString = (text: string): string =>
    patterns.reduce((current, pattern) => current.replace(pattern, '[REDACTED]'), text)
  const keepContent = options.content !== false
  return (record, ctx) => {
    const audit: AuditRecord = {
      id: randomUUID(),
      time: new Date().toISOString(),
      requestId: record.requestId,
      surface: record.surface,
      endpoint: record.endpoint,
      stream: record.stream,
      status: record.status,
      key: record.key,
      team: record.team,
      org: ctx.caller.org,
      route: record.route,
      provider: record.provider,
      model: record.model,
      attempts: record.attempts,
      durationMs: record.durationMs,
      ttftMs: record.ttftMs,
      upstreamMs: record.upstreamMs,
      usage: record.usage
        ? {
            prompt_tokens: record.usage.prompt_tokens,
            completion_tokens: record.usage.completion_tokens,
            total_tokens: record.usage.total_tokens,
          }
        : null,
      costUsd: record.costUsd,
      error: record.error ? { ...record.error, message: redactString(record.error.message) } : null,
      tags: { ...record.tags },
      verdicts: { ...record.verdicts },
    }
    if (keepContent) {
      // A deep copy taken now: the body object belongs to the request and the sink writes later.
      audit.content = {
        request: redactDeep(record.content.request, redactString),
        response: record.content.response === null ? null : redactString(record.content.response),
      }
    }
    return audit
  }
}

function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = redactDeep(v, redact)
    return out
  }
  return value ?? null
}
