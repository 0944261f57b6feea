import type { AddressInfo } from 'node:net'
import express from 'express'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpServer } from '../../core/http/server.js'

describe('createHttpServer', () => {
  let close: (() => void) | undefined
  afterEach(() => close?.())

  async function serve(app: express.Express, onArrival: (req: object, res: object) => void): Promise<string> {
    const server = createHttpServer(app)
    // Runs before Express's own listener, so it sees the objects as node built them.
    server.prependListener('request', onArrival)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    close = () => {
      server.close()
      server.closeAllConnections()
    }
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it("builds request and response objects with the app's prototypes, so Express never changes them", async () => {
    const app = express()
    app.get('/hello', (req, res) => {
      res.status(201).json({ path: req.path, method: req.method })
    })
    const arrivals: boolean[] = []
    const url = await serve(app, (req, res) => {
      arrivals.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response)
    })

    const answer = await request(`${url}/hello`)
    expect(answer.statusCode).toBe(201)
    expect(await answer.body.json()).toEqual({ path: '/hello', method: 'GET' })
    expect(arrivals).toEqual([true, true])
  })

  it("keeps node's request and response behaviour: bodies, headers, keep-alive", async () => {
    const app = express()
    app.post('/echo', (req, res) => {
      const parts: Buffer[] = []
      req.on('data', (part: Buffer) => parts.push(part))
      req.on('end', () => {
        res.setHeader('x-echo-length', String(Buffer.concat(parts).length))
        res.end(Buffer.concat(parts))
      })
    })
    const url = await serve(app, () => {})
    for (const body of ['first', 'second answer on the same connection']) {
      const answer = await request(`${url}/echo`, { method: 'POST', body })
      expect(answer.headers['x-echo-length']).toBe(String(body.length))
      expect(await answer.body.text()).toBe(body)
    }
  })
})
