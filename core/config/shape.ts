/**
 * Shape validation with ajv, and the translation of ajv's errors into
 * problems a person can act on: one per mistake, at the right path, with a
 * hint. ajv reports every branch of a union; the noise is folded away here.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { PROVIDER_TYPES } from '../providers/openai/presets.js'
import { type ConfigProblem, didYouMean, pointer } from './problems.js'
import { GatewayConfigSchema, NAME_PATTERN, toJsonSchema } from './schema.js'

let validator: ValidateFunction | undefined

function compiledValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, discriminator: true, strict: false, verbose: true }).compile(
    toJsonSchema(GatewayConfigSchema),
  )
  return validator
}

export function checkShape(config: unknown): ConfigProblem[] {
  const validate = compiledValidator()
  if (validate(config)) return []
  return withoutDuplicates(foldUnionErrors(validate.errors ?? []).map(toProblem))
}

/**
 * For an `anyOf` that failed, keep what the best-matching branch said when a
 * branch got past the type check (e.g. a target object missing `to`): the
 * one with the fewest errors, the first on a tie, since the other branches'
 * complaints describe a value the user did not mean to write. Otherwise
 * report one "must be X or Y" at the union's path.
 */
function foldUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  let kept = errors.filter((e) => e.keyword !== 'anyOf')
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`
    const inside = kept.filter((e) => e.schemaPath.startsWith(prefix))
    const deeper = inside.filter((e) => e.keyword !== 'type' || e.instancePath !== union.instancePath)
    const best = bestBranch(deeper, prefix)
    kept = kept.filter((e) => !inside.includes(e) || best.includes(e))
    if (deeper.length === 0) {
      const types = inside.map(describeType)
      kept.push({ ...union, keyword: 'type', message: `must be ${[...new Set(types)].join(' or ')}` })
    }
  }
  return kept
}

/** The errors of the branch (`<prefix><index>/...`) that has the fewest. */
function bestBranch(errors: ErrorObject[], prefix: string): ErrorObject[] {
  const byBranch = new Map<string, ErrorObject[]>()
  for (const error of errors) {
    const branch = error.schemaPath.slice(prefix.length).split('/')[0] as string
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), error])
  }
  let best: ErrorObject[] = []
  for (const branchErrors of byBranch.values()) {
    if (best.length === 0 || branchErrors.length < best.length) best = branchErrors
  }
  return best
}

/** An object branch is only an env reference when its schema says so (a route target object is not). */
function describeType(error: ErrorObject): string {
  const type = String(error.params.type)
  if (type !== 'object') return `a ${type}`
  const properties = (error.parentSchema as { properties?: object } | undefined)?.properties ?? {}
  return '$env' in properties ? 'an env reference { "$env": "NAME" }' : 'an object'
}

function toProblem(error: ErrorObject): ConfigProblem {
  const at = error.instancePath
  const parent = error.parentSchema as { properties?: Record<string, unknown>; patternProperties?: object } | undefined
  switch (error.keyword) {
    case 'required':
      return { path: at + pointer(String(error.params.missingProperty)), message: 'is required' }
    case 'additionalProperties': {
      const property = String(error.params.additionalProperty)
      if (parent?.patternProperties) return badKey(at + pointer(property), property, parent)
      const known = Object.keys(parent?.properties ?? {})
      return {
        path: at + pointer(property),
        message: `unknown property '${property}'`,
        hint: didYouMean(property, known) ?? `allowed here: ${known.join(', ')}`,
      }
    }
    case 'discriminator': {
      // 'tag' means the value is not a string: missing (then `required` says the same, folded
      // by withoutDuplicates) or of another type. Otherwise it names no known type.
      const value = error.params.tagValue
      const message =
        error.params.error !== 'tag'
          ? `unknown provider type '${String(value)}'`
          : value === undefined
            ? 'is required'
            : 'must be a string'
      return {
        path: `${at}/type`,
        message,
        hint: didYouMean(String(value), PROVIDER_TYPES) ?? `known types: ${PROVIDER_TYPES.join(', ')}`,
      }
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String)
      return {
        path: at,
        message: `must be one of: ${allowed.join(', ')}`,
        ...hintFrom(didYouMean(String(error.data), allowed)),
      }
    }
    case 'minLength':
      return {
        path: at,
        message:
          error.params.limit === 1 ? 'must not be empty' : `must be at least ${error.params.limit} characters long`,
      }
    case 'minItems':
      return { path: at, message: `must have at least ${error.params.limit} item(s)` }
    case 'minProperties':
      return {
        path: at,
        message: `must have at least ${error.params.limit} entr${error.params.limit === 1 ? 'y' : 'ies'}`,
      }
    case 'type':
      return { path: at, message: error.message ?? `must be ${error.params.type}` }
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` }
  }
}

const hintFrom = (hint: string | undefined) => (hint ? { hint } : {})

/** A key of a record whose keys follow a pattern: a name (providers, routes), or e.g. `set`'s "body.field". */
function badKey(
  path: string,
  key: string,
  parent: { patternProperties?: object; description?: string },
): ConfigProblem {
  const patterns = Object.keys(parent.patternProperties ?? {})
  if (patterns.includes(NAME_PATTERN)) {
    return {
      path,
      message: `'${key}' is not a valid name`,
      hint: 'names use letters, digits, ".", "_" and "-", and start with a letter or digit',
    }
  }
  return {
    path,
    message: `'${key}' is not an allowed key here (must match ${patterns.join(' or ')})`,
    ...hintFrom(parent.description),
  }
}

/**
 * Two keywords can report the same mistake (a provider without `type` fails
 * both `required` and `discriminator`): say it once, keeping a hint if either had one.
 */
function withoutDuplicates(problems: ConfigProblem[]): ConfigProblem[] {
  const byKey = new Map<string, ConfigProblem>()
  for (const problem of problems) {
    const key = `${problem.path}\0${problem.message}`
    const seen = byKey.get(key)
    if (!seen || (!seen.hint && problem.hint)) byKey.set(key, problem)
  }
  return [...byKey.values()]
}
