/**
 * How an adapter uses its provider's key pool: take a key for the model (or
 * fail without calling the upstream when none can be used now), and after an
 * error, rest the key (429) or take it out (401/403), noting whether another
 * key could try at once. Shared by every adapter that holds keys.
 */
import type { KeyHealth } from '../routing/key-health.js'
import type { KeyPool, PoolKey } from '../routing/key-pool.js'
import { UpstreamError } from './upstream-error.js'

export interface ProviderKeys {
  provider: string
  pool: KeyPool
  health: KeyHealth
  /** How long a key rests after a 429 that came without Retry-After. */
  cooldownMs: number
  /** Told when the provider rejects one of the keys, so an operator hears of it. */
  onRejected: (label: string, status: number) => void
}

export function takeKey(keys: ProviderKeys, model: string): PoolKey {
  const choice = keys.pool.choose(model)
  switch (choice.kind) {
    case 'key':
      return choice.key
    case 'none-allowed':
      throw new UpstreamError({
        errorClass: 'not_found',
        message: `no key of provider '${keys.provider}' may use model '${model}'`,
      })
    case 'all-cooling':
      throw new UpstreamError({
        errorClass: 'rate_limited',
        message: `every key of provider '${keys.provider}' is resting after a 429`,
        retryAfterSeconds: choice.waitMs / 1000,
        uncalled: true,
      })
    case 'all-rejected':
      throw new UpstreamError({
        errorClass: 'auth',
        message: `provider '${keys.provider}' rejected every key`,
        uncalled: true,
      })
  }
}

/** A 429 rests the key for the model; a 401/403 takes it out. Either way, say whether another key could go at once. */
export function judgeKey(keys: ProviderKeys, key: PoolKey, error: UpstreamError, model: string): void {
  if (error.status === 429) {
    const restMs = error.retryAfterSeconds === undefined ? keys.cooldownMs : error.retryAfterSeconds * 1000
    keys.health.coolDown(key.id, model, keys.provider, key.label, restMs)
  } else if (error.status === 401 || error.status === 403) {
    keys.health.reject(key.id, keys.provider, key.label, `HTTP ${error.status}: ${error.message}`)
    keys.onRejected(key.label, error.status)
  } else return
  error.anotherKeyReady = keys.pool.hasOther(model, key)
}
