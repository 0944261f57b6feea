/** `gateway keys new`: a fresh virtual key, printed once, and the config line that admits it. */
import { generateKey, hashKey } from '../governance/virtual-keys.js'

export function newKeyInstructions(options: { name: string; team?: string }): string {
  const key = generateKey()
  const entry = { name: options.name, hash: hashKey(key), ...(options.team && { team: options.team }) }
  const line = `{ ${Object.entries(entry)
    .map(([field, value]) => `${field}: '${value}'`)
    .join(', ')} },`
  return [
    `key:    ${key}`,
    '        (shown only now: hand it to its owner; the gateway keeps only its hash)',
    '',
    'add to `keys` in gateway.config.ts:',
    `  ${line}`,
  ].join('\n')
}
