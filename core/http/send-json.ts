/**
 * Writes a JSON answer with the plain node response methods: one stringify,
 * one writeHead, one end. Express's res.json does the same through res.send,
 * which on the data plane's hot path costs more than the answer itself
 * (charset and type negotiation, ETag and freshness checks).
 */
import type { ServerResponse } from 'node:http'

const JSON_TYPE = 'application/json; charset=utf-8'

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  // Headers set earlier (x-request-id, x-gateway-*, a plugin's) are merged in by writeHead.
  res.writeHead(status, {
    'content-type': (res.getHeader('content-type') as string | undefined) ?? JSON_TYPE,
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}
