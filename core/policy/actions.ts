/**
 * What a matching policy does: deny, set or unset fields, send the request to
 * another route, tag it, or require a plugin. Inline rules state their
 * actions; file policies compute them, so they are checked here before use.
 */

import { Type } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import { PolicyActionsFields } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import type { RequestContext } from '../plugins/types.js'

export interface PolicyActions {
  deny?: { status?: number; message: string; code?: string }
  set?: Record<string, unknown>
  unset?: string[]
  route?: string
  tag?: Record<string, string>
  require?: string[]
}

export type PolicyPhase = 'request' | 'response'

const validateActions = new Ajv({ allErrors: false, strict: false }).compile(
  Type.Object(PolicyActionsFields, { additionalProperties: false }),
)

/** Checks what a file policy returned; a malformed result is the policy's error, not the client's. */
export function checkActions(value: unknown, policy: string): PolicyActions {
  if (validateActions(value)) return value as PolicyActions
  const error = validateActions.errors?.[0]
  throw new Error(
    `policy '${policy}' returned invalid actions: ${error?.instancePath || '/'} ${error?.message ?? ''}`.trim(),
  )
}

export function hasAction(actions: PolicyActions): boolean {
  return Object.values(actions).some((value) => value !== undefined)
}

/**
 * Applies actions to the request (`body.*`) or the answer (`response.*`).
 * `deny` throws the rule's error; everything else mutates in place.
 */
export function applyActions(
  actions: PolicyActions,
  policy: string,
  ctx: RequestContext,
  targets: { body?: Record<string, unknown>; response?: Record<string, unknown> },
): void {
  if (actions.deny) {
    const status = actions.deny.status ?? 403
    throw new GatewayError({
      status,
      type: status === 403 ? 'permission_error' : 'invalid_request_error',
      code: actions.deny.code ?? 'policy_denied',
      message: actions.deny.message,
    })
  }
  for (const [path, value] of Object.entries(actions.set ?? {}))
    setPath(targets, path.split('.'), structuredClone(value))
  for (const path of actions.unset ?? []) unsetPath(targets, path.split('.'))
  if (actions.route && targets.body) targets.body.model = actions.route
  for (const [name, value] of Object.entries(actions.tag ?? {})) ctx.tags[name] = value
  for (const plugin of actions.require ?? []) ctx.required.add(plugin)
  ctx.tags[`policy.${policy}`] = 'matched'
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    node[key] = typeof next === 'object' && next !== null ? next : {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

function unsetPath(root: Record<string, unknown>, path: readonly string[]): void {
  let node: unknown = root
  for (const key of path.slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[key]
    if (typeof node !== 'object' || node === null) return
  }
  delete (node as Record<string, unknown>)[path[path.length - 1] as string]
}
