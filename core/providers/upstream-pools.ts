/**
 * Keep-alive connection pools to upstreams, one per origin. They belong to
 * the process, not to a runtime: a config reload keeps its warm connections.
 */
import { Pool } from 'undici'

export interface PoolOptions {
  connections?: number
}

export interface Endpoint {
  pool: Pool
  basePath: string
  server: { address: string; port: number }
}

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>()

  /** The pool for a base URL, the path requests go under, and the server (for traces). */
  endpoint(baseUrl: string, options: PoolOptions = {}): Endpoint {
    const base = new URL(baseUrl)
    return {
      pool: this.get(base.origin, options),
      basePath: base.pathname.replace(/\/+$/, ''),
      server: { address: base.hostname, port: Number(base.port) || (base.protocol === 'https:' ? 443 : 80) },
    }
  }

  get(origin: string, options: PoolOptions = {}): Pool {
    const key = `${origin}#${options.connections ?? ''}`
    let pool = this.#pools.get(key)
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? 128,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        // Per-attempt timeouts are set on each request from the provider's config.
        headersTimeout: 0,
        bodyTimeout: 0,
      })
      this.#pools.set(key, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((pool) => pool.close().catch(() => pool.destroy())))
  }
}
