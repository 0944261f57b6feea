import { describe, expect, it } from 'vitest'
import { RuntimeHolder } from '../../core/runtime/holder.js'
import type { Runtime } from '../../core/runtime/runtime.js'

function fakeRuntime(version: number, closed: number[]): Runtime {
  return { version, close: async () => void closed.push(version) } as unknown as Runtime
}

describe('RuntimeHolder', () => {
  it('closes a replaced runtime at once when nothing holds it', async () => {
    const closed: number[] = []
    const holder = new RuntimeHolder()
    holder.swap(fakeRuntime(1, closed))
    holder.swap(fakeRuntime(2, closed))
    await Promise.resolve()
    expect(closed).toEqual([1])
    expect(holder.current?.version).toBe(2)
  })

  it('keeps a leased runtime open until its last lease is released', async () => {
    const closed: number[] = []
    const holder = new RuntimeHolder()
    holder.swap(fakeRuntime(1, closed))
    const first = holder.acquire()
    const second = holder.acquire()
    holder.swap(fakeRuntime(2, closed))
    expect(holder.acquire().runtime.version).toBe(2)
    expect(first.runtime.version).toBe(1)
    first.release()
    first.release() // idempotent: must not count twice
    await Promise.resolve()
    expect(closed).toEqual([])
    second.release()
    await Promise.resolve()
    expect(closed).toEqual([1])
  })

  it('closeAll waits for in-flight leases up to the grace period, then closes regardless', async () => {
    const closed: number[] = []
    const holder = new RuntimeHolder()
    holder.swap(fakeRuntime(1, closed))
    holder.acquire() // never released
    await holder.closeAll(50)
    expect(closed).toContain(1)
    expect(holder.current).toBeUndefined()
  })
})
