/**
 * Redis for tests: REDIS_URL (default localhost). On CI (CI=true) the tests
 * that need it must run, so an absent server fails them; elsewhere they are
 * skipped with a loud message.
 */
import { Redis } from 'ioredis'
import { beforeAll } from 'vitest'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether Redis answers, and whether the Redis tests should run (they must on CI, and then fail if it is absent). */
export async function redisForTests(what: string): Promise<{ reachable: boolean; run: boolean }> {
  const reachable = await pingRedis(REDIS_URL)
  const required = process.env.CI === 'true'
  if (!reachable && !required) {
    console.warn(
      `\n!!! Redis is ABSENT at ${REDIS_URL}: ${what} are SKIPPED.\n` +
        '!!! Start Redis (or set REDIS_URL) to run them; with CI=true they fail instead.\n',
    )
  }
  return { reachable, run: reachable || required }
}

/** Inside a describe that needs Redis: fails its tests when Redis is absent (reached only on CI). */
export function requireRedis(): void {
  beforeAll(async () => {
    if (!(await pingRedis(REDIS_URL)))
      throw new Error(`Redis is not reachable at ${REDIS_URL}, and CI=true requires it`)
  })
}

export async function pingRedis(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

export function adminClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
}

export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

export async function deleteKeys(pattern: string): Promise<void> {
  const admin = adminClient()
  try {
    const keys = await scanKeys(admin, pattern)
    for (let i = 0; i < keys.length; i += 500) await admin.del(...keys.slice(i, i + 500))
  } finally {
    admin.disconnect()
  }
}
