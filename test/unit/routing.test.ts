import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../core/config/schema.js'
import type { ProviderAdapter } from '../../core/providers/provider.js'
import { KeyHealth } from '../../core/routing/key-health.js'
import { KeyPool } from '../../core/routing/key-pool.js'
import { type CompiledRoute, RouteTable } from '../../core/routing/route-table.js'
import { candidates, type StrategyContext } from '../../core/routing/strategies.js'
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

/** The candidate order as "provider/model" strings. */
async function order(
  routes: RouteTable,
  route: CompiledRoute,
  context: Partial<StrategyContext> = {},
): Promise<string[]> {
  const out: string[] = []
  const full: StrategyContext = {
    table: routes,
    latency: () => undefined,
    price: () => undefined,
    conditionInput: () => ({}),
    random: Math.random,
    ...context,
  }
  for (const target of await candidates(route, full)) out.push(`${target.provider}/${target.model}`)
  return out
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
  it('fallback expands nested routes in place', async () => {
    const routes = table({
      inner: { strategy: 'fallback', targets: ['b/x', 'b/y'] },
      outer: { strategy: 'fallback', targets: ['a/m1', 'inner', 'a/m2'] },
    })
    expect(await order(routes, routes.resolve('outer'))).toEqual(['a/m1', 'b/x', 'b/y', 'a/m2'])
  })

  it('single tries only the first target; weighted picks one by weight', async () => {
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
    expect(await order(routes, routes.resolve('one'))).toHaveLength(1)
    const picks = { a: 0, b: 0 }
    for (let i = 0; i < 400; i++) {
      const [pick] = await order(routes, routes.resolve('split'), { random: () => i / 400 })
      picks[(pick as string).slice(0, 1) as 'a' | 'b']++
    }
    expect(picks).toEqual({ a: 300, b: 100 })
  })

  it('conditional: the first target whose JSONata condition holds, else the default', async () => {
    const routes = table({
      byTeam: {
        strategy: 'conditional',
        targets: [
          { to: 'a/m1', when: 'caller.team = "ml"' },
          { to: 'b/x', when: 'metadata.tier = "batch"' },
          'b/default',
        ],
      },
    })
    const route = routes.resolve('byTeam')
    expect(await order(routes, route, { conditionInput: () => ({ caller: { team: 'ml' }, metadata: {} }) })).toEqual([
      'a/m1',
    ])
    expect(await order(routes, route, { conditionInput: () => ({ caller: {}, metadata: { tier: 'batch' } }) })).toEqual(
      ['b/x'],
    )
    expect(await order(routes, route, { conditionInput: () => ({ caller: {}, metadata: {} }) })).toEqual(['b/default'])
  })

  it('least-latency: unmeasured first, then fastest, with occasional exploration', async () => {
    const routes = table({ fast: { strategy: 'least-latency', targets: ['a/m1', 'b/x', 'b/y'] } })
    const latency = (t: string) => ({ 'a/m1': 300, 'b/x': 100 })[t]
    const steady = await order(routes, routes.resolve('fast'), { latency, random: () => 0.99 })
    expect(steady).toEqual(['b/y', 'b/x', 'a/m1'])
    // random() < 0.1 explores: the target at index floor(random * n) goes first.
    const explored = await order(routes, routes.resolve('fast'), { latency, random: () => 0.05 })
    expect(explored).toEqual(['b/y', 'b/x', 'a/m1'])
    let calls = 0
    const exploring = await order(routes, routes.resolve('fast'), {
      latency,
      random: () => (calls++ === 0 ? 0.05 : 0.9),
    })
    expect(exploring).toEqual(['a/m1', 'b/y', 'b/x'])
  })

  it('cheapest: ascending price, unknown prices last in declared order', async () => {
    const routes = table({ cheap: { strategy: 'cheapest', targets: ['a/m1', 'b/x', 'b/y', 'openrouter/z'] } })
    const price = (t: string) => ({ 'a/m1': 12.5, 'b/y': 0.6 })[t]
    expect(await order(routes, routes.resolve('cheap'), { price })).toEqual(['b/y', 'a/m1', 'b/x', 'openrouter/z'])
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
  const key = (label: string, weight: number, models?: string[]) => ({
    id: `p#${label}`,
    value: label,
    label,
    weight,
    models,
  })
  const labelOf = (choice: ReturnType<KeyPool['choose']>) => (choice.kind === 'key' ? choice.key.label : choice.kind)

  it('picks by weight among the keys allowed for the model', () => {
    const pool = new KeyPool([key('one', 1), key('two', 3, ['gpt-4o'])], new KeyHealth())
    expect(labelOf(pool.choose('gpt-4o', () => 0.1))).toBe('one')
    expect(labelOf(pool.choose('gpt-4o', () => 0.5))).toBe('two')
    expect(labelOf(pool.choose('other', () => 0.9))).toBe('one')
    expect(labelOf(new KeyPool([key('k', 1, ['x'])], new KeyHealth()).choose('y'))).toBe('none-allowed')
  })

  it('skips a key resting after a 429 until its time is up, and a rejected key for good', () => {
    const health = new KeyHealth()
    const pool = new KeyPool([key('one', 1), key('two', 1)], health)
    health.coolDown('p#one', 'm', 'p', 'one', 5_000, 1_000)
    expect(labelOf(pool.choose('m', () => 0, 2_000))).toBe('two')
    expect(pool.hasOther('m', key('two', 1), 2_000)).toBe(false)
    health.reject('p#two', 'p', 'two', 'HTTP 401')
    expect(pool.choose('m', () => 0, 2_000)).toEqual({ kind: 'all-cooling', waitMs: 4_000 })
    expect(labelOf(pool.choose('m', () => 0, 6_000))).toBe('one')
    // Resting is per model: the key still serves another model meanwhile.
    health.coolDown('p#one', 'm', 'p', 'one', 5_000, 6_000)
    expect(labelOf(pool.choose('other-model', () => 0, 7_000))).toBe('one')
    health.reject('p#one', 'p', 'one', 'HTTP 403')
    expect(labelOf(pool.choose('m', () => 0, 6_000))).toBe('all-rejected')
    expect(health.report(6_000).map((s) => `${s.key}:${s.state}`)).toEqual([
      'two:rejected',
      'one:rejected',
      'one:cooling',
    ])
  })
})
