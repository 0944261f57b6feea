/** `gateway diff OLD NEW`: what a config change does, in the same terms a reload logs. */
import type { ConfigDiff } from '../runtime/diff.js'

export function formatDiff(diff: ConfigDiff): string {
  const lines: string[] = []
  for (const [section, change] of Object.entries(diff)) {
    const marks = [
      ...change.added.map((name) => `+ ${name}`),
      ...change.removed.map((name) => `- ${name}`),
      ...change.modified.map((name) => `~ ${name}`),
    ]
    if (marks.length > 0) lines.push(`${section.padEnd(10)} ${marks.join('   ')}`)
  }
  return lines.length > 0 ? lines.join('\n') : 'no changes'
}
