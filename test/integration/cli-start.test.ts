import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { startCli } from '../helpers/cli-process.js'
import { makeConfigDir, tsConfig } from '../helpers/gateway.js'

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
