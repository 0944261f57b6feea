/**
 * JSON with object keys sorted at every depth (by UTF-16 code units, as `<`
 * compares strings), arrays in their order, `undefined` and function members
 * left out and such array items written as null: the same data always
 * serialises to the same text. Cache keys and the audit file's hash chain are
 * built on it, the latter once per request, so it writes the text in one pass
 * without intermediate entry arrays.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      out += canonicalJson(value[i])
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  // The default sort compares the keys' UTF-16 code units, the same order as `<`.
  const keys = Object.keys(record).sort()
  let out = '{'
  for (const key of keys) {
    const member = record[key]
    if (member === undefined || typeof member === 'function') continue
    if (out.length > 1) out += ','
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`
  }
  return `${out}}`
}
