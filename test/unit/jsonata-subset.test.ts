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
  'a.y.z = "a"',
  '$count(a) > 1',
  '$count(a.y)',
  '$sum(a)',
  '$sum(a.y) > 2',
  '$length(a)',
  '$string(a)',
  'a.$length(y)',
  'a.$string(y)',
  'a.y.$count(z)',
  '$sum(a.$length($string(y))) > 2',
  '$exists(a.y.z) or $count(b.y) = 0',
] as const

/** Outside the subset: these must still work, through jsonata. */
const NOT_COMPILED = [
  'a[0] = 1',
  'a + 1 > 2',
  'a.* = 1',
  '$.a = 1',
  'a ? 1 : 2',
  'a in [b]',
  '$exists(a, 1)',
  '$sum(a, 1)',
  '$uppercase(a) = "A"',
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
  [{ y: 1 }, { y: 2 }],
  [{ y: [1, 2] }, { y: 3 }, {}],
  [{ y: { z: 'a' } }, { y: { z: 'b' } }],
  [[{ y: 1 }], [{ y: 2 }]],
  [{ y: [[1]] }],
  [{ y: 'ab' }, { y: 'c😀' }],
  [{}],
  { y: [] },
  { y: [{ z: 1 }, { z: [2, 3] }] },
  { y: 'text' },
  -0,
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

  it('answers synchronously where it models the data, and hands the rest to jsonata', async () => {
    const condition = compileExpression('body.max_tokens > 4096 and caller.team in ["ml", "ops"]')
    expect(condition.evaluate({ body: { max_tokens: 8192 }, caller: { team: 'ml' } })).toBe(true)
    expect(condition.evaluate({ body: { max_tokens: 10 }, caller: { team: 'ml' } })).toBe(false)
    // A path over an array maps, as jsonata's does.
    const promptLength = compileExpression('$sum(body.messages.$length($string(content)))')
    const messages = [{ content: 'four' }, { content: 'three' }]
    expect(promptLength.evaluate({ body: { messages } })).toBe(9)
    // Multimodal content is not a string: jsonata serialises it, so jsonata answers.
    const parts = promptLength.evaluate({ body: { messages: [{ content: [{ type: 'text', text: 'hi' }] }] } })
    expect(parts).toBeInstanceOf(Promise)
    expect(await parts).toBe(JSON.stringify([{ type: 'text', text: 'hi' }]).length)
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
