/**
 * Contenders (c) and (d): one gateway in its own process, started with
 * `startGateway` as `gateway start` starts it (V8 tuned the same way, no
 * file watching), on an ephemeral port of 127.0.0.1. Logs go to stdout,
 * which the bench sends to /dev/null; the level is the same for every
 * gateway config.
 *
 *   node bench/.tmp/build/bench/gateway-process.js --config bench/.tmp/build/bench/configs/full.config.js --log-level warn
 *
 * (the bench runs the transpiled files, bench/lib/build.ts; from source it is
 * `node --import tsx bench/gateway-process.ts --config bench/configs/full.config.ts`).
 */
import type { LogLevel } from '../core/config/schema.js'
import { startGateway } from '../core/gateway.js'
import { tuneGarbageCollection } from '../core/gc-tuning.js'
import { announceReady } from './lib/child.js'

const option = (name: string): string | undefined => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : undefined
}

tuneGarbageCollection()
const gateway = await startGateway({
  configPath: option('config'),
  host: '127.0.0.1',
  port: 0,
  watch: false,
  logLevel: (option('log-level') ?? 'warn') as LogLevel,
})
announceReady(gateway.port, () => gateway.close())
