/**
 * Compiles the JSONata that conditions are mostly written in into plain
 * functions: paths (mapping over arrays as jsonata does, function steps
 * included), literals, `= != < <= > >=`, `and`, `or`, `in` (against a list
 * of literals), parentheses, and one-argument `$exists`, `$not`, `$boolean`,
 * `$string`, `$length`, `$sum` and `$count`.
 *
 * Why: jsonata's evaluator is asynchronous at every node of the expression,
 * so even `body.max_tokens > 4096` costs 1-2 µs and several promises per
 * request; the bench's five rules were the largest single part of the full
 * chain. A compiled condition costs a few property reads.
 *
 * A compiled function answers exactly what jsonata answers, or not at all:
 * where the data leaves what it models (two objects compared, an ordering or
 * a function argument that jsonata rejects with an error, a value it
 * serialises) it throws OUTSIDE_SUBSET, and the caller asks jsonata itself.
 * Expressions with any other construct are not compiled.
 */
import {
  booleanOf,
  countOf,
  equals,
  includes,
  isJsonataFunction,
  lengthOf,
  navigate,
  OUTSIDE_SUBSET,
  ordered,
  type PathStep,
  stringOf,
  sumOf,
  truthy,
} from './jsonata-values.js'

/** What a compiled expression is: the input in, jsonata's result out. */
export type SubsetEvaluator = (input: unknown) => unknown

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

/** `a.b.c`, and function steps such as `messages.$length(content)`: no predicates, wildcards or variables. */
function compilePath(node: AstNode): SubsetEvaluator | null {
  if (!hasOnly(node, ['type', 'steps', 'position']) || !Array.isArray(node.steps) || node.steps.length === 0)
    return null
  const steps: PathStep[] = []
  for (const step of node.steps) {
    if (!isNode(step)) return null
    if (step.type === 'name' && typeof step.value === 'string' && hasOnly(step, LEAF_FIELDS)) steps.push(step.value)
    else if (step.type === 'function') {
      const call = compileFunction(step)
      if (!call) return null
      steps.push(call)
    } else return null
  }
  return (input) => navigate(input, steps)
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

/** One-argument calls of the functions conditions use, each with jsonata's semantics (./jsonata-values.ts). */
const FUNCTIONS = new Map<unknown, (value: unknown) => unknown>([
  ['exists', (value) => value !== undefined],
  ['boolean', (value) => (value === undefined ? undefined : booleanOf(value))],
  ['not', (value) => (value === undefined ? undefined : !booleanOf(value))],
  ['string', stringOf],
  ['length', lengthOf],
  ['sum', sumOf],
  ['count', countOf],
])

function compileFunction(node: AstNode): SubsetEvaluator | null {
  const { procedure, arguments: args } = node
  if (!hasOnly(node, ['type', 'value', 'position', 'procedure', 'arguments'])) return null
  if (!isNode(procedure) || procedure.type !== 'variable' || !hasOnly(procedure, LEAF_FIELDS)) return null
  const apply = FUNCTIONS.get(procedure.value)
  if (!apply) return null
  if (!Array.isArray(args) || args.length !== 1 || !isNode(args[0])) return null
  const arg = compileNode(args[0])
  if (!arg) return null
  return (input) => {
    const value = arg(input)
    // jsonata tries to call such an argument and fails with its own error.
    if (isJsonataFunction(value)) throw OUTSIDE_SUBSET
    return apply(value)
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
