/**
 * Replaces every `env('NAME')` reference with the variable's value. Missing
 * required variables become problems (all of them, with their paths); every
 * resolved value is collected so logs and errors can scrub it.
 */
import { isEnvRef } from './env.js'
import { type ConfigProblem, pointer } from './problems.js'
import type { EnvRef } from './schema.js'

/** The config after env resolution: every env reference is now a string. */
export type Resolved<T> = T extends EnvRef
  ? string
  : T extends (...args: never[]) => unknown
    ? T
    : T extends ReadonlyArray<infer U>
      ? Resolved<U>[]
      : T extends object
        ? { [K in keyof T]: Resolved<T[K]> }
        : T

export interface EnvResolution<T> {
  value: Resolved<T>
  problems: ConfigProblem[]
  /** Every value read from the environment: never to be printed. */
  secrets: string[]
}

export function resolveEnv<T>(config: T, environment: NodeJS.ProcessEnv): EnvResolution<T> {
  const problems: ConfigProblem[] = []
  const secrets: string[] = []

  const resolveRef = (ref: EnvRef, path: Array<string | number>): string | undefined => {
    const value = environment[ref.$env]
    if (value !== undefined && value !== '') {
      secrets.push(value)
      return value
    }
    if (ref.optional) return ref.default
    problems.push({
      path: pointer(...path),
      message: `environment variable ${ref.$env} is not set`,
      hint: `set ${ref.$env}, or write env.optional('${ref.$env}') if the config works without it`,
    })
    return undefined
  }

  const walk = (value: unknown, path: Array<string | number>): unknown => {
    if (isEnvRef(value)) return resolveRef(value, path)
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]))
    if (!isPlainObject(value)) return value
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const resolved = walk(item, [...path, key])
      if (resolved !== undefined) out[key] = resolved
    }
    return out
  }

  return { value: walk(config, []) as Resolved<T>, problems, secrets }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
