/**
 * canonicalJson builds cache keys and the audit file's hash chain: its text
 * must stay exactly what a plain recursive definition gives (keys sorted by
 * `<` at every depth), or old chains and cached keys would stop matching.
 */
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../plugins/shared/canonical-json.js'

/** The definition, written the obvious way. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((item) => reference(item)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined && typeof member !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(',')}}`
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, by code units, integer-like keys included', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    )
    // Object.keys lists integer-like keys first in numeric order; the text orders them as strings.
    expect(canonicalJson({ 9: 'a', 10: 'b', x: 'c', Z: 'd', é: 'e' })).toBe(
      '{"10":"b","9":"a","Z":"d","x":"c","é":"e"}',
    )
  })

  it('leaves out undefined and function members, and writes such array items as null', () => {
    expect(canonicalJson({ a: undefined, b: () => 1, c: [undefined, () => 1, 1] })).toBe('{"c":[null,null,1]}')
    expect(canonicalJson(undefined)).toBe('null')
    expect(canonicalJson({})).toBe('{}')
  })

  it('matches the plain recursive definition on nested data', () => {
    const samples: unknown[] = [
      {
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi "there"\n' }] }],
        logit_bias: { 50256: -100, 9: 1 },
      },
      {
        tags: { 'b:c': 'x', a: 'y' },
        usage: { prompt_tokens: 1, total_tokens: 2.5 },
        error: null,
        nested: [[[{ k: true }]]],
      },
      ['s', 0, -0, 1e21, false, { '': 'empty key', '\u0000': 'nul' }],
    ]
    for (const sample of samples) expect(canonicalJson(sample)).toBe(reference(sample))
  })
})
