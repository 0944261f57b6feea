/**
 * One Vertex token source per service account for the whole process, so a
 * config reload (which builds new adapters) keeps the cached access token
 * instead of fetching a new one, and two providers on the same account share
 * it. Owned by the process state, like the upstream pools.
 */
import { createHash } from 'node:crypto'
import type { UpstreamPools } from '../upstream-pools.js'
import type { ServiceAccount } from './service-account.js'
import { VertexTokenSource } from './vertex-auth.js'

/** Token fetches are small; a stalled token endpoint should fail the request well before its own timeout. */
const TOKEN_TIMEOUT_MS = 60_000

export class VertexTokenSources {
  readonly #pools: UpstreamPools
  readonly #sources = new Map<string, VertexTokenSource>()

  constructor(pools: UpstreamPools) {
    this.#pools = pools
  }

  /** The account's token source. Keyed by a hash of the whole key file: a rotated key gets a new source. */
  for(account: ServiceAccount): VertexTokenSource {
    const id = createHash('sha256')
      .update(`${account.clientEmail}\0${account.tokenUri}\0${account.privateKey}`)
      .digest('hex')
    let source = this.#sources.get(id)
    if (!source) {
      source = new VertexTokenSource(account, this.#pools, { timeoutMs: TOKEN_TIMEOUT_MS })
      this.#sources.set(id, source)
    }
    return source
  }
}
