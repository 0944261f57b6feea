/**
 * Storage for plugins (keyv), owned by the process so entries survive
 * reloads. One backend for all plugins, namespaced per plugin: memory by
 * default, Redis when the governance store is Redis, so replicas share it.
 * The Redis connection opens on first use, so a gateway whose plugins store
 * nothing never connects.
 */
import { createRequire } from 'node:module'
import type KeyvRedis from '@keyv/redis'
import Keyv from 'keyv'
import type { PluginStore } from './types.js'

/** @keyv/redis (and the Redis client under it, ~15 MB of RSS) loads only when a plugin first uses a Redis store. */
const loadKeyvRedis = (): typeof KeyvRedis =>
  (createRequire(import.meta.url)('@keyv/redis') as { default: typeof KeyvRedis }).default

export class PluginStorage {
  readonly #redisUrl: string | undefined
  #backend: Map<string, unknown> | KeyvRedis<unknown> | undefined
  readonly #stores = new Map<string, Keyv>()

  constructor(redisUrl?: string) {
    this.#redisUrl = redisUrl
  }

  for(plugin: string): PluginStore {
    const keyv = () => {
      let store = this.#stores.get(plugin)
      if (!store) {
        store = new Keyv({ store: this.#backendNow(), namespace: `plugin:${plugin}` })
        this.#stores.set(plugin, store)
      }
      return store
    }
    return {
      get: (key) => keyv().get(key),
      set: async (key, value, ttlMs) => {
        await keyv().set(key, value, ttlMs)
      },
      delete: (key) => keyv().delete(key),
    }
  }

  #backendNow(): Map<string, unknown> | KeyvRedis<unknown> {
    this.#backend ??= this.#redisUrl ? new (loadKeyvRedis())(this.#redisUrl) : new Map()
    return this.#backend
  }

  async close(): Promise<void> {
    if (this.#backend && !(this.#backend instanceof Map)) await this.#backend.disconnect()
  }
}
