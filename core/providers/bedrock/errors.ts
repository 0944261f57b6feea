/**
 * Bedrock errors -> UpstreamError. Bedrock (restJson1) names the error in the
 * `x-amzn-errortype` header, sometimes with `:<namespace or url>` appended,
 * or in the body's `__type` (possibly `namespace#Name`); the text is in
 * `message` or `Message`. Inside a ConverseStream the same exceptions arrive
 * as `exception` frames whose `:exception-type` is the union member name
 * (`throttlingException`), so names are compared case-insensitively.
 */
import { UpstreamError, type UpstreamErrorClass } from '../upstream-error.js'

/** The status each exception is modelled with, for exceptions that arrive inside a 200 stream. */
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  validationexception: 400,
  servicequotaexceededexception: 400,
  accessdeniedexception: 403,
  unrecognizedclientexception: 403,
  invalidsignatureexception: 403,
  expiredtokenexception: 403,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  modelerrorexception: 424,
  modelstreamerrorexception: 424,
  throttlingexception: 429,
  modelnotreadyexception: 429,
  internalserverexception: 500,
  serviceunavailableexception: 503,
}

/** Classes by exception name; the status alone would call ModelNotReady (429) rate limiting. */
const CLASS_OF_TYPE: Readonly<Record<string, UpstreamErrorClass>> = {
  throttlingexception: 'rate_limited',
  servicequotaexceededexception: 'rate_limited',
  serviceunavailableexception: 'overloaded',
  modelnotreadyexception: 'overloaded',
  modeltimeoutexception: 'timeout',
  internalserverexception: 'server_error',
  modelerrorexception: 'server_error',
  modelstreamerrorexception: 'server_error',
  accessdeniedexception: 'auth',
  unrecognizedclientexception: 'auth',
  invalidsignatureexception: 'auth',
  expiredtokenexception: 'auth',
  resourcenotfoundexception: 'not_found',
}

/** `ThrottlingException:http://internal.amazon.com/...` or `com.amazon#ThrottlingException` -> `ThrottlingException`. */
export function errorTypeName(raw: string | null | undefined): string | null {
  if (!raw) return null
  const name = raw.split(':')[0]?.split('#').pop()?.trim()
  return name ? name : null
}

/**
 * `status` is the HTTP status when the error came as the response; undefined
 * for an exception frame after a 200, where the type decides.
 */
export function errorFromBedrock(
  status: number | undefined,
  rawType: string | null,
  message: string,
  retryAfterSeconds?: number,
): UpstreamError {
  const type = errorTypeName(rawType)
  const key = type?.toLowerCase() ?? ''
  const effective = status ?? STATUS_OF_TYPE[key] ?? 500
  const errorClass = classify(key, effective, message)
  return new UpstreamError({
    errorClass,
    // Exceptions inside a stream carry their modelled status so retry rules written in statuses still apply.
    status: effective,
    // OpenAI clients recognise an over-long prompt by this code; Bedrock only says ValidationException.
    code: errorClass === 'context_length_exceeded' ? 'context_length_exceeded' : type ? pascal(type) : null,
    message,
    retryAfterSeconds,
  })
}

function classify(key: string, status: number, message: string): UpstreamErrorClass {
  const known = CLASS_OF_TYPE[key]
  if (known) return known
  if (key === 'validationexception' || (!key && status === 400)) {
    // Bedrock says e.g. "Input is too long for requested model." or "...prompt is too long..." with a plain
    // ValidationException; the client can only fix that by sending less, so it gets its own class.
    return /too long|too many (input )?tokens|context (length|window)|maximum (context|input)/i.test(message)
      ? 'context_length_exceeded'
      : 'bad_request'
  }
  if (status === 429) return 'rate_limited'
  if (status === 503) return 'overloaded'
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'not_found'
  if (status === 408 || status === 504) return 'timeout'
  if (status >= 500) return 'server_error'
  return 'bad_request'
}

/** Stream member names are camelCase (`throttlingException`); report the exception's own name. */
function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1)
}
