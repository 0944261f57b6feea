/**
 * The compiled JSONata subset is checked against jsonata itself: every
 * expression below, over every pair of values below, must give jsonata's
 * result (or jsonata's error), whether the compiled function answered or
 * handed the input back to jsonata.
 */
import jsonata from 'jsonata'
import { describe, expect, it } from 'vitest'
import { compileExpression } from '../../core/policy/condition.js'

/** Written the way conditions are; each must run compiled. */
const COMPILED = [
  'a',
  'a.y',
  'a.y.z',
  'true',
  'null',
  '"text"',
  '-5',
  'a = b',
  'a != b',
  'a < b',
  'a <= b',
  'a > b',
  'a >= b',
  'a = "smart"',
  'a != null',
  'a > 4096',
  'a <= "m"',
  'a.y = 1',
  'a and b',
  'a or b',
  'a and b.y',
  'a = 1 or b = "a"',
  '(a > 1) and (b < 2)',
  'a in ["a", "smart", 1, 0, null, true]',
  'a in []',
  '$exists(a)',
  '$exists(a.y)',
  '$not(a)',
  '$boolean(a)',
  '$boolean(a.y)',
  '$exists(b) and a = null',
] as const

/** Outside the subset: these must still work, through jsonata. */
const NOT_COMPILED = [
  'a[0] = 1',
  'a + 1 > 2',
  '$count(a) > 1',
  'a.* = 1',
  '$.a = 1',
  'a ? 1 : 2',
  'a in [b]',
  '$exists(a, 1)',
  '$sum(a.$length($string(y))) > 2',
  '{ "deny": { "message": a } }',
  'a & b',
] as const

/** Values of the kinds JSON carries, and a few that take the compiled function outside its subset. */
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  1,
  -2.5,
  4097,
  '',
  'a',
  'smart',
  'm',
  [],
  [0],
  [1, 2],
  ['a'],
  [[]],
  [null, 0],
  {},
  { y: 1 },
  { y: { z: 'a' } },
  { y: [1] },
  [{ y: 1 }],
  { _jsonata_lambda: true },
  [{ _jsonata_function: true }],
]

function inputOf(a: unknown, b: unknown): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  if (a !== undefined) input.a = a
  if (b !== undefined) input.b = b
  return input
}

/** A value or jsonata's error code: what the two evaluations are compared by. */
async function outcome(run: () => unknown): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await run() }
  } catch (error) {
    return { error: (error as { code?: unknown }).code ?? error }
  }
}

describe('compiled JSONata conditions', () => {
  it.each([...COMPILED, ...NOT_COMPILED])('%s gives what jsonata gives, for every pair of values', async (source) => {
    const compiled = compileExpression(source)
    const reference = jsonata(source)
    for (const a of VALUES) {
      for (const b of VALUES) {
        const input = inputOf(a, b)
        const ours = await outcome(() => compiled.evaluate(input))
        const theirs = await outcome(() => reference.evaluate(input))
        expect(ours, `${source} with ${JSON.stringify(input)}`).toStrictEqual(theirs)
      }
    }
  })

  it('runs the subset as plain functions, and the rest through jsonata', () => {
    for (const source of COMPILED) expect(compileExpression(source).compiled, source).toBe(true)
    for (const source of NOT_COMPILED) expect(compileExpression(source).compiled, source).toBe(false)
  })

  it('answers synchronously for plain data, and hands arrays in a path to jsonata', async () => {
    const condition = compileExpression('body.max_tokens > 4096 and caller.team in ["ml", "ops"]')
    expect(condition.evaluate({ body: { max_tokens: 8192 }, caller: { team: 'ml' } })).toBe(true)
    expect(condition.evaluate({ body: { max_tokens: 10 }, caller: { team: 'ml' } })).toBe(false)
    // jsonata maps a path over an array; the compiled function leaves that to it.
    const mapped = condition.evaluate({ body: [{ max_tokens: 8192 }], caller: { team: 'ops' } })
    expect(mapped).toBeInstanceOf(Promise)
    expect(await mapped).toBe(true)
  })

  it('passes jsonata errors through, for inputs jsonata rejects', async () => {
    const condition = compileExpression('body.max_tokens > 4096')
    await expect(Promise.resolve(condition.evaluate({ body: { max_tokens: '8192' } }))).rejects.toMatchObject({
      code: 'T2009',
    })
  })

  it('throws jsonata syntax errors at compile time, with their position', () => {
    expect(() => compileExpression('body.max_tokens >')).toThrow(expect.objectContaining({ position: 17 }))
  })
})
