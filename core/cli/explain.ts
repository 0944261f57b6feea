/** `gateway explain`: a dry run's decision as a readable trace. */
import type { PolicyActions } from '../policy/actions.js'
import type { Decision } from './dry-run.js'

export function formatDecision(decision: Decision, request: { model?: unknown }): string {
  const { caller } = decision
  const who = caller.key
    ? `key ${caller.key}${caller.team ? ` (team ${caller.team}${caller.org ? `, org ${caller.org}` : ''})` : ''}`
    : 'anonymous'
  const lines = [`request    model ${String(request.model)}, ${who}`]
  if (decision.policies.length > 0) {
    lines.push('policies')
    for (const entry of decision.policies) {
      const mark = entry.error ? '!' : entry.matched ? '✓' : '·'
      const detail = entry.error
        ? `failed: ${entry.error}`
        : entry.matched
          ? describeActions(entry.actions ?? {})
          : 'no match'
      lines.push(`  ${mark} ${entry.policy.padEnd(24)} ${detail}`)
    }
  }
  if (decision.changed.length > 0) {
    lines.push(
      `changed    ${decision.changed.map((field) => `${field} = ${JSON.stringify(valueAt(decision.body, field))}`).join(', ')}`,
    )
  }
  if (Object.keys(decision.tags).length > 0) {
    lines.push(
      `tags       ${Object.entries(decision.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    )
  }
  if (decision.route) lines.push(`route      ${decision.route.name} (${decision.route.strategy})`)
  if (decision.targets.length > 0) {
    lines.push(`targets    ${decision.targets.map((t, i) => `${i + 1}. ${t}`).join('  ')}`)
  }
  if (decision.route) lines.push(`plugins    ${decision.plugins.length > 0 ? decision.plugins.join(', ') : 'none'}`)
  if (decision.limits.length > 0) lines.push(`limits     ${decision.limits.join('; ')}`)
  lines.push(
    decision.allowed
      ? 'decision   allowed'
      : `decision   denied ${decision.denied?.status} ${decision.denied?.code ?? ''}${decision.denied?.policy ? ` by policy ${decision.denied.policy}` : ''}: ${decision.denied?.message}`,
  )
  return lines.join('\n')
}

function describeActions(actions: PolicyActions): string {
  const parts: string[] = []
  if (actions.deny) parts.push(`deny ${actions.deny.status ?? 403}`)
  for (const [field, value] of Object.entries(actions.set ?? {})) parts.push(`set ${field} = ${JSON.stringify(value)}`)
  for (const field of actions.unset ?? []) parts.push(`unset ${field}`)
  if (actions.route) parts.push(`route -> ${actions.route}`)
  for (const [tag, value] of Object.entries(actions.tag ?? {})) parts.push(`tag ${tag}=${value}`)
  if (actions.require) parts.push(`require ${actions.require.join(', ')}`)
  return parts.join('; ')
}

function valueAt(body: Record<string, unknown> | null, dotted: string): unknown {
  let node: unknown = body
  for (const key of dotted.split('.').slice(1)) node = (node as Record<string, unknown> | undefined)?.[key]
  return node
}
