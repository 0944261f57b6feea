/**
 * Errors in Anthropic's wire format: `{ "type": "error", "error": { type, message } }`.
 * The Anthropic SDKs pick their exception class from the HTTP status, so the
 * status is kept and the error type follows from it.
 */
import type { Response } from 'express'
import type { GatewayError } from '../../../errors.js'

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error'
    case 401:
      return 'authentication_error'
    case 402:
      return 'billing_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 413:
      return 'request_too_large'
    case 429:
      return 'rate_limit_error'
    case 503:
    case 529:
      return 'overloaded_error'
    case 504:
      return 'timeout_error'
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error'
  }
}

export function anthropicErrorBody(error: GatewayError, scrub: (text: string) => string) {
  return { type: 'error', error: { type: anthropicErrorType(error.status), message: scrub(error.message) } }
}

export function sendAnthropicError(res: Response, error: GatewayError, scrub: (text: string) => string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.status(error.status)
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
  res.json(anthropicErrorBody(error, scrub))
}
