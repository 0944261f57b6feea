/**
 * Contender (b): the same pass-through as the floor inside an Express 5
 * route, with the app settings the gateway uses (no x-powered-by, no etag) and
 * the gateway's node:http server (core/http/server.ts: request and response
 * objects built with Express's prototypes). The difference to the floor is
 * what Express's router, request and response layers cost on their own, as
 * the gateway runs them; with node's stock objects the same contender measured
 * 0.42x of the floor's throughput, against 0.84-0.93x with the gateway's server.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createHttpServer } from '../../core/http/server.js'
import { announceReady } from '../lib/child.js'
import { passThrough } from './pass-through.js'

const app = express()
app.disable('x-powered-by')
app.disable('etag')
const relay = passThrough(process.env.BENCH_UPSTREAM as string)
app.post('/v1/chat/completions', (req, res) => relay(req, res))

const server = createHttpServer(app)
server.listen(0, '127.0.0.1', () => {
  announceReady((server.address() as AddressInfo).port, () => {
    server.close()
    server.closeAllConnections()
  })
})
