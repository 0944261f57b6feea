#!/usr/bin/env node
import { readFileSync } from 'node:fs'
/** The `gateway` command line: start, check, print-config. */
import { Command, InvalidArgumentError, Option } from 'commander'
import type { UserConfig } from '../config/define.js'
import { loadConfigFile } from '../config/load.js'
import { ConfigError, ConfigLoadError } from '../config/problems.js'
import { redactedConfig } from '../config/redact.js'
import { checkConfig } from '../config/validate.js'
import { startGateway } from '../gateway.js'
import { tuneGarbageCollection } from '../gc-tuning.js'
import { diffConfigs } from '../runtime/diff.js'
import { auditVerifyCommand } from './audit-verify.js'
import { formatCheckReport, runCheck } from './check.js'
import { formatDiff } from './diff.js'
import { dryRun } from './dry-run.js'
import { formatDecision } from './explain.js'
import { newKeyInstructions } from './keys.js'
import { type OfflineRuntime, offlineRuntime } from './offline-runtime.js'
import { findTestFiles, formatResults, readCases, runCase } from './test-cases.js'
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
    tuneGarbageCollection()
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

program
  .command('test')
  .description('run policy and routing test cases (policies/*.test.yaml) without any provider; exit 1 on a failure')
  .addOption(configOption())
  .argument('[files...]', 'test files (default: policies/*.test.{yaml,yml,json} next to the config)')
  .action(async (files: string[], opts: { config?: string }) => {
    await withOfflineRuntime(opts.config, async ({ runtime }) => {
      const paths = findTestFiles(runtime.checked.configDir, files)
      if (paths.length === 0) {
        process.stderr.write('no test files found (policies/*.test.yaml next to the config)\n')
        return 2
      }
      const results = []
      for (const file of paths)
        for (const testCase of readCases(file)) results.push(await runCase(runtime, file, testCase))
      process.stdout.write(`${formatResults(results)}\n`)
      return results.some((r) => r.mismatches.length > 0) ? 1 : 0
    })
  })

program
  .command('explain')
  .description(
    'what the gateway would do with a request: policies, route, targets, plugins, limits (no provider is called)',
  )
  .addOption(configOption())
  .option('-r, --request <file>', 'the request body as JSON (default: stdin)')
  .option('-k, --key <name>', 'act as this virtual key')
  .option('-H, --header <name:value...>', 'request headers, e.g. x-gateway-metadata:{"tier":"batch"}')
  .option('--embeddings', 'the request is an embeddings request')
  .option('--json', 'print the decision as JSON')
  .action(
    async (opts: {
      config?: string
      request?: string
      key?: string
      header?: string[]
      embeddings?: boolean
      json?: boolean
    }) => {
      const text = opts.request ? readFileSync(opts.request, 'utf8') : readFileSync(0, 'utf8')
      const request = JSON.parse(text) as { model?: unknown }
      const headers = Object.fromEntries(
        (opts.header ?? []).map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]),
      )
      await withOfflineRuntime(opts.config, async ({ runtime }) => {
        const decision = await dryRun(runtime, {
          request,
          key: opts.key,
          headers,
          endpoint: opts.embeddings ? 'embeddings' : 'chat',
        })
        process.stdout.write(`${opts.json ? JSON.stringify(decision, null, 2) : formatDecision(decision, request)}\n`)
        return 0
      })
    },
  )

program
  .command('diff')
  .description('what changes between two configs: providers, routes, orgs, teams, keys, policies, plugins, settings')
  .argument('<old>', 'the config before')
  .argument('<new>', 'the config after')
  .action(async (before: string, after: string) => {
    try {
      const [a, b] = await Promise.all([loadConfigFile({ configPath: before }), loadConfigFile({ configPath: after })])
      process.stdout.write(`${formatDiff(diffConfigs(a.raw as UserConfig, b.raw as UserConfig))}\n`)
    } catch (error) {
      if (!(error instanceof ConfigLoadError)) throw error
      process.stderr.write(`${error.message}\n`)
      process.exitCode = 2
    }
  })

/** Runs an offline command on a compiled runtime; config errors exit 1, load errors 2. */
async function withOfflineRuntime(configPath: string | undefined, run: (offline: OfflineRuntime) => Promise<number>) {
  let offline: OfflineRuntime
  try {
    offline = await offlineRuntime(configPath)
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof ConfigLoadError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exitCode = error instanceof ConfigError ? 1 : 2
    return
  }
  try {
    process.exitCode = await run(offline)
  } finally {
    await offline.close()
  }
}

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

program
  .command('audit')
  .description('audit files written by the audit-file plugin')
  .command('verify')
  .description("check an audit file's hash chain; exit 0 intact, 1 with the first bad line named")
  .argument('<file>', 'the audit JSONL file')
  .action(async (file: string) => {
    const { exitCode, message } = await auditVerifyCommand(file)
    ;(exitCode === 0 ? process.stdout : process.stderr).write(`${message}\n`)
    process.exitCode = exitCode
  })

await program.parseAsync()
