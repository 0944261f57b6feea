/**
 * Exact response cache. A request whose normalised form (see key.ts), route
 * and model match a stored answer is answered from the store, streamed or
 * not, without calling an upstream; otherwise the answer is recorded and
 * stored once it has gone out whole with status 200. Entries live in the
 * plugin's store (memory, or Redis shared by replicas) with a TTL.
 */
import { type ChatRequest, definePlugin, type RequestContext } from '../../core/index.js'
import { cacheKey } from './key.js'
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
} from './shared.js'

export type CacheOptions = CommonOptions

export { canonicalJson } from '../shared/canonical-json.js'
export { cacheKey, normaliseRequest } from './key.js'

export default definePlugin<CacheOptions>({
  name: 'cache',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: COMMON_OPTION_SCHEMA,
  },
  setup(options, api) {
    const ttlSeconds = options.ttlSeconds ?? 3600
    const maxChunks = options.maxChunks ?? 10_000
    /** Requests whose answer is to be stored, by context; a WeakMap so an abandoned request leaks nothing. */
    const pending = new WeakMap<RequestContext, Recording & { key: string }>()

    return {
      async onRequest(ctx) {
        if (ctx.endpoint !== 'chat') return
        if (!callerAdmitted(options, ctx)) {
          ctx.responseHeaders[CACHE_HEADER] = 'bypass'
          return
        }
        const controls = parseControls(api, ctx.headers[CACHE_HEADER])
        const request = ctx.body as ChatRequest
        const key = cacheKey(request, ctx.route, partitionOf(options, ctx))
        if (!controls.noCache) {
          let found: unknown
          try {
            found = await api.store.get(key)
          } catch (error) {
            api.logger.warn({ err: error }, 'cache lookup failed; asking the upstream')
          }
          if (isEntry(found)) {
            api.cacheLookup('hit')
            markHit(ctx, found)
            return directAnswer(found, request, options)
          }
          api.cacheLookup('miss')
        }
        ctx.responseHeaders[CACHE_HEADER] = controls.noCache ? 'bypass' : 'miss'
        if (!controls.noStore) pending.set(ctx, { key, ...newRecording(controls.ttlSeconds ?? ttlSeconds) })
      },

      ...recordingHooks(pending, maxChunks),

      async onComplete(record, ctx) {
        const finished = finishRecording(pending, ctx, record, options)
        if (finished) await api.store.set(finished.recording.key, finished.entry, finished.recording.ttlMs)
      },
    }
  },
})
