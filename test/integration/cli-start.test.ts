import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { makeConfigDir, tsConfig } from '../helpers/gateway.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `gateway start` as a real process and collects its JSON log lines. */
function startCli(args: string[]): {
  child: ChildProcess
  lines: Array<Record<string, unknown>>
  next: (msg: string) => Promise<Record<string, unknown>>
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'start', ...args], {
    cwd: repo,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Array<Record<string, unknown>> = []
  const waiters: Array<{ msg: string; from: number; resolve: (line: Record<string, unknown>) => void }> = []
  let buffered = ''
  child.stdout?.on('data', (data: Buffer) => {
    buffered += data.toString()
    const complete = buffered.split('\n')
    buffered = complete.pop() ?? ''
    for (const text of complete.filter(Boolean)) {
      lines.push(JSON.parse(text) as Record<string, unknown>)
      for (const waiter of [...waiters]) {
        const found = lines.slice(waiter.from).find((line) => line.msg === waiter.msg)
        if (found) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(found)
        }
      }
    }
  })
  const next = (msg: string) => {
    const from = lines.length
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ msg, from, resolve })
      setTimeout(() => reject(new Error(`no '${msg}' log line within 15 s`)), 15_000).unref()
    })
  }
  return { child, lines, next }
}

describe('gateway start (CLI process)', () => {
  let child: ChildProcess | undefined
  afterEach(() => {
    child?.kill('SIGKILL')
  })

  it('serves, reloads on SIGHUP logging what changed, and exits cleanly on SIGTERM', async () => {
    const dir = makeConfigDir()
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(
      configPath,
      tsConfig(`{ providers: { mock: { type: 'mock' } }, routes: { one: { targets: ['mock/demo'] } } }`),
    )
    const cli = startCli(['--config', configPath, '--port', '0', '--no-watch'])
    child = cli.child
    const listening = await cli.next('gateway listening')
    const url = listening.url as string

    const models = async () =>
      ((await (await request(`${url}/v1/models`)).body.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)
    expect(await models()).toContain('one')

    writeFileSync(
      configPath,
      tsConfig(
        `{ providers: { mock: { type: 'mock' } }, routes: { one: { targets: ['mock/demo'] }, two: { targets: ['mock/demo'] } } }`,
      ),
    )
    const reloaded = cli.next('config reloaded')
    child.kill('SIGHUP')
    expect(await reloaded).toMatchObject({ trigger: 'signal', version: 2, changes: { routes: { added: ['two'] } } })
    expect(await models()).toContain('two')

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('refuses to start on an invalid config, naming the problem (exit 1)', async () => {
    const dir = makeConfigDir()
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(
      configPath,
      tsConfig(`{ providers: { mock: { type: 'mock' } }, routes: { one: { targets: ['mokc/demo'] } } }`),
    )
    const cli = startCli(['--config', configPath, '--port', '0'])
    child = cli.child
    let stderr = ''
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString()
    })
    const code = await new Promise<number | null>((resolve) => child?.once('exit', (c) => resolve(c)))
    expect(code).toBe(1)
    expect(stderr).toContain("/routes/one/targets/0: unknown provider 'mokc' in target 'mokc/demo'")
    expect(stderr).toContain("did you mean 'mock'?")
  })
})
