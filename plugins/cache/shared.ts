/**
 * What the exact and the semantic cache share: the per-request controls
 * header, who may use the cache, recording an answer (JSON or streamed) and
 * turning a stored entry back into a direct answer.
 */
import type {
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  CompletionRecord,
  DirectAnswer,
  PluginApi,
  PluginHooks,
  RequestContext,
  Usage,
} from '../../core/index.js'

export const CACHE_HEADER = 'x-gateway-cache'
export const ENTRY_VERSION = 1

/** What is kept per cached answer (JSON-serialisable: it goes to keyv, possibly Redis). */
export interface CacheEntry {
  v: typeof ENTRY_VERSION
  /** The answer as a complete chat completion (for a recorded stream: assembled from its chunks). */
  completion: ChatCompletion
  /** For an answer that was streamed: its chunks as sent, replayed as they were. */
  chunks?: ChatChunk[]
  /** Which target answered, and its usage: what a charged hit is billed as. */
  servedBy?: { provider: string; model: string }
  usage?: Usage
  /** Epoch ms. */
  storedAt: number
}

/** Options both caches take. */
export interface CommonOptions {
  /** How long an answer is kept. Default 3600. */
  ttlSeconds?: number
  /** Only these teams use the cache (others: `bypass`). Default: everyone. */
  teams?: string[]
  /** Only these keys use the cache (others: `bypass`). With `teams` too, either one admits. */
  keys?: string[]
  /** Separate caches per team or per key instead of one shared by every caller. Default 'none'. */
  partitionBy?: 'none' | 'team' | 'key'
  /** Also cache answers cut short by `max_tokens` (finish_reason `length`). Default false. */
  cacheTruncated?: boolean
  /** Charge hits against budgets at the original answer's cost. Default false: hits are free. */
  chargeHits?: boolean
  /** Streams longer than this many chunks are not cached. Default 10000. */
  maxChunks?: number
}

export const COMMON_OPTION_SCHEMA: Record<string, unknown> = {
  ttlSeconds: { type: 'integer', minimum: 1, default: 3600 },
  teams: { type: 'array', items: { type: 'string', minLength: 1 } },
  keys: { type: 'array', items: { type: 'string', minLength: 1 } },
  partitionBy: { enum: ['none', 'team', 'key'], default: 'none' },
  cacheTruncated: { type: 'boolean', default: false },
  chargeHits: { type: 'boolean', default: false },
  maxChunks: { type: 'integer', minimum: 1, default: 10000 },
}

/** The request's `x-gateway-cache` directives. */
export interface Controls {
  /** Do not look up: always ask the upstream (the fresh answer is still stored unless no-store). */
  noCache: boolean
  /** Do not store this answer. */
  noStore: boolean
  /** Keep this answer this long instead of the configured TTL. */
  ttlSeconds: number | null
}

/** Parses `x-gateway-cache: no-store | no-cache | ttl=N` (comma-separated to combine); throws on anything else. */
export function parseControls(api: PluginApi, header: string | string[] | undefined): Controls {
  const controls: Controls = { noCache: false, noStore: false, ttlSeconds: null }
  if (header === undefined) return controls
  const parts = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean)
  for (const part of parts) {
    const ttl = /^ttl=(\d{1,9})$/.exec(part)
    if (part === 'no-cache') controls.noCache = true
    else if (part === 'no-store') controls.noStore = true
    else if (ttl && Number(ttl[1]) > 0) controls.ttlSeconds = Number(ttl[1])
    else
      throw api.reject({
        status: 400,
        code: 'invalid_cache_directive',
        param: CACHE_HEADER,
        message: `The ${CACHE_HEADER} header takes no-cache, no-store or ttl=<seconds> (comma-separated); got '${part}'.`,
      })
  }
  return controls
}

/** Whether the caller may use the cache under the `teams` / `keys` allow-lists. */
export function callerAdmitted(options: CommonOptions, ctx: RequestContext): boolean {
  if (!options.teams && !options.keys) return true
  const { team, key } = ctx.caller
  return (
    (team !== null && options.teams?.includes(team) === true) || (key !== null && options.keys?.includes(key) === true)
  )
}

/** The part of the key that separates callers (`partitionBy`), or null when the cache is shared. */
export function partitionOf(options: CommonOptions, ctx: RequestContext): string | null {
  if (options.partitionBy === 'team') return `team:${ctx.caller.team ?? ''}`
  if (options.partitionBy === 'key') return `key:${ctx.caller.key ?? ''}`
  return null
}

/** A stored entry as the answer to this request: recorded chunks replay a stream exactly. */
export function directAnswer(entry: CacheEntry, request: ChatRequest, options: CommonOptions): DirectAnswer {
  const charge =
    options.chargeHits === true && entry.servedBy && entry.usage
      ? { charge: { ...entry.servedBy, usage: entry.usage } }
      : {}
  if (request.stream && entry.chunks) return { respond: entry.completion, chunks: entry.chunks, ...charge }
  return { respond: entry.completion, ...charge }
}

/** Headers of a hit: the cache verdict and its age (the gateway sets the cost: 0, or the charged cost). */
export function markHit(ctx: RequestContext, entry: CacheEntry): void {
  ctx.responseHeaders[CACHE_HEADER] = 'hit'
  ctx.responseHeaders['x-gateway-cache-age'] = String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000)))
}

/** A request whose answer is to be recorded and stored once it has gone out whole. */
export interface Recording {
  ttlMs: number
  chunks: ChatChunk[]
  overflow: boolean
  completion: ChatCompletion | null
}

export function newRecording(ttlSeconds: number): Recording {
  return { ttlMs: ttlSeconds * 1000, chunks: [], overflow: false, completion: null }
}

/** The answers being recorded, by request. */
export type PendingRecordings<R extends Recording> = WeakMap<RequestContext, R>

/** The hooks that record an answer for the requests in `pending`: JSON in onResponse, streams chunk by chunk. */
export function recordingHooks<R extends Recording>(
  pending: PendingRecordings<R>,
  maxChunks: number,
): Required<Pick<PluginHooks, 'onResponse' | 'onChunk'>> {
  return {
    onResponse(ctx, response) {
      const recording = pending.get(ctx)
      if (recording) recording.completion = structuredClone(response)
    },
    onChunk(ctx, chunk) {
      const recording = pending.get(ctx)
      if (recording) recordChunk(recording, chunk, maxChunks)
    },
  }
}

/** The finished request's recording and the entry to store, or null when there is nothing to store. */
export function finishRecording<R extends Recording>(
  pending: PendingRecordings<R>,
  ctx: RequestContext,
  record: CompletionRecord,
  options: CommonOptions,
): { recording: R; entry: CacheEntry } | null {
  const recording = pending.get(ctx)
  if (!recording) return null
  pending.delete(ctx)
  const entry = entryFor(recording, record, options)
  return entry ? { recording, entry } : null
}

export function recordChunk(recording: Recording, chunk: ChatChunk, maxChunks: number): void {
  if (recording.overflow) return
  if (recording.chunks.length >= maxChunks) {
    recording.overflow = true
    recording.chunks = []
    return
  }
  recording.chunks.push(structuredClone(chunk))
}

/**
 * The entry to store for a finished request, or null when it must not be
 * cached: not a 200, failed mid-stream, a stream cut short, an answer that
 * did not finish (or finished on `length` without `cacheTruncated`).
 */
export function entryFor(recording: Recording, record: CompletionRecord, options: CommonOptions): CacheEntry | null {
  if (record.status !== 200 || record.error) return null
  let completion: ChatCompletion | null
  let chunks: ChatChunk[] | undefined
  if (record.stream) {
    if (recording.overflow || recording.chunks.length === 0) return null
    chunks = recording.chunks
    // A client that did not ask for usage never saw the usage chunk: keep it from the record for those who do.
    if (!chunks.some((c) => c.usage) && record.usage) {
      const first = chunks[0] as ChatChunk
      chunks = [
        ...chunks,
        {
          id: first.id,
          object: 'chat.completion.chunk',
          created: first.created,
          model: first.model,
          choices: [],
          usage: record.usage,
        },
      ]
    }
    completion = assemble(chunks)
  } else {
    completion = recording.completion
  }
  if (!completion || completion.choices.length === 0) return null
  const finished = completion.choices.every(
    ({ finish_reason }) =>
      finish_reason === 'stop' ||
      finish_reason === 'tool_calls' ||
      finish_reason === 'function_call' ||
      (finish_reason === 'length' && options.cacheTruncated === true),
  )
  if (!finished) return null
  return {
    v: ENTRY_VERSION,
    completion,
    ...(chunks && { chunks }),
    ...(record.provider && record.model && { servedBy: { provider: record.provider, model: record.model } }),
    ...(record.usage && { usage: record.usage }),
    storedAt: Date.now(),
  }
}

export function isEntry(value: unknown): value is CacheEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as CacheEntry).v === ENTRY_VERSION &&
    typeof (value as CacheEntry).completion === 'object'
  )
}

/** A chat completion from a stream's chunks: contents and tool-call arguments joined, finish reasons, usage. */
export function assemble(chunks: readonly ChatChunk[]): ChatCompletion | null {
  const first = chunks[0]
  if (!first) return null
  type Call = { id: string; type: 'function'; function: { name: string; arguments: string } }
  const choices = new Map<
    number,
    {
      role: string
      content: string | null
      calls: Map<number, Call>
      finish: ChatCompletion['choices'][number]['finish_reason']
    }
  >()
  let usage: ChatCompletion['usage']
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage
    for (const { index, delta, finish_reason } of chunk.choices) {
      let choice = choices.get(index)
      if (!choice) {
        choice = { role: 'assistant', content: null, calls: new Map(), finish: null }
        choices.set(index, choice)
      }
      if (delta.role) choice.role = delta.role
      if (typeof delta.content === 'string') choice.content = (choice.content ?? '') + delta.content
      for (const part of delta.tool_calls ?? []) {
        let call = choice.calls.get(part.index)
        if (!call) {
          call = { id: part.id ?? '', type: 'function', function: { name: '', arguments: '' } }
          choice.calls.set(part.index, call)
        }
        if (part.id) call.id = part.id
        if (part.function?.name) call.function.name += part.function.name
        if (part.function?.arguments) call.function.arguments += part.function.arguments
      }
      if (finish_reason) choice.finish = finish_reason
    }
  }
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, choice]) => ({
        index,
        message: {
          role: choice.role as ChatCompletion['choices'][number]['message']['role'],
          content: choice.content,
          ...(choice.calls.size > 0 && { tool_calls: [...choice.calls.values()] }),
        },
        finish_reason: choice.finish,
      })),
    ...(usage && { usage }),
  }
}
