/**
 * Cohere's errors -> UpstreamError. Cohere answers a failed request with an
 * HTTP status and a JSON body `{ message }` (some carry an `id` too); a
 * generation that fails after a streamed 200 ends with `finish_reason: ERROR`
 * and an `error` text instead.
 */
import { classifyStatus, UpstreamError, type UpstreamErrorClass } from '../upstream-error.js'

/**
 * Cohere's statuses that do not mean what `classifyStatus` assumes:
 *
 * - 498 is Cohere's "invalid token": the key is wrong, exactly a 401;
 * - 402 is the account's billing (payment required), so no request can pass
 *   with this key, but the key itself is not wrong: like a rejected key,
 *   another target may do;
 * - 499 is a request Cohere cancelled on its side (the gateway's own aborts
 *   never get here): the request was fine, trying again may work.
 */
function classOf(status: number, message: string): UpstreamErrorClass {
  if (status === 498 || status === 402) return 'auth'
  if (status === 499) return 'server_error'
  // Cohere's prompt-too-long errors are plain 400s whose message starts "too many tokens".
  return classifyStatus(status, null, message)
}

/** An error answer (HTTP status >= 400) -> UpstreamError. */
export function errorFromCohere(status: number, message: string, retryAfterSeconds?: number): UpstreamError {
  return new UpstreamError({
    errorClass: classOf(status, message),
    // Reported as 401 so the key pool takes a 498's key out, as it does for every other provider's 401.
    status: status === 498 ? 401 : status,
    code: status === 498 ? 'invalid_token' : null,
    message,
    retryAfterSeconds,
  })
}

/** The message of an error body: `{ message }`, or the raw text when it is not Cohere's JSON. */
export function messageOfErrorBody(text: string, status: number): string {
  const fallback = text.slice(0, 1000) || `HTTP ${status}`
  try {
    const parsed = JSON.parse(text) as { message?: unknown } | null
    if (parsed && typeof parsed.message === 'string' && parsed.message) return parsed.message
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  return fallback
}

/** A generation that Cohere ended with `finish_reason: ERROR` (in a 200 answer or at the end of a stream). */
export function generationError(detail: string | null | undefined): UpstreamError {
  return new UpstreamError({
    errorClass: 'server_error',
    code: 'generation_error',
    message: detail ? `the generation failed: ${detail}` : 'the generation failed',
  })
}
