/**
 * Semantic response cache. First the exact cache's lookup (same key
 * function, see ../cache/key.ts); on a miss, the last user message is
 * embedded through one of the gateway's own embedding routes and looked up
 * in a vector index of earlier questions asked in the same context (route,
 * model, system prompt, earlier turns, parameters): the nearest one at or
 * above the similarity threshold answers. Vectors live in memory (per
 * process); answers in the plugin store (memory, or Redis), with a TTL.
 */
import {
  type ChatMessage,
  type ChatRequest,
  definePlugin,
  type PluginApi,
  type RequestContext,
} from '../../core/index.js'
import { cacheKey, normaliseRequest, sha256 } from '../cache/key.js'
import {
  CACHE_HEADER,
  COMMON_OPTION_SCHEMA,
  type CommonOptions,
  callerAdmitted,
  directAnswer,
  finishRecording,
  isEntry,
  markHit,
  newRecording,
  parseControls,
  partitionOf,
  type Recording,
  recordingHooks,
} from '../cache/shared.js'
import { canonicalJson } from '../shared/canonical-json.js'
import { createIndex, loadUsearch, usearchLoadError, type VectorIndex } from './vector-index.js'

export interface SemanticCacheOptions extends CommonOptions {
  /** The route (or `provider/model`) that embeds text, called through the gateway itself. */
  embeddingRoute: string
  /** Cosine similarity at or above which a stored question answers a new one. Default 0.95. */
  threshold?: number
  /** Questions kept in the index, across namespaces; the oldest go first. Default 1000. */
  maxEntries?: number
  /** 'usearch' (HNSW, falls back to 'scan' if it cannot load) or 'scan' (exact, in-process). Default 'usearch'. */
  index?: 'usearch' | 'scan'
  /** How many nearest neighbours to check (skipping expired ones). Default 4. */
  candidates?: number
}

interface Indexed {
  namespace: string
  key: string
  expiresAt: number
}

interface Pending extends Recording {
  key: string
  namespace: string | null
  vector: Float32Array | null
}

export default definePlugin<SemanticCacheOptions>({
  name: 'semantic-cache',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['embeddingRoute'],
    properties: {
      ...COMMON_OPTION_SCHEMA,
      embeddingRoute: { type: 'string', minLength: 1 },
      threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.95 },
      maxEntries: { type: 'integer', minimum: 1, default: 1000 },
      index: { enum: ['usearch', 'scan'], default: 'usearch' },
      candidates: { type: 'integer', minimum: 1, maximum: 100, default: 4 },
    },
  },
  setup(options, api) {
    const ttlSeconds = options.ttlSeconds ?? 3600
    const threshold = options.threshold ?? 0.95
    const maxEntries = options.maxEntries ?? 1000
    const maxChunks = options.maxChunks ?? 10_000
    const candidates = options.candidates ?? 4
    let kind = options.index ?? 'usearch'
    if (kind === 'usearch' && !loadUsearch()) {
      api.logger.warn({ err: usearchLoadError() }, 'usearch could not be loaded; using an exact in-process scan')
      kind = 'scan'
    }

    const indexes = new Map<string, VectorIndex>()
    /** In insertion order, so the first is the oldest. */
    const entries = new Map<bigint, Indexed>()
    const idOfKey = new Map<string, bigint>()
    let nextId = 1n
    const pending = new WeakMap<RequestContext, Pending>()

    const forget = (id: bigint) => {
      const entry = entries.get(id)
      if (!entry) return
      entries.delete(id)
      if (idOfKey.get(entry.key) === id) idOfKey.delete(entry.key)
      indexes.get(entry.namespace)?.remove(id)
    }

    const remember = (namespace: string, key: string, vector: Float32Array, ttlMs: number) => {
      const existing = idOfKey.get(key)
      if (existing !== undefined) forget(existing)
      let index = indexes.get(namespace)
      if (index && index.dimensions !== vector.length) {
        // The embedding model changed: the old vectors cannot be compared with the new ones.
        for (const [id, entry] of entries) if (entry.namespace === namespace) forget(id)
        index = undefined
      }
      if (!index) {
        index = createIndex(kind, vector.length)
        indexes.set(namespace, index)
      }
      const id = nextId++
      index.add(id, vector)
      entries.set(id, { namespace, key, expiresAt: Date.now() + ttlMs })
      idOfKey.set(key, id)
      const now = Date.now()
      for (const [oldest, entry] of entries) {
        if (entries.size <= maxEntries && entry.expiresAt > now) break
        forget(oldest)
      }
      for (const [name, idx] of indexes) if (idx.size() === 0) indexes.delete(name)
    }

    return {
      async onRequest(ctx) {
        if (ctx.endpoint !== 'chat') return
        if (!callerAdmitted(options, ctx)) {
          ctx.responseHeaders[CACHE_HEADER] = 'bypass'
          return
        }
        const controls = parseControls(api, ctx.headers[CACHE_HEADER])
        if (controls.noCache && controls.noStore) {
          ctx.responseHeaders[CACHE_HEADER] = 'bypass'
          return
        }
        const request = ctx.body as ChatRequest
        const partition = partitionOf(options, ctx)
        const key = cacheKey(request, ctx.route, partition)

        if (!controls.noCache) {
          const exact = await lookup(api, key)
          if (exact) {
            api.cacheLookup('hit')
            markHit(ctx, exact)
            ctx.responseHeaders['x-gateway-cache-match'] = 'exact'
            return directAnswer(exact, request, options)
          }
        }

        const question = splitQuestion(request)
        const namespace = question
          ? sha256(canonicalJson({ route: ctx.route, partition, context: question.context }))
          : null
        const vector = question ? await embed(api, options.embeddingRoute, question.text, ctx) : null

        if (!controls.noCache && namespace && vector) {
          const index = indexes.get(namespace)
          const now = Date.now()
          for (const { id, similarity } of index?.dimensions === vector.length
            ? index.search(vector, candidates)
            : []) {
            if (similarity < threshold) break
            const indexed = entries.get(id)
            if (!indexed) continue
            if (indexed.expiresAt <= now) {
              forget(id)
              continue
            }
            const found = await lookup(api, indexed.key)
            if (!found) {
              forget(id)
              continue
            }
            api.cacheLookup('hit')
            markHit(ctx, found)
            ctx.responseHeaders['x-gateway-cache-match'] = 'semantic'
            ctx.responseHeaders['x-gateway-cache-similarity'] = similarity.toFixed(4)
            return directAnswer(found, request, options)
          }
        }
        if (!controls.noCache) api.cacheLookup('miss')
        ctx.responseHeaders[CACHE_HEADER] = controls.noCache ? 'bypass' : 'miss'
        if (!controls.noStore) {
          pending.set(ctx, { key, namespace, vector, ...newRecording(controls.ttlSeconds ?? ttlSeconds) })
        }
      },

      ...recordingHooks(pending, maxChunks),

      async onComplete(record, ctx) {
        const finished = finishRecording(pending, ctx, record, options)
        if (!finished) return
        const { recording, entry } = finished
        await api.store.set(recording.key, entry, recording.ttlMs)
        if (recording.namespace && recording.vector) {
          remember(recording.namespace, recording.key, recording.vector, recording.ttlMs)
        }
      },

      close() {
        indexes.clear()
        entries.clear()
        idOfKey.clear()
      },
    }
  },
})

async function lookup(api: PluginApi, key: string) {
  try {
    const found = await api.store.get(key)
    return isEntry(found) ? found : undefined
  } catch (error) {
    api.logger.warn({ err: error }, 'semantic cache lookup failed; treating it as a miss')
    return undefined
  }
}

/**
 * The question to embed (the last user message's text) and its context: the
 * rest of the normalised request (model, system prompt, earlier turns,
 * parameters), which must match exactly for a stored answer to apply.
 */
export function splitQuestion(request: ChatRequest): { text: string; context: unknown } | null {
  const messages = request.messages
  const last = messages.at(-1)
  if (last?.role !== 'user') return null
  const text = textOf(last)
  if (!text.trim()) return null
  return { text, context: normaliseRequest({ ...request, messages: messages.slice(0, -1) }) }
}

function textOf(message: ChatMessage): string {
  const { content } = message
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  // Any non-text part (an image, audio) makes the question more than its text: not matched semantically.
  if (content.some((part) => part.type !== 'text')) return ''
  return content.map((part) => part.text ?? '').join('\n')
}

async function embed(api: PluginApi, route: string, text: string, ctx: RequestContext): Promise<Float32Array | null> {
  try {
    const response = await api.gateway.embeddings({ model: route, input: text }, ctx.signal)
    const embedding = response.data[0]?.embedding as unknown
    if (Array.isArray(embedding) && embedding.length > 0) return Float32Array.from(embedding as number[])
    if (typeof embedding === 'string') {
      const bytes = Buffer.from(embedding, 'base64')
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    }
    api.logger.warn({ route }, 'embedding route answered no vector; semantic lookup skipped')
  } catch (error) {
    api.logger.warn({ err: error, route }, 'embedding failed; semantic lookup skipped')
  }
  return null
}
