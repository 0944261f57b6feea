/**
 * Starts a real gateway for a test: a config file written to a fresh temp
 * directory, an ephemeral port on 127.0.0.1, and every log line captured so
 * tests can assert on logs (and on what must never be in them).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type GatewayOptions, type RunningGateway, startGateway } from '../../core/gateway.js'

/** Absolute path of the package's main module, for configs written into temp directories. */
export const CORE_ENTRY = fileURLToPath(new URL('../../core/index.ts', import.meta.url))

export interface TestGateway extends RunningGateway {
  readonly dir: string
  readonly configPath: string
  /** Every log line so far, raw. */
  readonly logs: string[]
  /** Replaces the config file's text (the watcher reloads the gateway). */
  writeConfig(source: string): void
}

export function makeConfigDir(prefix = 'gateway-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** A TS config module body: `source` is the object literal passed to defineConfig. */
export function tsConfig(objectLiteral: string): string {
  return `import { defineConfig, env } from ${JSON.stringify(CORE_ENTRY)}\nexport default defineConfig(${objectLiteral})\n`
}

export async function startTestGateway(
  configSource: string,
  options: Omit<GatewayOptions, 'configPath' | 'logDestination' | 'port' | 'host'> & {
    fileName?: string
    /** Other files to write next to the config first (relative path -> text; directories are created). */
    files?: Record<string, string>
  } = {},
): Promise<TestGateway> {
  const dir = makeConfigDir()
  for (const [name, text] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  const configPath = path.join(dir, options.fileName ?? 'gateway.config.ts')
  writeFileSync(configPath, configSource)
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  const gateway = await startGateway({
    ...options,
    configPath,
    host: '127.0.0.1',
    port: 0,
    watch: options.watch ?? false,
    logDestination: destination,
    logLevel: options.logLevel ?? 'debug',
  })
  return Object.assign(Object.create(null), gateway, {
    dir,
    configPath,
    logs,
    writeConfig: (source: string) => writeFileSync(configPath, source),
    close: async () => {
      await gateway.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }) as TestGateway
}
