/**
 * The floor's logic: a pass-through to the upstream with an undici Pool set
 * up as the gateway sets up its own (core/providers/upstream-pools.ts). The
 * request body is read whole and forwarded as is; the answer's status,
 * content type and length are relayed and its body written back as it
 * arrives (with backpressure), so an SSE stream goes through frame by frame.
 * Nothing is parsed either way.
 *
 * The relay is written out rather than `stream.pipeline(answer, res)`:
 * pipeline creates an AbortController per call and aborts it when done,
 * which builds a DOMException (with its stack) for every request: about 12%
 * of this process's CPU in a profile, a cost no lean proxy needs to pay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Pool } from 'undici'

export function passThrough(upstreamUrl: string): (req: IncomingMessage, res: ServerResponse) => void {
  const origin = new URL(upstreamUrl)
  const pool = new Pool(origin.origin, {
    connections: 128,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  })
  const basePath = origin.pathname.replace(/\/$/, '')

  const fail = (res: ServerResponse, error: unknown) => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.writeHead(502, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message: String(error), type: 'api_error', param: null, code: 'upstream' } }))
  }

  return (req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
      pool
        .request({
          method: 'POST',
          path: basePath + (req.url ?? '/'),
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk-bench-upstream',
          },
          body,
        })
        .then(({ statusCode, headers, body: answer }) => {
          const length = headers['content-length']
          res.writeHead(statusCode, {
            'content-type': String(headers['content-type'] ?? 'application/json'),
            ...(length !== undefined && { 'content-length': String(length) }),
          })
          answer.on('data', (chunk: Buffer) => {
            if (!res.write(chunk)) {
              answer.pause()
              res.once('drain', () => answer.resume())
            }
          })
          answer.on('end', () => res.end())
          answer.on('error', () => res.destroy())
          res.on('close', () => {
            if (!answer.readableEnded) answer.destroy()
          })
        })
        .catch((error: unknown) => fail(res, error))
    })
  }
}
