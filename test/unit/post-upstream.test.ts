import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ERROR_BODY_LIMIT,
  jsonOf,
  postUpstream,
  streamOf,
  type UpstreamPost,
} from '../../core/providers/post-upstream.js'
import { UpstreamError } from '../../core/providers/upstream-error.js'

describe('postUpstream', () => {
  let stop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await stop?.()
    stop = undefined
  })

  /** An upstream on 127.0.0.1 answering with `handle`; resolves `closed` for each request whose socket closes. */
  async function upstream(handle: (req: IncomingMessage, res: ServerResponse) => void) {
    const closed: Promise<void>[] = []
    const server = createServer((req, res) => {
      closed.push(new Promise((resolve) => res.on('close', () => resolve())))
      req.resume()
      req.on('end', () => handle(req, res))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    stop = async () => {
      server.closeAllConnections()
      await Promise.all([pool.destroy(), new Promise((resolve) => server.close(resolve))])
    }
    return { pool, closed }
  }

  const post = (overrides: Partial<UpstreamPost> = {}): UpstreamPost => ({
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: '{"model":"m"}',
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    stream: false,
    ...overrides,
  })

  it('reads an answer whole: status, headers, text, JSON (chunked and split across writes)', async () => {
    const { pool } = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'up-1' })
      res.write('{"id":"a",')
      setTimeout(() => res.end('"n":"é"}'), 5)
    })
    const response = await postUpstream(pool, post())
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-request-id']).toBe('up-1')
    expect(response.body).toBeUndefined()
    expect(jsonOf(response)).toEqual({ id: 'a', n: 'é' })
    expect(() => streamOf(response)).toThrow(/read whole/)
  })

  it('a body that is not JSON is the upstream’s failure (server_error), not the client’s', async () => {
    const { pool } = await upstream((_req, res) => res.end('<html>oops</html>'))
    const response = await postUpstream(pool, post())
    expect(() => jsonOf(response)).toThrow(UpstreamError)
    expect(() => jsonOf(response)).toThrow(/not valid JSON/)
  })

  it('keeps an error body up to ERROR_BODY_LIMIT, whole or streamed', async () => {
    const huge = `{"error":"${'e'.repeat(ERROR_BODY_LIMIT * 2)}"}`
    const { pool } = await upstream((_req, res) => {
      res.writeHead(502, { 'content-type': 'application/json', 'retry-after': '3' })
      res.end(huge)
    })
    for (const stream of [false, true]) {
      const response = await postUpstream(pool, post({ stream }))
      expect(response.statusCode).toBe(502)
      expect(response.headers['retry-after']).toBe('3')
      expect(response.body).toBeUndefined()
      expect(response.text.length).toBeGreaterThanOrEqual(ERROR_BODY_LIMIT)
      expect(response.text.length).toBeLessThan(ERROR_BODY_LIMIT + 70_000)
      expect(response.text.startsWith('{"error":"eee')).toBe(true)
    }
  })

  it('a stream keeps its body to read as it arrives', async () => {
    const { pool } = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: 1\n\n')
      res.end('data: [DONE]\n\n')
    })
    const response = await postUpstream(pool, post({ stream: true }))
    let text = ''
    for await (const chunk of streamOf(response)) text += String(chunk)
    expect(text).toBe('data: 1\n\ndata: [DONE]\n\n')
  })

  it('a connection dropped after the headers is upstream_connection_lost; before them, upstream_unreachable', async () => {
    const { pool } = await upstream((req, res) => {
      if (req.url?.endsWith('early')) {
        req.socket.destroy()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"partial":')
      setTimeout(() => req.socket.destroy(), 5)
    })
    await expect(postUpstream(pool, post())).rejects.toMatchObject({
      errorClass: 'connection',
      code: 'upstream_connection_lost',
    })
    await expect(postUpstream(pool, post({ path: '/early' }))).rejects.toMatchObject({
      errorClass: 'connection',
      code: 'upstream_unreachable',
    })
  })

  it('a stalled upstream fails the call as a timeout', async () => {
    const { pool } = await upstream(() => {})
    await expect(postUpstream(pool, post({ timeoutMs: 50 }))).rejects.toMatchObject({ errorClass: 'timeout' })
  })

  it('an abort ends the call with the signal’s reason and closes the upstream request; an aborted signal sends nothing', async () => {
    const { pool, closed } = await upstream(() => {})
    const controller = new AbortController()
    const call = postUpstream(pool, post({ signal: controller.signal }))
    await new Promise((resolve) => setTimeout(resolve, 30))
    const reason = new Error('client went away')
    controller.abort(reason)
    await expect(call).rejects.toBe(reason)
    await closed[0]

    await expect(postUpstream(pool, post({ signal: controller.signal }))).rejects.toBe(reason)
    expect(closed).toHaveLength(1)
  })
})
