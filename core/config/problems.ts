/**
 * A config problem: where it is (a JSON pointer into the config), what is
 * wrong, and how to fix it. Validation collects all of them before reporting.
 */
export interface ConfigProblem {
  /** JSON pointer, e.g. `/routes/smart/targets/1`. Empty string: the whole config. */
  path: string
  message: string
  hint?: string
}

/** Thrown when a config cannot be used; carries every problem found. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]
  constructor(problems: ConfigProblem[], source?: string) {
    super(`${source ? `${source}: ` : ''}invalid config\n${formatProblems(problems)}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/** Thrown when the config file cannot even be read or evaluated (missing file, syntax error). */
export class ConfigLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ConfigLoadError'
  }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${p.path || '/'}: ${p.message}${p.hint ? `\n      hint: ${p.hint}` : ''}`).join('\n')
}

export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}

/** "did you mean 'openai'?" for a misspelt name, when a close enough candidate exists. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  if (best === undefined) return undefined
  const tolerance = Math.max(2, Math.floor(best.length / 3))
  return bestDistance <= tolerance ? `did you mean '${best}'?` : undefined
}

/** Levenshtein distance with one rolling row. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost)
      diagonal = above
    }
  }
  return row[b.length] as number
}
