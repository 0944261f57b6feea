/**
 * Contender (b): the same pass-through as the floor inside an Express 5
 * route, with the app settings the gateway uses (no x-powered-by, no etag).
 * The difference to the floor is what Express's router, request and response
 * layers cost on their own.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { announceReady } from '../lib/child.js'
import { passThrough } from './pass-through.js'

const app = express()
app.disable('x-powered-by')
app.disable('etag')
const relay = passThrough(process.env.BENCH_UPSTREAM as string)
app.post('/v1/chat/completions', (req, res) => relay(req, res))

const server = createServer({ keepAliveTimeout: 65_000 }, app)
server.listen(0, '127.0.0.1', () => {
  announceReady((server.address() as AddressInfo).port, () => {
    server.close()
    server.closeAllConnections()
  })
})
