/**
 * A stand-in for an exact-match response cache, for the bench: hashes the
 * request that decides the answer (the body without `stream`, plus the
 * route) and looks it up in the plugin's keyv store (api.store). A hit would
 * answer directly; the bench measures the miss: the lookup every uncached
 * request pays. The write after a miss is left out on purpose: the bench
 * sends one request body over and over, and storing its answer would turn
 * every later request into a hit.
 */
import { createHash } from 'node:crypto'
import { type ChatCompletion, definePlugin } from '../../core/index.js'

type Options = {
  /** How long an answer would be kept (unused on the miss path; kept for realism of the options). */
  ttlSeconds?: number
}

export default definePlugin<Options>({
  name: 'bench-exact-cache',
  options: {
    type: 'object',
    properties: { ttlSeconds: { type: 'integer', minimum: 1 } },
    additionalProperties: false,
  },
  setup(_options, api) {
    return {
      async onRequest(ctx) {
        if (ctx.endpoint !== 'chat') return
        const {
          stream: _stream,
          stream_options: _options,
          ...decisive
        } = ctx.body as unknown as Record<string, unknown>
        const key = createHash('sha256')
          .update(ctx.route ?? '')
          .update('\n')
          .update(JSON.stringify(decisive))
          .digest('base64url')
        const cached = await api.store.get<ChatCompletion>(key)
        api.cacheLookup(cached ? 'hit' : 'miss')
        if (cached && !(ctx.body as { stream?: boolean }).stream) return { respond: cached }
      },
    }
  },
})
