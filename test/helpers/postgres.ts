/**
 * PostgreSQL for tests: DATABASE_URL (default the local server, database
 * `test`). On CI (CI=true) the tests that need it must run, so an absent
 * server fails them; elsewhere they are skipped with a loud message.
 */
import pg from 'pg'
import { beforeAll } from 'vitest'

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Whether PostgreSQL answers, and whether its tests should run (they must on CI, and then fail if it is absent). */
export async function postgresForTests(what: string): Promise<{ reachable: boolean; run: boolean }> {
  const reachable = await pingPostgres(DATABASE_URL)
  const required = process.env.CI === 'true'
  if (!reachable && !required) {
    console.warn(
      `\n!!! PostgreSQL is ABSENT at ${DATABASE_URL}: ${what} are SKIPPED.\n` +
        '!!! Start PostgreSQL (or set DATABASE_URL) to run them; with CI=true they fail instead.\n',
    )
  }
  return { reachable, run: reachable || required }
}

/** Inside a describe that needs PostgreSQL: fails its tests when it is absent (reached only on CI). */
export function requirePostgres(): void {
  beforeAll(async () => {
    if (!(await pingPostgres(DATABASE_URL)))
      throw new Error(`PostgreSQL is not reachable at ${DATABASE_URL}, and CI=true requires it`)
  })
}

export async function pingPostgres(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}
