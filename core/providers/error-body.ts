/**
 * The body of an upstream's error answer (HTTP status >= 400), as each
 * adapter classifies it in its provider's terms. post-upstream reads error
 * bodies whole up to a bound, so this is pure.
 */
import type { UpstreamResponse } from './post-upstream.js'

export interface ErrorBody {
  /** The body parsed as JSON; undefined when it is not JSON (a proxy's HTML page, say). */
  json: unknown
  /** The message to report when the body names none: the start of the text, or the HTTP status. */
  fallbackMessage: string
}

export function errorBodyOf(response: UpstreamResponse): ErrorBody {
  let json: unknown
  try {
    json = JSON.parse(response.text)
  } catch {
    json = undefined
  }
  return { json, fallbackMessage: response.text.slice(0, 1000) || `HTTP ${response.statusCode}` }
}
