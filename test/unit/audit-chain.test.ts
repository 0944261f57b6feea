/**
 * The audit file's chain, built a batch at a time: the same lines as
 * chaining record by record, and the event loop keeps turning while a large
 * batch is hashed (requests are not held behind it).
 */
import { describe, expect, it } from 'vitest'
import { chainHash, chainLine, chainLines, GENESIS } from '../../plugins/audit-file/chain.js'

const records = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `r${i}`, status: 200, tags: { b: 'x', a: String(i) } }))

describe('chainLines', () => {
  it('gives the lines chaining one record at a time gives, and the last hash', async () => {
    const batch = records(20)
    let prev = GENESIS
    let expected = ''
    for (const record of batch) {
      const { line, hash } = chainLine(prev, record)
      expected += line
      prev = hash
    }
    const { text, hash } = await chainLines(GENESIS, batch)
    expect(text).toBe(expected)
    expect(hash).toBe(prev)
    // Each line is its record plus the link, and its hash covers the record after the previous hash.
    const [first] = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
    expect(first).toEqual({ ...batch[0], prev: GENESIS, hash: chainHash(GENESIS, batch[0] as object) })
  })

  it('lets the event loop turn while a large batch is hashed', async () => {
    let turns = 0
    let done = false
    const tick = () => {
      turns++
      if (!done) setImmediate(tick)
    }
    setImmediate(tick)
    // Thousands of records take milliseconds to hash on any machine: many times one slice.
    const { text } = await chainLines(GENESIS, records(3000))
    done = true
    expect(text.split('\n').filter(Boolean)).toHaveLength(3000)
    expect(turns).toBeGreaterThan(0)
  })
})
