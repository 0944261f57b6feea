/**
 * The last line of defence for secrets: every log line, and every upstream
 * message relayed to a client, passes through `scrub`, which replaces any
 * known secret value. The set is replaced whenever a new config is compiled.
 */
const MIN_SECRET_LENGTH = 4
export const REDACTED = '[redacted]'

export class SecretScrubber {
  readonly #secrets = new Set<string>()
  #pattern: RegExp | null = null

  /**
   * Adds known secrets: provider keys, admin tokens, every value the config
   * read from the environment. Secrets of earlier configs are kept, since
   * requests that started under them may still be logging.
   */
  add(secrets: Iterable<string>): void {
    const before = this.#secrets.size
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue
      this.#secrets.add(secret)
      // Log lines are JSON: a secret with quotes or backslashes appears there escaped.
      this.#secrets.add(JSON.stringify(secret).slice(1, -1))
    }
    if (this.#secrets.size === before) return
    const longestFirst = [...this.#secrets].sort((a, b) => b.length - a.length)
    this.#pattern = new RegExp(longestFirst.map(escapeRegExp).join('|'), 'g')
  }

  scrub(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, REDACTED) : text
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
