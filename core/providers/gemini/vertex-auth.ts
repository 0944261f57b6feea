/**
 * OAuth access tokens for Vertex AI from a service account (Google's
 * "JWT bearer" grant, RFC 7523): a JWT signed RS256 with the account's key is
 * exchanged at the key file's `token_uri` for a bearer token.
 *
 * A token is kept until shortly before it expires and shared by every
 * request; concurrent requests that find none wait for one fetch. A failed
 * fetch is an `auth` UpstreamError and is not cached, so the next request
 * tries again. Neither the private key nor a token is ever put in a message.
 */

import { sign } from 'node:crypto'
import type { Dispatcher } from 'undici'
import type { AbortLike } from '../../abort.js'
import { toTransportError, UpstreamError } from '../upstream-error.js'
import type { UpstreamPools } from '../upstream-pools.js'
import type { ServiceAccount } from './service-account.js'

export const VERTEX_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
/** Google caps an assertion's lifetime at one hour. */
const ASSERTION_LIFETIME_SECONDS = 3600
/** Renew this long before expiry (a quarter of the lifetime for short-lived tokens). */
const RENEW_MARGIN_SECONDS = 300
const TOKEN_BODY_LIMIT = 64 * 1024

interface CachedToken {
  value: string
  /** When to stop using it (ms since the epoch), the margin already taken off. */
  renewAt: number
}

export class VertexTokenSource {
  readonly #account: ServiceAccount
  readonly #pool: Dispatcher
  readonly #path: string
  readonly #timeoutMs: number
  readonly #now: () => number
  #token: CachedToken | undefined
  #inFlight: Promise<CachedToken> | undefined

  constructor(account: ServiceAccount, pools: UpstreamPools, options: { timeoutMs: number; now?: () => number }) {
    this.#account = account
    const url = new URL(account.tokenUri)
    this.#pool = pools.get(url.origin)
    this.#path = url.pathname + url.search
    this.#timeoutMs = options.timeoutMs
    this.#now = options.now ?? Date.now
  }

  /** A valid access token; `signal` lets a caller stop waiting without cancelling the shared fetch. */
  async token(signal: AbortLike): Promise<string> {
    const cached = this.#token
    if (cached && this.#now() < cached.renewAt) return cached.value
    if (!this.#inFlight) {
      this.#inFlight = this.#fetch().finally(() => {
        this.#inFlight = undefined
      })
    }
    return (await abortable(this.#inFlight, signal)).value
  }

  /** The upstream rejected the token (revoked, or expired early): fetch a new one next time. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined
  }

  async #fetch(): Promise<CachedToken> {
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: this.#assertion(),
    }).toString()
    let response: Dispatcher.ResponseData
    // The fetch is shared, so no one caller's signal may cancel it: it has its own timeout.
    const signal = AbortSignal.timeout(this.#timeoutMs)
    try {
      response = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      })
    } catch (error) {
      throw tokenEndpointError(`could not reach the token endpoint (${describe(toTransportError(error, signal))})`)
    }
    let text = ''
    try {
      for await (const chunk of response.body) {
        if (text.length < TOKEN_BODY_LIMIT) text += (chunk as Buffer).toString('utf8')
      }
    } catch (error) {
      throw tokenEndpointError(`the token endpoint dropped the connection (${describe(error)})`)
    }
    let answer: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {}
    try {
      answer = JSON.parse(text) as typeof answer
    } catch {
      // Reported below by what is missing.
    }
    if (response.statusCode >= 400 || typeof answer.access_token !== 'string' || !answer.access_token) {
      // OAuth errors are codes and short descriptions ("invalid_grant: Invalid JWT Signature."): safe to relay.
      const reason = [answer.error, answer.error_description]
        .filter((part): part is string => typeof part === 'string' && part.length > 0)
        .join(': ')
        .slice(0, 200)
      throw tokenEndpointError(
        `the token endpoint refused the service account '${this.#account.clientEmail}' (HTTP ${response.statusCode}${reason ? `, ${reason}` : ''})`,
      )
    }
    const lifetime = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 3600
    const margin = Math.min(RENEW_MARGIN_SECONDS, lifetime / 4)
    const token = { value: answer.access_token, renewAt: this.#now() + (lifetime - margin) * 1000 }
    this.#token = token
    return token
  }

  /** The signed JWT: header.claims.signature, each base64url. */
  #assertion(): string {
    const issuedAt = Math.floor(this.#now() / 1000)
    const header = { alg: 'RS256', typ: 'JWT', ...(this.#account.privateKeyId && { kid: this.#account.privateKeyId }) }
    const claims = {
      iss: this.#account.clientEmail,
      scope: VERTEX_SCOPE,
      aud: this.#account.tokenUri,
      iat: issuedAt,
      exp: issuedAt + ASSERTION_LIFETIME_SECONDS,
    }
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
    const signature = sign('sha256', Buffer.from(signingInput), this.#account.privateKey)
    return `${signingInput}.${signature.toString('base64url')}`
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error'
}

function tokenEndpointError(message: string): UpstreamError {
  return new UpstreamError({ errorClass: 'auth', code: 'vertex_token_failed', message })
}

/** Waits for `promise` unless `signal` aborts first (the promise itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortLike): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
