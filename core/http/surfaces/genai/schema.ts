/**
 * Gemini's `Schema` (an OpenAPI 3.0 subset, used by `functionDeclarations[].parameters`
 * and `generationConfig.responseSchema`) -> JSON Schema, the dialect every
 * canonical tool and response format speaks. The differences that matter:
 *
 * - `type` is an upper-case enum (`OBJECT`, `STRING`); JSON Schema's is lower case.
 * - `nullable: true` is JSON Schema's `type: [<type>, "null"]`.
 * - The int64 bounds (`minItems`, `maxLength`, ...) are proto int64s, which
 *   proto JSON writes as strings; JSON Schema wants numbers.
 * - `example` is JSON Schema's `examples` list; `propertyOrdering` (Gemini's
 *   output-order hint) has no JSON Schema equivalent and is dropped.
 *
 * Anything else is kept as it is: the fields both dialects share mean the same.
 */
import { badRequest } from '../../../errors.js'

const INT64_FIELDS = new Set(['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties'])
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'])

/** `field` names the schema in the request, for errors (`tools[0].functionDeclarations[1].parameters`). */
export function toJsonSchema(schema: unknown, field: string): Record<string, unknown> {
  if (!isObject(schema)) throw badRequest(`Invalid value for '${field}': must be a Schema object.`, field)
  const out: Record<string, unknown> = {}
  let nullable = false
  for (const [key, value] of Object.entries(schema)) {
    const at = `${field}.${key}`
    switch (key) {
      case 'type': {
        const type = jsonType(value, at)
        if (type) out.type = type
        break
      }
      case 'nullable':
        nullable = value === true
        break
      case 'propertyOrdering':
        break
      case 'example':
        out.examples = [value]
        break
      case 'properties':
        if (!isObject(value)) throw badRequest(`Invalid value for '${at}': must be an object of Schemas.`, at)
        out.properties = Object.fromEntries(
          Object.entries(value).map(([name, property]) => [name, toJsonSchema(property, `${at}.${name}`)]),
        )
        break
      case 'items':
        out.items = toJsonSchema(value, at)
        break
      case 'anyOf':
        if (!Array.isArray(value)) throw badRequest(`Invalid value for '${at}': must be an array of Schemas.`, at)
        out.anyOf = value.map((option, i) => toJsonSchema(option, `${at}[${i}]`))
        break
      default:
        out[key] = INT64_FIELDS.has(key) ? int64(value, at) : value
    }
  }
  if (nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null']
    else if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }]
  }
  return out
}

function jsonType(value: unknown, field: string): string | undefined {
  if (typeof value !== 'string') throw badRequest(`Invalid value for '${field}': must be a type name.`, field)
  const type = value.toLowerCase()
  // TYPE_UNSPECIFIED is proto's zero value: no constraint.
  if (type === 'type_unspecified') return undefined
  if (!TYPES.has(type)) throw badRequest(`Invalid value for '${field}': unknown type '${value}'.`, field)
  return type
}

function int64(value: unknown, field: string): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
    throw badRequest(`Invalid value for '${field}': must be a non-negative integer.`, field)
  }
  return number
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
