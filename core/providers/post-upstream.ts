/**
 * The one HTTP call every adapter makes: a POST over the provider's
 * connection pool. The attempt's timeout bounds both the wait for the
 * response headers and each pause in the body, so a stalled upstream fails
 * the attempt instead of holding it; a call that never got a response
 * becomes a transport UpstreamError (client aborts pass through).
 */
import type { Dispatcher } from 'undici'
import { toTransportError } from './upstream-error.js'

export interface UpstreamPost {
  /** Full path on the pool's origin, base path included. */
  path: string
  headers: Record<string, string>
  /** The serialized body, exactly as sent (and, for Bedrock, as signed). */
  body: string
  signal: AbortSignal
  timeoutMs: number
}

export async function postUpstream(pool: Dispatcher, post: UpstreamPost): Promise<Dispatcher.ResponseData> {
  try {
    return await pool.request({
      method: 'POST',
      path: post.path,
      headers: post.headers,
      body: post.body,
      signal: post.signal,
      headersTimeout: post.timeoutMs,
      bodyTimeout: post.timeoutMs,
    })
  } catch (error) {
    throw toTransportError(error, post.signal)
  }
}
