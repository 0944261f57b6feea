/**
 * What JSONata expressions (policies, conditional routes) see of a request:
 * the body, the caller, the client's metadata, the headers except
 * credentials, and the time.
 */
import type { RequestContext } from '../plugins/types.js'

/** Credentials are never exposed to rules. */
const HIDDEN_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'proxy-authorization',
])

export function requestInput(ctx: RequestContext, now: Date): Record<string, unknown> {
  const headers: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(ctx.headers)) if (!HIDDEN_HEADERS.has(name)) headers[name] = value
  return {
    body: ctx.body,
    endpoint: ctx.endpoint,
    /** The route (or "provider/model") the request names. */
    route: (ctx.body as { model?: unknown }).model,
    caller: ctx.caller,
    metadata: ctx.metadata,
    headers,
    time: { iso: now.toISOString(), hour: now.getUTCHours(), weekday: now.getUTCDay() },
  }
}
