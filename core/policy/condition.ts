/**
 * A JSONata expression compiled once for the data plane: run as a plain
 * function where it fits the compiled subset (./jsonata-subset.ts), by
 * jsonata otherwise, and by jsonata for any input the plain function does
 * not model. Either way the result is jsonata's.
 */
import jsonata from 'jsonata'
import { compileSubset } from './jsonata-subset.js'
import { OUTSIDE_SUBSET } from './jsonata-values.js'

export interface CompiledExpression {
  /** jsonata's result: synchronous when the compiled subset answered. */
  evaluate(input: Record<string, unknown>): unknown
  /** Whether the expression runs as a plain function, with jsonata only for inputs outside the subset. */
  readonly compiled: boolean
}

/** Throws jsonata's own error (with its `position`) when the source does not parse. */
export function compileExpression(source: string): CompiledExpression {
  const expression = jsonata(source)
  const fast = compileSubset(expression.ast())
  if (!fast) return { compiled: false, evaluate: (input) => expression.evaluate(input) }
  return {
    compiled: true,
    evaluate(input) {
      try {
        return fast(input)
      } catch (error) {
        if (error === OUTSIDE_SUBSET) return expression.evaluate(input)
        throw error
      }
    },
  }
}
