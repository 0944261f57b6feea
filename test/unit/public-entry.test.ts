import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { GatewayConfigSchema, toJsonSchema } from '../../core/config/schema.js'
import * as publicApi from '../../core/index.js'
import auditFile from '../../plugins/audit-file/index.js'
import secrets from '../../plugins/secrets/index.js'

const fromRepo = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url))

describe('the public entry', () => {
  it('exports the config and plugin API', () => {
    expect(Object.keys(publicApi).sort()).toEqual(['GatewayError', 'defineConfig', 'definePlugin', 'env'])
    expect(publicApi.env('X')).toEqual({ $env: 'X' })
    expect(publicApi.env.optional('X', 'd')).toEqual({ $env: 'X', optional: true, default: 'd' })
  })

  it('has no runtime imports beyond a few dependency-free modules, so config reloads stay fast', () => {
    // Configs are re-evaluated with everything they import on every reload.
    const valueImports = (file: string) =>
      [...readFileSync(fromRepo(file), 'utf8').matchAll(/^(?:import|export) (?!type )[^;]*?from '([^']+)'/gm)].map(
        (m) => m[1],
      )
    expect(valueImports('core/index.ts').sort()).toEqual([
      './config/define.js',
      './config/env.js',
      './errors.js',
      './plugins/define.js',
    ])
    for (const file of ['core/config/define.ts', 'core/config/env.ts', 'core/errors.ts', 'core/plugins/define.ts']) {
      expect(valueImports(file), file).toEqual([])
    }
  })

  it('takes the shipped plugins in a typed config, with placement (checked by `npm run typecheck`)', () => {
    // Each plugin's options are an interface of its own: the config's plugin list must accept them all.
    const config = publicApi.defineConfig({
      providers: { mock: { type: 'mock' } },
      routes: { chat: { targets: ['mock/demo'] } },
      plugins: [
        secrets({ action: 'block' }),
        { ...secrets({ action: 'log' }), scope: { teams: ['security'] }, failOpen: true, timeoutMs: 50 },
        auditFile({ path: 'audit.jsonl', batchSize: 10 }),
      ],
    })
    expect(config.plugins?.[1]).toMatchObject({ options: { action: 'log' }, scope: { teams: ['security'] } })
  })

  it('gateway.schema.json is the schema the code validates with (run `npm run schema` after a change)', () => {
    const written = JSON.parse(readFileSync(fromRepo('gateway.schema.json'), 'utf8'))
    expect(written).toEqual(toJsonSchema(GatewayConfigSchema))
  })
})
