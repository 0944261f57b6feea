/**
 * Runs the request-phase policies in declared order. A rule that matches may
 * deny the request (the client gets the rule's status and message) or set
 * fields of the body. A rule that fails to evaluate fails closed.
 */
import { GatewayError } from '../errors.js'
import type { RequestContext } from '../plugins/types.js'
import type { CompiledPolicy } from './compile.js'
import { requestInput } from './request-input.js'

export async function applyRequestPolicies(policies: readonly CompiledPolicy[], ctx: RequestContext): Promise<void> {
  if (policies.length === 0) return
  for (const policy of policies) {
    let matched: unknown
    try {
      matched = await policy.when.evaluate(requestInput(ctx, new Date()))
    } catch (error) {
      ctx.logger.error({ policy: policy.name, err: error }, 'policy failed to evaluate; refusing the request')
      throw new GatewayError({
        status: 503,
        type: 'api_error',
        code: 'policy_error',
        message: `policy '${policy.name}' could not be evaluated; the request was refused`,
      })
    }
    if (!matched) continue
    ctx.tags[`policy.${policy.name}`] = 'matched'
    if (policy.deny) {
      throw new GatewayError({
        status: policy.deny.status,
        type: policy.deny.status === 403 ? 'permission_error' : 'invalid_request_error',
        code: policy.deny.code ?? 'policy_denied',
        message: policy.deny.message,
      })
    }
    for (const { path, value } of policy.set) setPath(ctx.body as Record<string, unknown>, path, value)
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    node[key] = typeof next === 'object' && next !== null ? next : {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = structuredClone(value)
}
