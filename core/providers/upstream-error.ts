/**
 * A failed attempt at a provider, classified so the router can decide to
 * fall back, and the surface can tell the client something true and useful.
 */

import type { AbortLike } from '../abort.js'
import { GatewayError } from '../errors.js'

/** Classes of upstream failure; retry and fallback rules in the config are written in these. */
export const ERROR_CLASSES = [
  'rate_limited',
  'overloaded',
  'server_error',
  'auth',
  'bad_request',
  'not_found',
  'context_length_exceeded',
  'content_filter',
  'timeout',
  'connection',
] as const

export type UpstreamErrorClass = (typeof ERROR_CLASSES)[number]

export class UpstreamError extends Error {
  readonly errorClass: UpstreamErrorClass
  /** The provider's HTTP status; absent when no response arrived. */
  readonly status: number | undefined
  readonly retryAfterSeconds: number | undefined
  /** The provider's own error code, e.g. `insufficient_quota`. */
  readonly code: string | null
  /** Set after a 429/401/403 when the provider has another usable key: a retry need not wait. */
  anotherKeyReady = false
  /** The gateway never called the upstream (e.g. every key resting): says nothing about the target's health. */
  readonly uncalled: boolean
  /** The request field the provider blamed, e.g. `messages[0].content`: relayed so the client can fix it. */
  readonly param: string | null

  constructor(init: {
    errorClass: UpstreamErrorClass
    message: string
    status?: number
    retryAfterSeconds?: number
    code?: string | null
    uncalled?: boolean
    param?: string | null
  }) {
    super(init.message)
    this.name = 'UpstreamError'
    this.errorClass = init.errorClass
    this.status = init.status
    this.retryAfterSeconds = init.retryAfterSeconds
    this.code = init.code ?? null
    this.uncalled = init.uncalled === true
    this.param = init.param ?? null
  }
}

/**
 * A request the provider cannot take as it is (a field or part its API has no
 * place for), refused by the gateway before any call: the client must change it.
 */
export function badRequest(message: string): UpstreamError {
  return new UpstreamError({ errorClass: 'bad_request', status: 400, message, uncalled: true })
}

/** A stream that ended (cleanly, as far as the connection goes) without the provider's closing event. */
export function streamEndedEarly(): UpstreamError {
  return new UpstreamError({
    errorClass: 'server_error',
    message: 'the upstream stream ended before the answer was complete',
  })
}

export function classifyStatus(status: number, code: string | null, message: string): UpstreamErrorClass {
  if (status === 429) return 'rate_limited'
  if (status === 529 || status === 503) return 'overloaded'
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'not_found'
  if (status === 408 || status === 504) return 'timeout'
  if (status >= 500) return 'server_error'
  if (code === 'context_length_exceeded' || /context length|maximum context|too many tokens/i.test(message)) {
    return 'context_length_exceeded'
  }
  if (code === 'content_filter' || code === 'content_policy_violation') return 'content_filter'
  return 'bad_request'
}

/**
 * Undici failures: refused connections, resets and timeouts. `phase` tells
 * whether the connection never worked (`connect`) or broke while the answer
 * was arriving (`body`), which the client is told apart. Client aborts, and
 * errors already classified, pass through.
 */
export function toTransportError(error: unknown, signal: AbortLike, phase: 'connect' | 'body' = 'connect'): unknown {
  if (signal.aborted || error instanceof UpstreamError) return error
  const { code, message } = error as { code?: string; message?: string }
  const detail = code ?? message ?? 'connection failed'
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UpstreamError({ errorClass: 'timeout', message: message ?? 'timed out' })
  }
  return phase === 'connect'
    ? new UpstreamError({
        errorClass: 'connection',
        code: 'upstream_unreachable',
        message: `is unreachable (${detail})`,
      })
    : new UpstreamError({
        errorClass: 'connection',
        code: 'upstream_connection_lost',
        message: `dropped the connection while answering (${detail})`,
      })
}

/** What the client sees when the last attempt failed with this error. */
export function toClientError(error: UpstreamError, provider: string): GatewayError {
  const retryAfter: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) }
  const from = `provider '${provider}'`
  switch (error.errorClass) {
    case 'bad_request':
    case 'context_length_exceeded':
    case 'content_filter':
      return new GatewayError({
        status: error.status && error.status < 500 ? error.status : 400,
        type: 'invalid_request_error',
        code: error.code ?? error.errorClass,
        param: error.param,
        message: error.message,
      })
    case 'rate_limited':
      return new GatewayError({
        status: 429,
        type: 'rate_limit_error',
        code: error.code ?? 'upstream_rate_limited',
        message: `${from} is rate limiting: ${error.message}`,
        headers: retryAfter,
      })
    case 'not_found':
      return new GatewayError({
        status: 404,
        type: 'not_found_error',
        code: 'model_not_found',
        message: `${from}: ${error.message}`,
      })
    case 'timeout':
      return new GatewayError({
        status: 504,
        type: 'timeout_error',
        code: 'upstream_timeout',
        message: `${from} timed out: ${error.message}`,
      })
    case 'auth':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_auth_failed',
        message: `${from} rejected the gateway's credentials`,
      })
    case 'overloaded':
      return new GatewayError({
        status: 503,
        type: 'upstream_error',
        code: 'upstream_overloaded',
        message: `${from} is overloaded: ${error.message}`,
        headers: retryAfter,
      })
    case 'connection':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        code: error.code ?? 'upstream_unreachable',
        message: `${from} ${error.message}`,
      })
    case 'server_error':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_error',
        message: `${from} failed: ${error.message}`,
      })
  }
}
