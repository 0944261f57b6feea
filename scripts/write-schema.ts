/** Writes gateway.schema.json from the TypeBox schema, for editors and JSON/YAML configs. */
import { writeFileSync } from 'node:fs'
import { GatewayConfigSchema, toJsonSchema } from '../core/config/schema.js'

writeFileSync(
  new URL('../gateway.schema.json', import.meta.url),
  `${JSON.stringify(toJsonSchema(GatewayConfigSchema), null, 2)}\n`,
)
