import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../core/config/schema.js'
import type { ProviderAdapter } from '../../core/providers/provider.js'
import { KeyPool } from '../../core/routing/key-pool.js'
import { RouteTable } from '../../core/routing/route-table.js'
import { candidates } from '../../core/routing/strategies.js'
import { parseTargetRef } from '../../core/routing/target-ref.js'

const provider = (name: string, models: string[] = []) => ({ name, models }) as unknown as ProviderAdapter
const providers = new Map([
  ['a', provider('a', ['m1'])],
  ['b', provider('b')],
  ['openrouter', provider('openrouter')],
])

function table(routes: Record<string, RouteConfig>) {
  return new RouteTable(routes, providers)
}

describe('target references', () => {
  it('reads routes, provider/model with slashes in the model, and unknowns', () => {
    const routes = new Set(['smart'])
    expect(parseTargetRef('smart', routes, providers)).toEqual({ kind: 'route', route: 'smart' })
    expect(parseTargetRef('openrouter/anthropic/claude', routes, providers)).toEqual({
      kind: 'model',
      provider: 'openrouter',
      model: 'anthropic/claude',
    })
    expect(parseTargetRef('nope/x', routes, providers).kind).toBe('unknown-provider')
    expect(parseTargetRef('plain', routes, providers).kind).toBe('unknown')
    expect(parseTargetRef('a/', routes, providers).kind).toBe('unknown')
  })
})

describe('strategies', () => {
  it('fallback expands nested routes in place', () => {
    const routes = table({
      inner: { strategy: 'fallback', targets: ['b/x', 'b/y'] },
      outer: { strategy: 'fallback', targets: ['a/m1', 'inner', 'a/m2'] },
    })
    const order = [...candidates(routes.resolve('outer'), routes)].map((t) => `${t.provider}/${t.model}`)
    expect(order).toEqual(['a/m1', 'b/x', 'b/y', 'a/m2'])
  })

  it('single tries only the first target; weighted picks one by weight', () => {
    const routes = table({
      one: { strategy: 'single', targets: ['a/m1'] },
      split: {
        strategy: 'weighted',
        targets: [
          { to: 'a/m1', weight: 3 },
          { to: 'b/x', weight: 1 },
        ],
      },
    })
    expect([...candidates(routes.resolve('one'), routes)]).toHaveLength(1)
    const picks = { a: 0, b: 0 }
    for (let i = 0; i < 400; i++) {
      const [pick] = [...candidates(routes.resolve('split'), routes, () => i / 400)]
      picks[pick?.provider as 'a' | 'b']++
    }
    expect(picks).toEqual({ a: 300, b: 100 })
  })

  it('resolves provider/model directly and rejects unknown models with a hint', () => {
    const routes = table({ smart: { targets: ['a/m1'] } })
    expect(routes.resolve('b/whatever').targets).toEqual([
      { kind: 'model', provider: 'b', model: 'whatever', weight: 1 },
    ])
    expect(() => routes.resolve('smrt')).toThrow(/did you mean 'smart'/)
    expect(routes.modelNames()).toEqual(['smart', 'a/m1'])
  })
})

describe('KeyPool', () => {
  const pool = new KeyPool([
    { value: 'k1', label: 'one', weight: 1 },
    { value: 'k2', label: 'two', weight: 3, models: ['gpt-4o'] },
  ])

  it('picks by weight among the keys allowed for the model', () => {
    expect(pool.pick('gpt-4o', () => 0.1)?.label).toBe('one')
    expect(pool.pick('gpt-4o', () => 0.5)?.label).toBe('two')
    expect(pool.pick('other', () => 0.9)?.label).toBe('one')
  })

  it('has nothing for a model no key may serve', () => {
    expect(new KeyPool([{ value: 'k', label: 'k', weight: 1, models: ['x'] }]).pick('y')).toBeUndefined()
  })
})
