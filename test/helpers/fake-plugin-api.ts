/**
 * A PluginApi and RequestContext for unit tests of plugins: captured log
 * lines, counters, verdicts; `reject` is the engine's own.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import type { ChatChunk, ChatRequest, EmbeddingsRequest } from '../../core/index.js'
import { pluginRejection } from '../../core/plugins/reject.js'
import type { GuardrailVerdict, PluginApi, RequestContext } from '../../core/plugins/types.js'

export interface FakeApi extends PluginApi {
  /** Log lines, raw JSON. */
  readonly logs: string[]
  /** Counter increments as "metric{label=value,...}" -> total. */
  readonly counts: Map<string, number>
  readonly verdicts: GuardrailVerdict[]
}

export function fakeApi(): FakeApi {
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  const logger = pino({ level: 'debug' }, destination)
  const counts = new Map<string, number>()
  const verdicts: GuardrailVerdict[] = []
  const key = (name: string, labels: Record<string, string> = {}) =>
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`
  // Not an object literal in place, so the fake fits PluginMetrics with or without newer helpers.
  const metrics = {
    counter: (name: string) => ({
      inc: (labels?: Record<string, string>, value = 1) =>
        counts.set(key(name, labels), (counts.get(key(name, labels)) ?? 0) + value),
    }),
    histogram: () => ({ observe: () => {} }),
    gauge: () => ({ set: () => {} }),
  }
  return {
    logs,
    counts,
    verdicts,
    logger,
    store: {
      get: async () => undefined,
      set: async () => {},
      delete: async () => false,
    },
    metrics,
    env: () => undefined,
    configDir: process.cwd(),
    reject: pluginRejection,
    verdict: (verdict, ctx) => {
      verdicts.push(verdict)
      if (ctx) ctx.verdicts.test = verdict
    },
    gateway: {
      chat: async () => {
        throw new Error('not in unit tests')
      },
      embeddings: async () => {
        throw new Error('not in unit tests')
      },
    },
    cacheLookup: () => {},
  }
}

export function fakeContext(
  body: ChatRequest | EmbeddingsRequest,
  api: FakeApi,
  endpoint: 'chat' | 'embeddings' = 'chat',
) {
  const ctx: RequestContext = {
    requestId: 'req-test',
    surface: 'openai',
    endpoint,
    body,
    headers: {},
    caller: { key: null, team: null, org: null, metadata: {} },
    metadata: {},
    tags: {},
    route: null,
    responseHeaders: {},
    verdicts: {},
    required: new Set(),
    logger: api.logger,
    signal: new AbortController().signal,
  }
  return ctx
}

/** A stream chunk with one choice carrying `content`; `finish` makes it the last. */
export function textChunk(content: string, finish = false): ChatChunk {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'demo',
    choices: [{ index: 0, delta: { content }, finish_reason: finish ? 'stop' : null }],
  }
}
