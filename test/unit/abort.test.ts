import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import { Abort, toAbortSignal } from '../../core/abort.js'

describe('Abort', () => {
  it('runs each listener once, on abort, with the reason readable; later aborts change nothing', () => {
    const abort = new Abort()
    const seen: unknown[] = []
    abort.addEventListener('abort', () => seen.push(abort.reason))
    abort.addEventListener('abort', () => seen.push('second'))
    expect(abort.aborted).toBe(false)
    const reason = new Error('client went away')
    abort.abort(reason)
    abort.abort(new Error('again'))
    expect(abort.aborted).toBe(true)
    expect(abort.reason).toBe(reason)
    expect(seen).toEqual([reason, 'second'])
  })

  it('a removed listener never runs, nor one added after the abort (as with AbortSignal)', () => {
    const abort = new Abort()
    const removed = vi.fn()
    abort.addEventListener('abort', removed)
    abort.removeEventListener('abort', removed)
    abort.abort()
    const late = vi.fn()
    abort.addEventListener('abort', late)
    expect(removed).not.toHaveBeenCalled()
    expect(late).not.toHaveBeenCalled()
    expect((abort.reason as DOMException).name).toBe('AbortError')
  })

  it('makes a real AbortSignal only when asked, and it follows the abort made before or after', () => {
    const before = new Abort()
    before.abort(new Error('early'))
    expect(before.signal).toBeInstanceOf(AbortSignal)
    expect(before.signal.aborted).toBe(true)
    expect(before.signal.reason).toEqual(new Error('early'))

    const after = new Abort()
    const signal = toAbortSignal(after)
    expect(signal).toBe(after.signal)
    expect(signal.aborted).toBe(false)
    after.abort(new Error('late'))
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toEqual(new Error('late'))

    const native = new AbortController().signal
    expect(toAbortSignal(native)).toBe(native)
  })

  it("cancels node's timers through toAbortSignal", async () => {
    const abort = new Abort()
    const waiting = sleep(10_000, undefined, { signal: toAbortSignal(abort) })
    abort.abort(new Error('stop'))
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
  })
})
