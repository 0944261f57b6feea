/**
 * jsonata's semantics for the values the compiled subset (./jsonata-subset.ts)
 * handles: navigation (including its mapping over arrays), the boolean cast,
 * comparisons, and the few functions the subset calls. Wherever jsonata
 * would raise an error or the value is one it treats specially, these throw
 * OUTSIDE_SUBSET, so the caller asks jsonata itself and gets its exact answer.
 */

/** Thrown when this input needs jsonata itself. */
export const OUTSIDE_SUBSET: unique symbol = Symbol('outside the compiled JSONata subset')

/** jsonata marks the arrays it builds while navigating as sequences, and so does this module. */
type Sequence = unknown[] & { sequence?: true }

function sequenceOf(values: unknown[]): Sequence {
  const sequence = values as Sequence
  sequence.sequence = true
  return sequence
}

function isSequence(value: unknown): boolean {
  return Array.isArray(value) && (value as Sequence).sequence === true
}

/** A navigation result as jsonata hands it on: no value, the one value, or the sequence. */
function unwrap(sequence: Sequence): unknown {
  if (sequence.length === 0) return undefined
  return sequence.length === 1 ? sequence[0] : sequence
}

/** A name step applied to one value: a field of an object, mapped over an array (flattened one level). */
function lookup(value: unknown, name: string): unknown {
  if (Array.isArray(value)) {
    const found: unknown[] = []
    for (const item of value) {
      const result = lookup(item, name)
      if (result === undefined) continue
      if (Array.isArray(result)) found.push(...result)
      else found.push(result)
    }
    return sequenceOf(found)
  }
  if (isJsonataFunction(value)) throw OUTSIDE_SUBSET
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined
  return (value as Record<string, unknown>)[name]
}

/** One step of a path: a field name, or a function evaluated with each value as its context. */
export type PathStep = string | ((context: unknown) => unknown)

/** The value of one step for one context, as jsonata's evaluation of the step node gives it. */
function stepValue(step: PathStep, context: unknown): unknown {
  if (typeof step !== 'string') return step(context)
  const value = lookup(context, step)
  return isSequence(value) ? unwrap(value as Sequence) : value
}

/**
 * A path from the input. Objects are walked directly; once a step meets an
 * array (or a function step), the rest runs on sequences the way jsonata
 * does: each step maps over the values so far, drops missing ones, and
 * flattens arrays one level, except that an array that is the last step's
 * only value is the answer as it is.
 */
export function navigate(input: unknown, steps: readonly PathStep[]): unknown {
  // jsonata maps the first step over a root that is an array; conditions' input never is one.
  if (Array.isArray(input)) throw OUTSIDE_SUBSET
  let value = input
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as PathStep
    if (typeof step !== 'string') return navigateSequence([value], steps, i)
    value = lookup(value, step)
    if (value === undefined) return undefined
    const last = i === steps.length - 1
    if (Array.isArray(value) && !last) return navigateSequence([...value], steps, i + 1)
  }
  return value
}

function navigateSequence(values: unknown[], steps: readonly PathStep[], from: number): unknown {
  let current = values
  for (let i = from; i < steps.length; i++) {
    const found: unknown[] = []
    for (const context of current) {
      const value = stepValue(steps[i] as PathStep, context)
      if (value !== undefined) found.push(value)
    }
    const last = i === steps.length - 1
    if (last && found.length === 1 && Array.isArray(found[0]) && !isSequence(found[0])) return found[0]
    const flat: unknown[] = []
    for (const value of found) {
      if (Array.isArray(value)) flat.push(...value)
      else flat.push(value)
    }
    if (flat.length === 0) return undefined
    current = flat
  }
  return unwrap(sequenceOf(current))
}

/** `in`: either side missing is false; otherwise membership by identity, as jsonata compares. */
export function includes(value: unknown, list: readonly unknown[]): boolean {
  return value !== undefined && list.includes(value)
}

/** `=` and `!=` are both false when a side is missing; two objects would need jsonata's deep comparison. */
export function equals(a: unknown, b: unknown, same: boolean): boolean {
  if (a === undefined || b === undefined) return false
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) throw OUTSIDE_SUBSET
  return (a === b) === same
}

/** Orderings: a missing side gives no answer; two numbers or two strings compare; anything else is jsonata's error. */
export function ordered(
  a: unknown,
  b: unknown,
  compare: (a: number | string, b: number | string) => boolean,
): boolean | undefined {
  if (!isComparable(a) || !isComparable(b)) throw OUTSIDE_SUBSET
  if (a === undefined || b === undefined) return undefined
  if (typeof a !== typeof b) throw OUTSIDE_SUBSET
  return compare(a as number | string, b as number | string)
}

function isComparable(value: unknown): boolean {
  return value === undefined || typeof value === 'string' || typeof value === 'number'
}

/** `and` / `or` operands: jsonata's boolean cast, missing counting as false. */
export function truthy(value: unknown): boolean {
  return value === undefined ? false : booleanOf(value)
}

/** jsonata's cast to boolean, for a present value. */
export function booleanOf(value: unknown): boolean {
  switch (typeof value) {
    case 'boolean':
      return value
    case 'string':
      return value.length > 0
    case 'number':
      // jsonata rejects infinities and treats NaN as not a number; neither comes from JSON.
      if (!Number.isFinite(value)) throw OUTSIDE_SUBSET
      return value !== 0
    case 'object':
      if (value === null) return false
      if (Array.isArray(value)) return value.length === 1 ? booleanOfItem(value[0]) : value.some(booleanOfItem)
      if (isJsonataFunction(value)) throw OUTSIDE_SUBSET
      return Object.keys(value).length > 0
    default:
      throw OUTSIDE_SUBSET
  }
}

function booleanOfItem(value: unknown): boolean {
  if (value === undefined) throw OUTSIDE_SUBSET
  return booleanOf(value)
}

/** `$string(x)` of a string or of nothing; jsonata's serialisation of anything else is left to it. */
export function stringOf(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw OUTSIDE_SUBSET
}

/** `$length(s)`: jsonata counts code points, not UTF-16 units. */
export function lengthOf(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw OUTSIDE_SUBSET
  let length = 0
  for (const _ of value) length++
  return length
}

/** `$sum(a)`: of a number or an array of numbers, added in order as jsonata adds them. */
export function sumOf(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? 0 + value : failOutside()
  if (!Array.isArray(value)) throw OUTSIDE_SUBSET
  let total = 0
  for (const item of value) {
    if (typeof item !== 'number' || !Number.isFinite(item)) throw OUTSIDE_SUBSET
    total += item
  }
  return total
}

/** `$count(a)`: nothing is 0, an array its length, any other value 1. */
export function countOf(value: unknown): number {
  if (value === undefined) return 0
  if (isJsonataFunction(value)) throw OUTSIDE_SUBSET
  return Array.isArray(value) ? value.length : 1
}

function failOutside(): never {
  throw OUTSIDE_SUBSET
}

/** Data that jsonata would treat as one of its own functions (a client can send such an object). */
export function isJsonataFunction(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const marked = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown }
  return marked._jsonata_function === true || marked._jsonata_lambda === true
}
