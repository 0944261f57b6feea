/**
 * Converse answers report `metrics.latencyMs`: how long the model took. The
 * gateway measures it from the moment it accepted the request to the answer
 * (or, for a stream, its last event), which is the latency the client pays.
 *
 * The start is kept beside the canonical request rather than in it: every
 * field of a canonical request is forwarded to OpenAI-family upstreams.
 */
import type { ChatRequest } from '../../../canonical/chat.js'

const started = new WeakMap<ChatRequest, number>()

export function markStarted(request: ChatRequest, at = performance.now()): void {
  started.set(request, at)
}

/**
 * Milliseconds since the request was accepted. A plugin that replaced the
 * request object with a new one loses the mark; the answer then reports 0
 * rather than a made-up figure.
 */
export function latencyMs(request: ChatRequest, now = performance.now()): number {
  const start = started.get(request)
  return start === undefined ? 0 : Math.max(0, Math.round(now - start))
}
