/**
 * Counters move by whole units. Redis's INCRBY refuses fractions and sums past
 * 2^53 stop being exact in JavaScript, so both stores refuse such amounts up
 * front, alike, instead of one rounding and the other failing.
 */
export function assertWholeAmount(name: string, value: number, options: { negative?: boolean } = {}): void {
  if (!Number.isSafeInteger(value) || (value < 0 && !options.negative)) {
    const kind = options.negative ? 'a safe integer' : 'a non-negative safe integer'
    throw new RangeError(`${name} must be ${kind}, got ${value}`)
  }
}
