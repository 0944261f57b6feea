/**
 * Google's error shape `{ error: { code, message, status, details } }` ->
 * UpstreamError. The canonical status string (`RESOURCE_EXHAUSTED`, ...)
 * decides where it is known, the HTTP status otherwise; errors that arrive
 * inside a 200 stream carry the same body, without an HTTP status.
 */
import { errorBodyOf } from '../error-body.js'
import { retryAfterSeconds } from '../openai/adapter.js'
import type { UpstreamResponse } from '../post-upstream.js'
import { classifyStatus, UpstreamError, type UpstreamErrorClass } from '../upstream-error.js'
import type { GoogleErrorBody } from './wire.js'

const CLASS_OF_STATUS: Readonly<Record<string, UpstreamErrorClass>> = {
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'overloaded',
  INTERNAL: 'server_error',
  UNKNOWN: 'server_error',
  DATA_LOSS: 'server_error',
  UNAUTHENTICATED: 'auth',
  PERMISSION_DENIED: 'auth',
  NOT_FOUND: 'not_found',
  DEADLINE_EXCEEDED: 'timeout',
}

/** "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)." */
const CONTEXT_LENGTH = /input token count.*exceeds|exceeds the maximum number of tokens/i

/**
 * `httpStatus` is the response's status when the error came as the
 * response; undefined for an error inside a stream. `retryAfterHeader` is
 * the Retry-After header's value in seconds, if any.
 */
export function errorFromGoogle(
  httpStatus: number | undefined,
  body: GoogleErrorBody['error'] | undefined,
  fallbackMessage: string,
  retryAfterHeader?: number,
): UpstreamError {
  const message = typeof body?.message === 'string' && body.message ? body.message : fallbackMessage
  const status = typeof body?.status === 'string' ? body.status : null
  const code = typeof body?.code === 'number' ? body.code : undefined
  const reasons = (body?.details ?? []).map((detail) => detail.reason).filter((r): r is string => typeof r === 'string')
  // AI Studio answers a bad API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID). It is the
  // gateway's credential, not the request: reported as a 401 so the key pool takes the key out.
  const badKey = reasons.includes('API_KEY_INVALID') || /API key not valid/i.test(message)
  const effective = badKey ? 401 : (httpStatus ?? code ?? 500)
  let errorClass: UpstreamErrorClass
  if (badKey) errorClass = 'auth'
  else if (status && CLASS_OF_STATUS[status]) errorClass = CLASS_OF_STATUS[status] as UpstreamErrorClass
  else if (CONTEXT_LENGTH.test(message)) errorClass = 'context_length_exceeded'
  else errorClass = classifyStatus(effective, null, message)
  return new UpstreamError({
    errorClass,
    ...(httpStatus !== undefined && { status: badKey ? 401 : httpStatus }),
    // OpenAI's code for a prompt that is too long, which clients and `onContextLength` know; Google's status otherwise.
    code: errorClass === 'context_length_exceeded' ? 'context_length_exceeded' : status,
    message,
    retryAfterSeconds: retryAfterHeader ?? retryDelayOf(body),
  })
}

/** `google.rpc.RetryInfo` in the details says how long to wait, as a duration like "17s" or "0.5s". */
function retryDelayOf(body: GoogleErrorBody['error'] | undefined): number | undefined {
  for (const detail of body?.details ?? []) {
    if (typeof detail.retryDelay !== 'string') continue
    const seconds = Number.parseFloat(detail.retryDelay)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds
  }
  return undefined
}

/** Classifies an error answer by its status and body. */
export function googleErrorOf(response: UpstreamResponse): UpstreamError {
  const { json, fallbackMessage } = errorBodyOf(response)
  const parsed = json as GoogleErrorBody | GoogleErrorBody[] | null | undefined
  // Some Google front ends wrap the error in a one-element array.
  const first = Array.isArray(parsed) ? parsed[0] : parsed
  const body = first?.error && typeof first.error === 'object' ? first.error : undefined
  return errorFromGoogle(response.statusCode, body, fallbackMessage, retryAfterSeconds(response.headers))
}
