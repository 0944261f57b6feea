/**
 * A whole gateway process: the logger, the process-owned state (upstream
 * pools, secret scrubber), the runtime holder and its reloader, and the HTTP
 * server. `gateway start` and the integration tests both build it here.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DestinationStream, Logger } from 'pino'
import type { LogLevel } from './config/schema.js'
import { createApp } from './http/app.js'
import { createHttpServer } from './http/server.js'
import { createLogger } from './obs/logger.js'
import { RuntimeHolder } from './runtime/holder.js'
import { ProcessState } from './runtime/process-state.js'
import { Reloader, type ReloadOutcome, type ReloadTrigger } from './runtime/reload.js'

export interface GatewayOptions {
  /** Config file; default: search the working directory. */
  configPath?: string
  cwd?: string
  /** Override the config's server address. */
  host?: string
  port?: number
  /** Watch the config and its imports, and reload on save (default true). */
  watch?: boolean
  /** Reload on SIGHUP (default false: tests run several gateways in one process). */
  handleSignals?: boolean
  env?: NodeJS.ProcessEnv
  logDestination?: DestinationStream
  /** Wins over the config's `log.level`. */
  logLevel?: LogLevel
  /** Human-readable lines instead of JSON (also LOG_PRETTY=1). */
  logPretty?: boolean
  onReload?: (trigger: ReloadTrigger, outcome: ReloadOutcome) => void
}

export interface RunningGateway {
  readonly url: string
  readonly port: number
  readonly logger: Logger
  readonly holder: RuntimeHolder
  readonly reloader: Reloader
  readonly server: Server
  close(): Promise<void>
}

export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const state = new ProcessState()
  const logger = createLogger({
    scrubber: state.scrubber,
    destination: options.logDestination,
    level: options.logLevel,
    pretty: options.logPretty ?? process.env.LOG_PRETTY === '1',
  })
  const holder = new RuntimeHolder((runtime, error) => {
    if (error) logger.error({ err: error, version: runtime.version }, 'closing a retired config failed')
  })
  const reloader = new Reloader({
    holder,
    process: state,
    logger,
    configPath: options.configPath,
    cwd: options.cwd,
    env: options.env,
    onOutcome: (trigger, outcome) => {
      state.metrics.reloads.inc({ trigger, result: outcome.ok ? 'success' : 'failure' })
      // The config's log level applies live; an explicit option or LOG_LEVEL wins.
      const configured = holder.current?.checked.config.log?.level
      if (outcome.ok && configured && !options.logLevel && !process.env.LOG_LEVEL) logger.level = configured
      options.onReload?.(trigger, outcome)
    },
  })
  const runtime = await reloader.start()

  const app = createApp({
    holder,
    reloader,
    logger,
    metrics: state.metrics,
    scrub: (text) => state.scrubber.scrub(text),
  })
  const server = createHttpServer(app)
  const host = options.host ?? runtime.checked.config.server?.host ?? '127.0.0.1'
  const port = options.port ?? runtime.checked.config.server?.port ?? 8787
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  if (options.watch !== false) await reloader.watch()
  const onSignal = () => void reloader.reload('signal')
  if (options.handleSignals) process.on('SIGHUP', onSignal)

  const address = server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  logger.info({ url, configVersion: runtime.version }, 'gateway listening')

  return {
    url,
    port: address.port,
    logger,
    holder,
    reloader,
    server,
    async close() {
      process.off('SIGHUP', onSignal)
      await reloader.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await holder.closeAll()
      server.closeAllConnections()
      await closed
      await state.close()
    },
  }
}
