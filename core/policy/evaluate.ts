/**
 * Runs one phase's policies in declared order and applies what they decide.
 * Each rule's outcome is traced, for the log, `gateway explain` and
 * `gateway test`. A rule that fails to evaluate refuses the request, unless
 * it says `onError: 'skip'`.
 */
import { GatewayError, isGatewayError } from '../errors.js'
import type { RequestContext } from '../plugins/types.js'
import { applyActions, type PolicyActions, type PolicyPhase } from './actions.js'
import type { CompiledPolicy } from './compile.js'

export interface PolicyTrace {
  policy: string
  matched: boolean
  actions?: PolicyActions
  /** Evaluation failure; with `onError: 'skip'` the rule was skipped, otherwise the request refused. */
  error?: string
}

/**
 * `alreadySent`: the answer is out (the end of a stream), so a rule that
 * denies is logged and its other actions, its tags, still apply.
 */
export async function runPolicies(
  policies: readonly CompiledPolicy[],
  phase: PolicyPhase,
  ctx: RequestContext,
  input: Record<string, unknown>,
  targets: { body?: Record<string, unknown>; response?: Record<string, unknown> },
  trace: PolicyTrace[] = [],
  { alreadySent = false }: { alreadySent?: boolean } = {},
): Promise<PolicyTrace[]> {
  for (const policy of policies) {
    if (policy.phase !== phase) continue
    let actions: PolicyActions | null
    try {
      const decided = policy.decide(input)
      actions = decided instanceof Promise ? await decided : decided
    } catch (error) {
      const message = (error as Error).message
      trace.push({ policy: policy.name, matched: false, error: message })
      ctx.logger.error({ policy: policy.name, source: policy.source, err: error }, 'policy failed to evaluate')
      if (policy.onError === 'skip') continue
      throw new GatewayError({
        status: 503,
        type: 'api_error',
        code: 'policy_error',
        message: `policy '${policy.name}' could not be evaluated; the request was refused`,
      })
    }
    trace.push({ policy: policy.name, matched: actions !== null, ...(actions && { actions }) })
    if (!actions) continue
    if (actions.deny && alreadySent) {
      ctx.logger.warn({ policy: policy.name }, 'a policy denied an answer that was already sent; only its tags apply')
      actions = { ...actions, deny: undefined }
    }
    try {
      applyActions(actions, policy.name, ctx, targets)
    } catch (error) {
      if (isGatewayError(error)) error.headers['x-gateway-policy'] = policy.name
      throw error
    }
  }
  return trace
}
