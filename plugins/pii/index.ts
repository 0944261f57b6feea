/**
 * pii: finds personal data in requests and answers (emails, phone numbers,
 * payment cards, IBANs, national ids, IP addresses) and blocks, redacts or
 * logs it, per detector. Streamed answers are checked incrementally through
 * a carry-over window (plugins/shared/stream-window.ts). See README.md.
 */
import { definePlugin, type PluginApi, type PluginHooks } from '../../core/index.js'
import {
  combineDetectors,
  GUARD_ACTIONS,
  GUARD_PHASES,
  type GuardAction,
  type GuardPhase,
  MESSAGE_ROLES,
  textGuardHooks,
} from '../shared/text-guard.js'
import { MAX_LENGTH, PII_KINDS, type PiiKind, piiDetector } from './detectors.js'

export { PII_KINDS, type PiiKind } from './detectors.js'

export interface PiiOptions {
  /** Detectors to run (default: all). */
  detectors?: PiiKind[]
  /** What a match does, unless `actions` says otherwise for its kind (default `redact`). */
  action?: GuardAction
  actions?: Partial<Record<PiiKind, GuardAction>>
  /** What a redacted match becomes; `{KIND}` / `{kind}` are replaced by the kind's name (default `[{KIND}]`). */
  replacement?: string
  replacements?: Partial<Record<PiiKind, string>>
  /** Where to look (default both). */
  scan?: GuardPhase[]
  /** Roles of the request messages to check (default all). */
  roles?: string[]
  /** Leave private, loopback and link-local IP addresses alone (default true). */
  ignorePrivateIps?: boolean
  /** Error code of a refused request (default `pii_detected`). */
  code?: string
}

const perKind = (value: object) => ({
  type: 'object',
  properties: Object.fromEntries(PII_KINDS.map((k) => [k, value])),
  additionalProperties: false,
})

export const optionsSchema = {
  type: 'object',
  properties: {
    detectors: {
      type: 'array',
      items: { enum: [...PII_KINDS] },
      minItems: 1,
      uniqueItems: true,
      description: 'Detectors to run (default: all).',
    },
    action: { enum: [...GUARD_ACTIONS], default: 'redact', description: 'What a match does (default redact).' },
    actions: { ...perKind({ enum: [...GUARD_ACTIONS] }), description: 'Per-detector actions, over `action`.' },
    replacement: {
      type: 'string',
      default: '[{KIND}]',
      description: 'What a redacted match becomes; {KIND} and {kind} name the detector.',
    },
    replacements: { ...perKind({ type: 'string' }), description: 'Per-detector replacements, over `replacement`.' },
    scan: {
      type: 'array',
      items: { enum: [...GUARD_PHASES] },
      minItems: 1,
      uniqueItems: true,
      default: ['input', 'output'],
      description: 'input: the request; output: the answer (streamed or not).',
    },
    roles: {
      type: 'array',
      items: { enum: [...MESSAGE_ROLES] },
      minItems: 1,
      uniqueItems: true,
      description: 'Roles of the request messages to check (default: all).',
    },
    ignorePrivateIps: {
      type: 'boolean',
      default: true,
      description: 'Leave private, loopback, link-local, CGNAT and unique-local addresses alone.',
    },
    code: { type: 'string', minLength: 1, default: 'pii_detected', description: 'Error code of a refusal.' },
  },
  additionalProperties: false,
} as const

export function setupPii(options: PiiOptions, api: PluginApi): PluginHooks {
  const kinds = options.detectors ?? [...PII_KINDS]
  for (const kind of kinds) {
    if (!PII_KINDS.includes(kind)) throw new Error(`pii: unknown detector '${kind}' (known: ${PII_KINDS.join(', ')})`)
  }
  const actionOf = (kind: PiiKind): GuardAction => options.actions?.[kind] ?? options.action ?? 'redact'
  const template = options.replacement ?? '[{KIND}]'
  const replacementOf = (kind: PiiKind): string =>
    options.replacements?.[kind] ?? template.replaceAll('{KIND}', kind.toUpperCase()).replaceAll('{kind}', kind)
  const phases = new Set<GuardPhase>(options.scan ?? ['input', 'output'])
  const detectorOptions = { ignorePrivateIps: options.ignorePrivateIps ?? true }
  if (phases.has('output') && kinds.some((k) => actionOf(k) === 'block')) {
    api.logger.debug('output block applies to complete answers; streamed answers are redacted instead')
  }
  return textGuardHooks(
    {
      detect: combineDetectors(kinds.map((kind) => piiDetector(kind, detectorOptions))),
      actionOf,
      replacementOf,
      window: Math.max(...kinds.map((k) => MAX_LENGTH[k])),
      holdsStream: kinds.some((k) => actionOf(k) !== 'log'),
      phases,
      roles: new Set(options.roles ?? MESSAGE_ROLES),
      code: options.code ?? 'pii_detected',
      subject: 'personal data',
    },
    api,
  )
}

/** `plugins: [pii({ action: 'redact' })]` in a TS config; the default export is also what `{ use }` loads. */
export const pii = definePlugin<PiiOptions>({
  name: 'pii',
  options: optionsSchema as unknown as Record<string, unknown>,
  setup: setupPii,
})

export default pii
