/**
 * Errors in Google's wire format: `{ "error": { code, message, status, details } }`,
 * where `code` is the HTTP status and `status` the google.rpc.Code name. The
 * `@google/genai` SDK raises an `ApiError` carrying the HTTP status for a
 * non-2xx answer, and for an `{"error": ...}` frame inside a stream whose
 * `code` is 400..599.
 */
import type { Response } from 'express'
import type { GatewayError } from '../../../errors.js'

/** The canonical google.rpc.Code names Google pairs with each HTTP status. */
export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'INTERNAL'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNKNOWN'

export interface GoogleErrorBody {
  error: {
    code: number
    message: string
    status: GoogleStatus
    details?: Array<Record<string, unknown>>
  }
}

/**
 * The rpc code for a gateway error. The type decides where it is more precise
 * than the status (a quota refusal is RESOURCE_EXHAUSTED whatever status the
 * upstream used; a timeout is DEADLINE_EXCEEDED); otherwise the status does,
 * following Google's own HTTP mapping.
 */
export function googleStatus(error: Pick<GatewayError, 'status' | 'type'>): GoogleStatus {
  if (error.type === 'insufficient_quota' || error.type === 'rate_limit_error') return 'RESOURCE_EXHAUSTED'
  if (error.type === 'timeout_error') return 'DEADLINE_EXCEEDED'
  switch (error.status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return 'INVALID_ARGUMENT'
    case 401:
      return 'UNAUTHENTICATED'
    case 402:
    case 429:
      return 'RESOURCE_EXHAUSTED'
    case 403:
      return 'PERMISSION_DENIED'
    case 404:
      return 'NOT_FOUND'
    case 409:
      return 'ABORTED'
    case 412:
      return 'FAILED_PRECONDITION'
    case 499:
      return 'CANCELLED'
    case 501:
      return 'UNIMPLEMENTED'
    case 502:
    case 503:
    case 529:
      return 'UNAVAILABLE'
    case 504:
      return 'DEADLINE_EXCEEDED'
  }
  if (error.status >= 500) return 'INTERNAL'
  if (error.status >= 400) return 'INVALID_ARGUMENT'
  return 'UNKNOWN'
}

/**
 * The body for an error. The gateway's machine-readable code goes in an
 * ErrorInfo detail (where Google puts its `reason`), the offending field in
 * a BadRequest detail and `retry-after` in a RetryInfo detail, so clients
 * that read Google's details find them where they expect.
 */
export function googleErrorBody(error: GatewayError, scrub: (text: string) => string): GoogleErrorBody {
  const details: Array<Record<string, unknown>> = []
  if (error.code) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.code, domain: 'llm-gateway' })
  }
  if (error.param) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field: error.param, description: scrub(error.message) }],
    })
  }
  const retryAfter = Number(error.headers['retry-after'])
  if (Number.isFinite(retryAfter) && retryAfter >= 0) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` })
  }
  return {
    error: {
      code: error.status,
      message: scrub(error.message),
      status: googleStatus(error),
      ...(details.length > 0 && { details }),
    },
  }
}

export function sendGoogleError(res: Response, error: GatewayError, scrub: (text: string) => string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.status(error.status)
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
  res.json(googleErrorBody(error, scrub))
}
