import { describe, expect, it } from 'vitest'
import type { UserConfig } from '../../core/config/define.js'
import { diffConfigs, isEmptyDiff, summarizeDiff } from '../../core/runtime/diff.js'

const base: UserConfig = {
  providers: { mock: { type: 'mock' } },
  routes: { a: { targets: ['mock/demo'] }, b: { targets: ['mock/demo'] } },
  policies: [{ name: 'p', when: 'true', deny: { message: 'no' } }],
}

describe('diffConfigs', () => {
  it('names added, removed and modified routes and policies', () => {
    const after: UserConfig = {
      ...base,
      routes: { a: { targets: ['mock/demo'], strategy: 'single' }, c: { targets: ['mock/demo'] } },
      policies: [],
    }
    const diff = diffConfigs(base, after)
    expect(summarizeDiff(diff)).toEqual({
      routes: { added: ['c'], removed: ['b'], modified: ['a'] },
      policies: { removed: ['p'] },
    })
  })

  it('ignores key order', () => {
    const reordered: UserConfig = { ...base, routes: { b: { targets: ['mock/demo'] }, a: { targets: ['mock/demo'] } } }
    expect(isEmptyDiff(diffConfigs(base, reordered))).toBe(true)
  })
})
