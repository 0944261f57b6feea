/**
 * Shape validation with ajv, and the translation of ajv's errors into
 * problems a person can act on: one per mistake, at the right path, with a
 * hint. ajv reports every branch of a union; the noise is folded away here.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { PROVIDER_TYPES } from '../providers/openai/presets.js'
import { type ConfigProblem, didYouMean, pointer } from './problems.js'
import { GatewayConfigSchema, toJsonSchema } from './schema.js'

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
  return foldUnionErrors(validate.errors ?? []).map(toProblem)
}

/**
 * For an `anyOf` that failed, keep what the best-matching branch said when a
 * branch got past the type check (e.g. a target object missing `to`);
 * otherwise report one "must be X or Y" at the union's path.
 */
function foldUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  let kept = errors.filter((e) => e.keyword !== 'anyOf')
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`
    const inside = kept.filter((e) => e.schemaPath.startsWith(prefix))
    const deeper = inside.filter((e) => e.keyword !== 'type' || e.instancePath !== union.instancePath)
    kept = kept.filter((e) => !inside.includes(e) || deeper.includes(e))
    if (deeper.length === 0) {
      const types = inside.map((e) => describeType(String(e.params.type)))
      kept.push({ ...union, keyword: 'type', message: `must be ${[...new Set(types)].join(' or ')}` })
    }
  }
  return kept
}

function describeType(type: string): string {
  return type === 'object' ? 'an object (or an env reference { "$env": "NAME" })' : `a ${type}`
}

function toProblem(error: ErrorObject): ConfigProblem {
  const at = error.instancePath
  const parent = error.parentSchema as { properties?: Record<string, unknown>; patternProperties?: object } | undefined
  switch (error.keyword) {
    case 'required':
      return { path: at + pointer(String(error.params.missingProperty)), message: 'is required' }
    case 'additionalProperties': {
      const property = String(error.params.additionalProperty)
      if (parent?.patternProperties) {
        return {
          path: at + pointer(property),
          message: `'${property}' is not a valid name`,
          hint: 'names use letters, digits, ".", "_" and "-", and start with a letter or digit',
        }
      }
      const known = Object.keys(parent?.properties ?? {})
      return {
        path: at + pointer(property),
        message: `unknown property '${property}'`,
        hint: didYouMean(property, known) ?? `allowed here: ${known.join(', ')}`,
      }
    }
    case 'discriminator': {
      const value = String(error.params.tagValue)
      return {
        path: `${at}/type`,
        message: error.params.error === 'tag' ? 'is required' : `unknown provider type '${value}'`,
        hint: didYouMean(value, PROVIDER_TYPES) ?? `known types: ${PROVIDER_TYPES.join(', ')}`,
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
