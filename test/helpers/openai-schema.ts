/**
 * Validates JSON against OpenAI's official OpenAPI component schemas (the
 * subset in test/fixtures/openai-openapi/, extracted by
 * scripts/extract-openai-schemas.ts) with ajv's JSON Schema 2020-12 dialect,
 * which is what OpenAPI 3.1 uses.
 *
 * Preparation the spec needs before ajv accepts it:
 * - `strict: false`: the spec carries OpenAPI-only keywords;
 * - `discriminator` removed: ajv's discriminator support rejects several of
 *   the spec's unions, and `oneOf` alone already validates them;
 * - OpenAPI 3.0 leftovers `nullable: true` rewritten to `anyOf [schema, null]`;
 * - OpenAI's custom formats (`unixtime`, ...) registered as no-ops.
 */
import { readFileSync } from 'node:fs'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

export const OPENAI_SCHEMA_FILE = new URL('../fixtures/openai-openapi/openai-schemas.json', import.meta.url)

/** The response types the fixture holds, with everything they reference. */
export type OpenAISchemaName =
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateEmbeddingResponse'
  | 'ListModelsResponse'
  | 'ErrorResponse'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const NO_OP_FORMATS = ['unixtime', 'int64', 'int32', 'double', 'float', 'binary', 'byte', 'password']
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions'])

/** A copy of `node` ready for ajv: no `discriminator`, and `nullable: true` turned into a null alternative. */
export function prepareForAjv(node: Json, parentKey?: string): Json {
  if (Array.isArray(node)) return node.map((item) => prepareForAjv(item))
  if (node === null || typeof node !== 'object') return node
  const isNameMap = parentKey !== undefined && NAME_MAPS.has(parentKey)
  const out: { [key: string]: Json } = {}
  for (const [key, value] of Object.entries(node)) {
    if (!isNameMap && (key === 'discriminator' || key === 'nullable')) continue
    out[key] =
      key === 'enum' || key === 'const' || key === 'default' ? value : prepareForAjv(value, isNameMap ? undefined : key)
  }
  if (!isNameMap && node.nullable === true) return { anyOf: [out, { type: 'null' }] }
  return out
}

interface Fixture {
  source: Record<string, unknown>
  components: { schemas: Record<string, Json> }
}

let cached: { ajv: Ajv2020; fixture: Fixture; validators: Map<string, ValidateFunction> } | undefined

function load() {
  if (cached) return cached
  const fixture = JSON.parse(readFileSync(OPENAI_SCHEMA_FILE, 'utf8')) as Fixture
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  // ajv-formats is CommonJS: its default export arrives wrapped under ESM + NodeNext typing.
  const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
    addFormatsModule) as unknown as (ajv: Ajv2020) => void
  addFormats(ajv)
  for (const format of NO_OP_FORMATS) if (!ajv.formats[format]) ajv.addFormat(format, true)
  ajv.addSchema({ $id: 'openai', components: prepareForAjv(fixture.components as unknown as Json) })
  cached = { ajv, fixture, validators: new Map() }
  return cached
}

/** Where the schemas came from (repository, commit, date), as recorded in the fixture. */
export function openAISchemaSource(): Record<string, unknown> {
  return load().fixture.source
}

function validator(name: OpenAISchemaName): ValidateFunction {
  const { ajv, validators } = load()
  let validate = validators.get(name)
  if (!validate) {
    validate = ajv.getSchema(`openai#/components/schemas/${name}`)
    if (!validate) throw new Error(`no schema ${name} in ${OPENAI_SCHEMA_FILE.pathname}`)
    validators.set(name, validate)
  }
  return validate
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)} (schema ${e.schemaPath})`,
  )
}

/** Every violation of schema `name` in `value`; empty when it conforms. */
export function openAISchemaErrors(name: OpenAISchemaName, value: unknown): string[] {
  const validate = validator(name)
  return validate(value) ? [] : describe(validate.errors)
}

/** Throws, listing the violations and the value, unless `value` conforms to schema `name`. */
export function assertOpenAISchema(name: OpenAISchemaName, value: unknown): void {
  const errors = openAISchemaErrors(name, value)
  if (errors.length > 0) {
    throw new Error(`not a valid ${name}:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value)}`)
  }
}
