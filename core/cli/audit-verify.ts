/**
 * `gateway audit verify <file>`: checks an audit file's hash chain (the
 * audit-file plugin's format): every line's `hash` must be
 * sha256_hex(prev + canonical JSON of the line without `prev` and `hash`,
 * object keys sorted at every level), and its `prev` the line before's
 * `hash` (64 zeros for the first). An edited line fails its own hash; a
 * removed or reordered line breaks the next `prev`. Removing lines from the
 * end cannot be seen from the file alone: compare the last hash with one kept
 * elsewhere.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

export type VerifyResult =
  | { ok: true; lines: number; lastHash: string }
  | { ok: false; line: number; reason: string; lines: number }

const GENESIS = '0'.repeat(64)

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export async function verifyAuditFile(file: string): Promise<VerifyResult> {
  let prev = GENESIS
  let number = 0
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    number++
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(line) as Record<string, unknown>
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    } catch {
      return { ok: false, line: number, reason: 'not a JSON record', lines: number }
    }
    const { prev: linePrev, hash, ...record } = parsed
    if (typeof hash !== 'string' || typeof linePrev !== 'string')
      return { ok: false, line: number, reason: 'no prev/hash fields', lines: number }
    if (linePrev !== prev)
      return {
        ok: false,
        line: number,
        reason: 'prev does not match the previous line: a line was removed, inserted or moved before it',
        lines: number,
      }
    const expected = createHash('sha256')
      .update(linePrev + canonicalJson(record))
      .digest('hex')
    if (expected !== hash)
      return { ok: false, line: number, reason: 'hash mismatch: the line was edited', lines: number }
    prev = hash
  }
  return { ok: true, lines: number, lastHash: prev }
}

/** The command's output and exit code: 0 intact, 1 broken or unreadable. */
export async function auditVerifyCommand(file: string): Promise<{ exitCode: number; message: string }> {
  try {
    const result = await verifyAuditFile(file)
    if (result.ok)
      return {
        exitCode: 0,
        message: `${file}: OK, ${result.lines} records, chain intact (last hash ${result.lastHash})`,
      }
    return { exitCode: 1, message: `${file}: BROKEN at line ${result.line}: ${result.reason}` }
  } catch (error) {
    return { exitCode: 1, message: `${file}: cannot read: ${(error as Error).message}` }
  }
}
