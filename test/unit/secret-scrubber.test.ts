import { describe, expect, it } from 'vitest'
import { SecretScrubber } from '../../core/obs/secret-scrubber.js'

describe('SecretScrubber', () => {
  it('replaces every known secret, longest first, and keeps earlier secrets', () => {
    const scrubber = new SecretScrubber()
    scrubber.add(['sk-abc', 'sk-abcdef'])
    scrubber.add(['tok.en+$'])
    expect(scrubber.scrub('a sk-abcdef b sk-abc c tok.en+$')).toBe('a [redacted] b [redacted] c [redacted]')
  })

  it('ignores values too short to be secrets', () => {
    const scrubber = new SecretScrubber()
    scrubber.add(['ab'])
    expect(scrubber.scrub('abc')).toBe('abc')
  })
})
