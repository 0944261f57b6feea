/**
 * Contender (a), the floor: a bare node:http server doing the pass-through
 * (./pass-through.ts). Every other contender is measured against it.
 * `BENCH_UPSTREAM` is the upstream's base URL (e.g. http://127.0.0.1:1234/v1).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announceReady } from '../lib/child.js'
import { passThrough } from './pass-through.js'

const server = createServer({ keepAliveTimeout: 65_000 }, passThrough(process.env.BENCH_UPSTREAM as string))
server.listen(0, '127.0.0.1', () => {
  announceReady((server.address() as AddressInfo).port, () => {
    server.close()
    server.closeAllConnections()
  })
})
