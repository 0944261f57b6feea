/** Anthropic's error shape `{ type: 'error', error: { type, message } }` -> UpstreamError. */
import { classifyStatus, UpstreamError } from '../upstream-error.js'

/** The status each Anthropic error type comes with, for errors that arrive inside a 200 stream. */
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
}

/**
 * `status` is the HTTP status when the error came as the response; undefined
 * for an `error` event after a 200, where the type decides.
 */
export function errorFromAnthropic(
  status: number | undefined,
  type: string | null,
  message: string,
  retryAfterSeconds?: number,
): UpstreamError {
  const effective = status ?? (type ? STATUS_OF_TYPE[type] : undefined) ?? 500
  // Anthropic says "prompt is too long: N tokens > M maximum" with a plain invalid_request_error.
  const hint = /prompt is too long/i.test(message) ? 'context_length_exceeded' : type
  // A billing problem is the gateway's account, not the request: like a rejected key, another target may do.
  const errorClass = type === 'billing_error' ? 'auth' : classifyStatus(effective, hint, message)
  return new UpstreamError({
    errorClass,
    ...(status !== undefined && { status }),
    code: type,
    message,
    retryAfterSeconds,
  })
}
