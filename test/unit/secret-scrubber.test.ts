import { describe, expect, it } from 'vitest'
import { SecretScrubber } from '../../core/obs/secret-scrubber.js'

describe('SecretScrubber', () => {
  it('replaces every known secret, longest first, and keeps earlier secrets', () => {
    const scrubber = new SecretScrubber()
    scrubber.add(['sk-abc', 'sk-abcdef'])
    scrubber.add(['tok.en+$'])
    expect(scrubber.scrub('a sk-abcdef b sk-abc c tok.en+$')).toBe('a [redacted] b [redacted] c [redacted]')
  })

  it('also finds a secret in its JSON-escaped form, as it appears in log lines', () => {
    const scrubber = new SecretScrubber()
    scrubber.add(['pa"ss\\word'])
    expect(scrubber.scrub(JSON.stringify({ msg: 'key pa"ss\\word' }))).toBe('{"msg":"key [redacted]"}')
  })

  it('ignores values too short to be secrets', () => {
    const scrubber = new SecretScrubber()
    scrubber.add(['ab'])
    expect(scrubber.scrub('abc')).toBe('abc')
  })
})
