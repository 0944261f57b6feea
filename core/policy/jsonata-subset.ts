/**
 * Compiles the JSONata that conditions are mostly written in into plain
 * functions: paths through objects, literals, `= != < <= > >=`, `and`, `or`,
 * `in` (against a list of literals), `$exists`, `$not`, `$boolean` and
 * parentheses.
 *
 * Why: jsonata's evaluator is asynchronous at every node of the expression,
 * so even `body.max_tokens > 4096` costs 1-2 µs and several promises per
 * request; the bench's five rules were the largest single part of the full
 * chain. A compiled condition costs a few property reads.
 *
 * A compiled function answers exactly what jsonata answers, or not at all:
 * where the data leaves what it models (an array in the middle of a path,
 * which jsonata maps over; two objects compared; an ordering of values that
 * jsonata rejects with an error) it throws OUTSIDE_SUBSET, and the caller
 * asks jsonata itself. Expressions with any other construct are not compiled.
 */

/** What a compiled expression is: the input in, jsonata's result out. */
export type SubsetEvaluator = (input: unknown) => unknown

/** Thrown by a compiled function when this input needs jsonata itself. */
export const OUTSIDE_SUBSET: unique symbol = Symbol('outside the compiled JSONata subset')

/** A node of jsonata's parsed expression (`expression.ast()`), as far as this compiler reads it. */
interface AstNode {
  type: string
  value?: unknown
  [field: string]: unknown
}

/** The compiled function, or null when the expression uses anything outside the subset. */
export function compileSubset(ast: unknown): SubsetEvaluator | null {
  return isNode(ast) ? compileNode(ast) : null
}

function compileNode(node: AstNode): SubsetEvaluator | null {
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return compileLiteral(node)
    case 'path':
      return compilePath(node)
    case 'binary':
      return compileBinary(node)
    case 'function':
      return compileFunction(node)
    case 'block':
      return compileParentheses(node)
    default:
      return null
  }
}

function compileLiteral(node: AstNode): SubsetEvaluator | null {
  if (!hasOnly(node, LEAF_FIELDS)) return null
  const value = node.value
  const literal = typeof value === 'string' || typeof value === 'boolean' || value === null || Number.isFinite(value)
  return literal ? () => value : null
}

/** `a.b.c`: name steps only (no predicates, wildcards, variables or functions in the path). */
function compilePath(node: AstNode): SubsetEvaluator | null {
  if (!hasOnly(node, ['type', 'steps', 'position']) || !Array.isArray(node.steps) || node.steps.length === 0)
    return null
  const names: string[] = []
  for (const step of node.steps) {
    if (!isNode(step) || step.type !== 'name' || typeof step.value !== 'string' || !hasOnly(step, LEAF_FIELDS))
      return null
    names.push(step.value)
  }
  return (input) => {
    let value = input
    for (const name of names) {
      // jsonata maps a step over an array (and over the root, when it is one): not modelled here.
      if (Array.isArray(value) || isJsonataFunction(value)) throw OUTSIDE_SUBSET
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined
      value = (value as Record<string, unknown>)[name]
    }
    // The last step's value as it is: an array found there is jsonata's answer too.
    return value
  }
}

function compileBinary(node: AstNode): SubsetEvaluator | null {
  if (!hasOnly(node, ['type', 'value', 'position', 'lhs', 'rhs']) || !isNode(node.lhs) || !isNode(node.rhs)) return null
  const lhs = compileNode(node.lhs)
  if (!lhs) return null
  if (node.value === 'in') {
    const list = literalList(node.rhs)
    return list ? (input) => includes(lhs(input), list) : null
  }
  const rhs = compileNode(node.rhs)
  if (!rhs) return null
  switch (node.value) {
    case 'and':
      return (input) => truthy(lhs(input)) && truthy(rhs(input))
    case 'or':
      return (input) => truthy(lhs(input)) || truthy(rhs(input))
    case '=':
      return (input) => equals(lhs(input), rhs(input), true)
    case '!=':
      return (input) => equals(lhs(input), rhs(input), false)
    case '<':
      return (input) => ordered(lhs(input), rhs(input), (a, b) => a < b)
    case '<=':
      return (input) => ordered(lhs(input), rhs(input), (a, b) => a <= b)
    case '>':
      return (input) => ordered(lhs(input), rhs(input), (a, b) => a > b)
    case '>=':
      return (input) => ordered(lhs(input), rhs(input), (a, b) => a >= b)
    default:
      return null
  }
}

/** `$exists(x)`, `$not(x)`, `$boolean(x)`: one argument each, as written. */
function compileFunction(node: AstNode): SubsetEvaluator | null {
  const { procedure, arguments: args } = node
  if (!hasOnly(node, ['type', 'value', 'position', 'procedure', 'arguments'])) return null
  if (!isNode(procedure) || procedure.type !== 'variable' || !hasOnly(procedure, LEAF_FIELDS)) return null
  if (!Array.isArray(args) || args.length !== 1 || !isNode(args[0])) return null
  const compiledArg = compileNode(args[0])
  if (!compiledArg) return null
  const arg = (input: unknown) => {
    const value = compiledArg(input)
    // jsonata tries to call such an argument and fails with its own error.
    if (isJsonataFunction(value)) throw OUTSIDE_SUBSET
    return value
  }
  switch (procedure.value) {
    case 'exists':
      return (input) => arg(input) !== undefined
    case 'boolean':
      return (input) => {
        const value = arg(input)
        return value === undefined ? undefined : booleanOf(value)
      }
    case 'not':
      return (input) => {
        const value = arg(input)
        return value === undefined ? undefined : !booleanOf(value)
      }
    default:
      return null
  }
}

/** `(expression)`: a block of one expression is that expression. */
function compileParentheses(node: AstNode): SubsetEvaluator | null {
  const { expressions } = node
  if (!hasOnly(node, ['type', 'position', 'expressions']) || !Array.isArray(expressions) || expressions.length !== 1)
    return null
  return isNode(expressions[0]) ? compileNode(expressions[0]) : null
}

/** `["a", "b"]`: an array constructor of literals only. */
function literalList(node: AstNode): readonly unknown[] | null {
  if (node.type !== 'unary' || node.value !== '[' || !hasOnly(node, ['type', 'value', 'position', 'expressions']))
    return null
  if (!Array.isArray(node.expressions)) return null
  const values: unknown[] = []
  for (const item of node.expressions) {
    const literal = isNode(item) && item.type !== 'path' ? compileNode(item) : null
    if (!literal) return null
    values.push(literal(undefined))
  }
  return values
}

// --- jsonata's semantics, for the values the subset lets through ---

/** `in`: either side missing is false; otherwise membership by identity, as jsonata compares. */
function includes(value: unknown, list: readonly unknown[]): boolean {
  return value !== undefined && list.includes(value)
}

/** `=` and `!=` are both false when a side is missing; two objects would need jsonata's deep comparison. */
function equals(a: unknown, b: unknown, same: boolean): boolean {
  if (a === undefined || b === undefined) return false
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) throw OUTSIDE_SUBSET
  return (a === b) === same
}

/** Orderings: a missing side gives no answer; two numbers or two strings compare; anything else is jsonata's error. */
function ordered(a: unknown, b: unknown, compare: (a: number | string, b: number | string) => boolean): unknown {
  if (!isComparable(a) || !isComparable(b)) throw OUTSIDE_SUBSET
  if (a === undefined || b === undefined) return undefined
  if (typeof a !== typeof b) throw OUTSIDE_SUBSET
  return compare(a as number | string, b as number | string)
}

function isComparable(value: unknown): boolean {
  return value === undefined || typeof value === 'string' || typeof value === 'number'
}

/** `and` / `or` operands: jsonata's boolean cast, missing counting as false. */
function truthy(value: unknown): boolean {
  return value === undefined ? false : booleanOf(value)
}

/** jsonata's cast to boolean, for a present value. */
function booleanOf(value: unknown): boolean {
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

/** Data that jsonata would treat as one of its own functions (a client can send such an object). */
function isJsonataFunction(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const marked = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown }
  return marked._jsonata_function === true || marked._jsonata_lambda === true
}

const LEAF_FIELDS = ['type', 'value', 'position'] as const

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as AstNode).type === 'string'
}

/** A node with a field the compiler does not read (a predicate, a group, a focus...) is left to jsonata. */
function hasOnly(node: AstNode, fields: readonly string[]): boolean {
  // The parser leaves some fields present but undefined (a function call's `name`).
  for (const field of Object.keys(node)) if (node[field] !== undefined && !fields.includes(field)) return false
  return true
}
