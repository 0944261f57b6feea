import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { ReloadOutcome } from '../../core/runtime/reload.js'
import { CORE_ENTRY, startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

/** Two mock providers that answer differently, so a changed target is visible in the answer. */
function configWith(routes: Record<string, string>, stableTarget: 'alpha' | 'beta'): string {
  const routeEntries = Object.entries(routes)
    .map(([name, target]) => `${JSON.stringify(name)}: { targets: [${JSON.stringify(target)}] }`)
    .join(', ')
  return tsConfig(`{
    providers: {
      alpha: { type: 'mock', reply: 'from alpha' },
      beta: { type: 'mock', reply: 'from beta' },
    },
    routes: { stable: { targets: ['${stableTarget}/demo'] }${routeEntries ? `, ${routeEntries}` : ''} },
  }`)
}

async function chat(url: string, model: string): Promise<{ status: number; content: string | undefined }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
  })
  const body = (await res.body.json()) as { choices?: Array<{ message: { content: string } }> }
  return { status: res.statusCode, content: body.choices?.[0]?.message.content }
}

async function modelIds(url: string): Promise<string[]> {
  const res = await request(`${url}/v1/models`)
  const body = (await res.body.json()) as { data: Array<{ id: string }> }
  return body.data.map((m) => m.id)
}

/** Polls until `check` passes; returns how long it took. Fails after `limitMs`. */
async function waitFor(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await check()) return performance.now() - started
    await sleep(10)
  }
  throw new Error(`condition not met within ${limitMs} ms`)
}

describe('hot reload', () => {
  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('applies 20 saved edits under concurrent load with zero failed requests; the invalid one is rejected', async () => {
    const outcomes: ReloadOutcome[] = []
    gateway = await startTestGateway(configWith({}, 'alpha'), { watch: true, onReload: (_t, o) => outcomes.push(o) })
    const { url } = gateway

    let running = true
    const failures: string[] = []
    let served = 0
    const client = async () => {
      while (running) {
        const { status, content } = await chat(url, 'stable')
        if (status !== 200 || !content?.startsWith('from ')) failures.push(`${status} ${content}`)
        served++
      }
    }
    const clients = Array.from({ length: 4 }, client)

    const delays: number[] = []
    let routes: Record<string, string> = {}
    let stable: 'alpha' | 'beta' = 'alpha'
    try {
      for (let edit = 1; edit <= 20; edit++) {
        const reloadsBefore = outcomes.length
        if (edit === 10) {
          // An invalid edit: a target naming a provider that does not exist.
          gateway.writeConfig(configWith({ ...routes, broken: 'nope/demo' }, stable))
          await waitFor(async () => outcomes.length > reloadsBefore, 1000)
          expect(outcomes.at(-1)?.ok).toBe(false)
          expect(await modelIds(url)).not.toContain('broken')
          expect((await chat(url, 'stable')).status).toBe(200)
          continue
        }
        if (edit % 3 === 0) {
          // Change a target: the stable route moves to the other provider.
          stable = stable === 'alpha' ? 'beta' : 'alpha'
          gateway.writeConfig(configWith(routes, stable))
          const expected = `from ${stable}`
          delays.push(await waitFor(async () => (await chat(url, 'stable')).content === expected, 1000))
        } else if (edit % 4 === 0 && Object.keys(routes).length > 0) {
          // Remove a route.
          const [removed] = Object.keys(routes)
          routes = Object.fromEntries(Object.entries(routes).filter(([name]) => name !== removed))
          gateway.writeConfig(configWith(routes, stable))
          delays.push(await waitFor(async () => !(await modelIds(url)).includes(removed as string), 1000))
        } else {
          // Add a route.
          const name = `route-${edit}`
          routes = { ...routes, [name]: `${edit % 2 === 0 ? 'alpha' : 'beta'}/demo` }
          gateway.writeConfig(configWith(routes, stable))
          delays.push(await waitFor(async () => (await modelIds(url)).includes(name), 1000))
          expect((await chat(url, name)).status).toBe(200)
        }
      }
    } finally {
      running = false
      await Promise.all(clients)
    }

    expect(failures).toEqual([])
    expect(served).toBeGreaterThan(20)
    expect(delays).toHaveLength(19)
    expect(Math.max(...delays)).toBeLessThan(1000)
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(1)
    expect(gateway.logs.some((line) => line.includes('config reload rejected'))).toBe(true)
    const rejected = outcomes.find((o) => !o.ok)
    expect(rejected && !rejected.ok && rejected.problems[0]?.path).toBe('/routes/broken/targets/0')
  })

  it('reloads when a module imported by the config is saved', async () => {
    gateway = await startTestGateway(
      `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}\nimport { routes } from './routes.js'\n` +
        `export default defineConfig({ providers: { mock: { type: 'mock' } }, routes })\n`,
      { watch: true, files: { 'routes.ts': `export const routes = { first: { targets: ['mock/demo'] } }\n` } },
    )
    expect(await modelIds(gateway.url)).toContain('first')

    writeFileSync(path.join(gateway.dir, 'routes.ts'), `export const routes = { second: { targets: ['mock/demo'] } }\n`)
    const url = gateway.url
    await waitFor(async () => (await modelIds(url)).includes('second'), 1000)
    expect(await modelIds(url)).not.toContain('first')
  })

  it('keeps an in-flight request on its runtime and closes the old plugins only after it ends', async () => {
    // The plugin records its close() as a file next to the config.
    const config = (version: string) =>
      `import { writeFileSync } from 'node:fs'\nimport { defineConfig, definePlugin } from ${JSON.stringify(CORE_ENTRY)}\n` +
      `const recorder = definePlugin({ name: 'close-recorder', setup: (_o, api) => ({ close: () => writeFileSync(api.configDir + '/closed-${version}', '') }) })\n` +
      `export default defineConfig({ providers: { slow: { type: 'mock', latencyMs: 400, reply: 'from ${version}' } }, ` +
      `routes: { ${version}: { targets: ['slow/demo'] } }, plugins: [recorder()] })\n`
    gateway = await startTestGateway(config('v1'))
    const closed = (version: string) => existsSync(path.join(gateway?.dir as string, `closed-${version}`))

    const inFlight = chat(gateway.url, 'v1')
    await sleep(100)
    gateway.writeConfig(config('v2'))
    expect((await gateway.reloader.reload('admin')).ok).toBe(true)
    expect(await modelIds(gateway.url)).not.toContain('v1')
    expect(closed('v1')).toBe(false)

    expect(await inFlight).toEqual({ status: 200, content: 'from v1' })
    await waitFor(async () => closed('v1'), 1000)
    expect(closed('v2')).toBe(false)
  })

  it('POST /admin/reload needs the admin token, and is absent when none is configured', async () => {
    gateway = await startTestGateway(
      tsConfig(`{ admin: { token: env('TEST_ADMIN_TOKEN') }, providers: { mock: { type: 'mock' } } }`),
      { env: { TEST_ADMIN_TOKEN: 'admin-secret-token' } },
    )
    const reload = (headers: Record<string, string>) =>
      request(`${gateway?.url}/admin/reload`, { method: 'POST', headers }).then(async (r) => ({
        status: r.statusCode,
        body: (await r.body.json()) as Record<string, unknown>,
      }))
    expect((await reload({})).status).toBe(401)
    expect((await reload({ authorization: 'Bearer wrong' })).status).toBe(401)
    const ok = await reload({ authorization: 'Bearer admin-secret-token' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ status: 'reloaded', configVersion: 2 })

    gateway.writeConfig(
      tsConfig(`{ admin: { token: env('TEST_ADMIN_TOKEN') }, providers: { mock: { type: 'mokc' } } }`),
    )
    const rejected = await reload({ 'x-admin-token': 'admin-secret-token' })
    expect(rejected.status).toBe(422)
    expect(JSON.stringify(rejected.body)).toContain('/providers/mock/type')
    expect((await request(`${gateway.url}/ready`).then((r) => r.body.json())) as object).toMatchObject({
      configVersion: 2,
    })

    gateway.writeConfig(tsConfig(`{ providers: { mock: { type: 'mock' } } }`))
    expect((await reload({ authorization: 'Bearer admin-secret-token' })).status).toBe(200)
    expect((await reload({ authorization: 'Bearer admin-secret-token' })).status).toBe(404)
  })
})
