/**
 * The audit file's hash chain. Each line is the record with two more fields:
 * `prev`, the previous line's `hash` (64 zeros for the first line), and
 * `hash` = sha256_hex(prev + canonicalJson(record)), where `record` is the
 * line without `prev` and `hash` and canonicalJson sorts object keys at every
 * level. `gateway audit verify` (core/cli/audit-verify.ts) checks the same
 * contract independently.
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from '../audit-shared/record.js'

export const GENESIS = '0'.repeat(64)

export function chainHash(prev: string, record: object): string {
  return createHash('sha256')
    .update(prev + canonicalJson(record))
    .digest('hex')
}

/** The line for `record` after `prev`, newline included, and its hash. */
export function chainLine(prev: string, record: object): { line: string; hash: string } {
  const hash = chainHash(prev, record)
  return { line: `${JSON.stringify({ ...record, prev, hash })}\n`, hash }
}
