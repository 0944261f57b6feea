/**
 * Virtual keys: random secrets handed to callers, stored in config only as
 * their SHA-256. A presented key is hashed, then looked up by its hash.
 */
import { createHash, randomBytes } from 'node:crypto'

const KEY_PREFIX = 'gw-'

/** A new key: 32 random bytes, URL-safe. Shown once; only its hash is kept. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url')
}

export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`
}

/**
 * The key a client presented, in whichever header its SDK uses: OpenAI's
 * `Authorization: Bearer`, Anthropic's `x-api-key`, Google's `x-goog-api-key`,
 * Azure's `api-key`.
 */
export function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = headers.authorization
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) {
    return authorization.replace(/^bearer\s+/i, '').trim() || undefined
  }
  for (const name of ['x-api-key', 'x-goog-api-key', 'api-key']) {
    const value = headers[name]
    if (typeof value === 'string' && value.trim()) return value.trim()
  }
  return undefined
}
