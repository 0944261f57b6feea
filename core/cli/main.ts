#!/usr/bin/env node
/** The `gateway` command line: start, check, print-config. */
import { Command, InvalidArgumentError, Option } from 'commander'
import { loadConfigFile } from '../config/load.js'
import { ConfigError, ConfigLoadError } from '../config/problems.js'
import { redactedConfig } from '../config/redact.js'
import { checkConfig } from '../config/validate.js'
import { startGateway } from '../gateway.js'
import { formatCheckReport, runCheck } from './check.js'
import { newKeyInstructions } from './keys.js'
import { fetchUsage, formatUsage } from './usage.js'

const program = new Command('gateway').description('Declarative, config-as-code LLM gateway').showHelpAfterError()

const configOption = () => new Option('-c, --config <path>', 'config file (default: search the working directory)')

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number')
  return port
}

program
  .command('start')
  .description('run the gateway; reloads when the config or its imports are saved, on SIGHUP and on POST /admin/reload')
  .addOption(configOption())
  .option('-p, --port <port>', "listen port (overrides the config's server.port)", parsePort)
  .option('-H, --host <host>', "listen address (overrides the config's server.host)")
  .option('--no-watch', 'do not reload when files change')
  .option('--pretty', 'human-readable logs')
  .action(async (opts: { config?: string; port?: number; host?: string; watch: boolean; pretty?: boolean }) => {
    let gateway: Awaited<ReturnType<typeof startGateway>>
    try {
      gateway = await startGateway({
        configPath: opts.config,
        port: opts.port,
        host: opts.host,
        watch: opts.watch,
        logPretty: opts.pretty,
        handleSignals: true,
      })
    } catch (error) {
      if (error instanceof ConfigError || error instanceof ConfigLoadError) {
        process.stderr.write(`${error.message}\n`)
        process.exit(error instanceof ConfigError ? 1 : 2)
      }
      throw error
    }
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      gateway.logger.info({ signal }, 'shutting down: finishing in-flight requests')
      void gateway.close().then(() => process.exit(0))
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
  })

program
  .command('check')
  .description('validate the config; exit 0 valid, 1 invalid, 2 could not load')
  .addOption(configOption())
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(async (opts: { config?: string; format: 'text' | 'json' }) => {
    const report = await runCheck({ configPath: opts.config })
    const out = report.exitCode === 0 || opts.format === 'json' ? process.stdout : process.stderr
    out.write(`${formatCheckReport(report, opts.format)}\n`)
    process.exitCode = report.exitCode
  })

program
  .command('print-config')
  .description('print the resolved config as JSON, with every secret redacted')
  .addOption(configOption())
  .action(async (opts: { config?: string }) => {
    try {
      const loaded = await loadConfigFile({ configPath: opts.config })
      const result = await checkConfig(loaded.raw, { configPath: loaded.configPath, configDir: loaded.configDir })
      if (!result.ok) throw new ConfigError(result.problems, loaded.configPath)
      process.stdout.write(`${JSON.stringify(redactedConfig(result.checked), null, 2)}\n`)
    } catch (error) {
      if (!(error instanceof ConfigError || error instanceof ConfigLoadError)) throw error
      process.stderr.write(`${error.message}\n`)
      process.exitCode = error instanceof ConfigError ? 1 : 2
    }
  })

const keys = program.command('keys').description('virtual keys')
keys
  .command('new')
  .description('create a virtual key: prints the key once, and the line to paste into `keys`')
  .requiredOption('-n, --name <name>', 'a name for the key (shown in logs and usage)')
  .option('-t, --team <team>', 'the team the key belongs to')
  .action((opts: { name: string; team?: string }) => {
    process.stdout.write(`${newKeyInstructions(opts)}\n`)
  })

program
  .command('usage')
  .description("a running gateway's spend and remaining budget per org, team and key (GET /admin/usage)")
  .option('-u, --url <url>', 'the gateway', 'http://127.0.0.1:8787')
  .option('--token <token>', 'admin token (default: GATEWAY_ADMIN_TOKEN)')
  .option('--json', 'print the raw JSON')
  .action(async (opts: { url: string; token?: string; json?: boolean }) => {
    const token = opts.token ?? process.env.GATEWAY_ADMIN_TOKEN
    if (!token) {
      process.stderr.write('an admin token is needed: --token or GATEWAY_ADMIN_TOKEN\n')
      process.exitCode = 2
      return
    }
    try {
      const report = await fetchUsage(opts.url, token)
      process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatUsage(report)}\n`)
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`)
      process.exitCode = 1
    }
  })

await program.parseAsync()
