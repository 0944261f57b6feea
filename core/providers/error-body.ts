/**
 * The body of an upstream's error answer (HTTP status >= 400), read so each
 * adapter can classify the error in its provider's terms. The read is
 * bounded: an error body is for a message and a code, and a misbehaving
 * upstream or proxy must not make the gateway buffer an unbounded page.
 */
import type { Dispatcher } from 'undici'

/** Largest error body read from an upstream; the rest is discarded. */
const ERROR_BODY_LIMIT = 64 * 1024

export interface ErrorBody {
  /** The body as read, up to the limit. */
  text: string
  /** The body parsed as JSON; undefined when it is not JSON (a proxy's HTML page, say). */
  json: unknown
  /** The message to report when the body names none: the start of the text, or the HTTP status. */
  fallbackMessage: string
}

export async function readErrorBody(response: Dispatcher.ResponseData): Promise<ErrorBody> {
  let text = ''
  try {
    for await (const chunk of response.body) {
      if (text.length < ERROR_BODY_LIMIT) text += (chunk as Buffer).toString('utf8')
    }
  } catch {
    // The connection broke while the error arrived: classify by status with what was read.
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { text, json, fallbackMessage: text.slice(0, 1000) || `HTTP ${response.statusCode}` }
}
