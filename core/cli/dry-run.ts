/**
 * The request phase without any provider: who the caller is, which policies
 * match and what they change, whether the caller may use the model, which
 * route serves it and in what order its targets would be tried, and which
 * plugins would run. `gateway test` compares this with expectations;
 * `gateway explain` prints it.
 */
import pino from 'pino'
import type { ChatRequest } from '../canonical/chat.js'
import { isGatewayError } from '../errors.js'
import { ANONYMOUS, type Principal } from '../governance/principal.js'
import { hashKey, presentedKey } from '../governance/virtual-keys.js'
import { parseChatRequest, parseEmbeddingsRequest } from '../http/surfaces/openai/validate-request.js'
import type { RequestContext } from '../plugins/types.js'
import { type PolicyTrace, runPolicies } from '../policy/evaluate.js'
import { requestInput } from '../policy/request-input.js'
import { candidates } from '../routing/strategies.js'
import type { Runtime } from '../runtime/runtime.js'

export interface DryRunInput {
  request: unknown
  endpoint?: 'chat' | 'embeddings'
  /** Act as this virtual key (by name). */
  key?: string
  headers?: Record<string, string>
}

export interface Decision {
  allowed: boolean
  denied: { status: number; code: string | null; message: string; policy: string | null } | null
  caller: { key: string | null; team: string | null; org: string | null }
  policies: PolicyTrace[]
  /** The body after policies, and the dotted paths they changed. */
  body: Record<string, unknown> | null
  changed: string[]
  tags: Record<string, string>
  route: { name: string; strategy: string } | null
  /** Candidate order for this evaluation (a weighted route shows its pick first, then the rest by weight). */
  targets: string[]
  plugins: string[]
  limits: string[]
}

const silent = pino({ level: 'silent' })

export async function dryRun(runtime: Runtime, input: DryRunInput): Promise<Decision> {
  const decision: Decision = {
    allowed: false,
    denied: null,
    caller: { key: null, team: null, org: null },
    policies: [],
    body: null,
    changed: [],
    tags: {},
    route: null,
    targets: [],
    plugins: [],
    limits: [],
  }
  const headers = lowerCased(input.headers ?? {})
  try {
    const principal = callerFor(runtime, input.key, headers)
    decision.caller = { key: principal.key, team: principal.team, org: principal.org }
    const endpoint = input.endpoint ?? 'chat'
    // A copy: policies change the body, and the caller still holds what it asked for.
    const request = structuredClone(input.request)
    const body = (endpoint === 'chat' ? parseChatRequest(request) : parseEmbeddingsRequest(request)) as ChatRequest
    const before = structuredClone(body) as unknown as Record<string, unknown>
    const ctx: RequestContext = {
      requestId: 'dry-run',
      surface: 'openai',
      endpoint,
      body,
      headers,
      caller: { key: principal.key, team: principal.team, org: principal.org, metadata: principal.metadata },
      metadata: parseMetadata(headers['x-gateway-metadata']),
      tags: decision.tags,
      route: null,
      responseHeaders: {},
      verdicts: {},
      required: new Set(),
      logger: silent,
      signal: new AbortController().signal,
    }
    decision.body = body as unknown as Record<string, unknown>
    try {
      await runPolicies(
        runtime.policies,
        'request',
        ctx,
        requestInput(ctx, new Date()),
        { body: decision.body },
        decision.policies,
      )
    } finally {
      decision.changed = changedPaths(before, decision.body, 'body')
    }
    runtime.governor.authorize(principal, body.model)
    const route = runtime.routes.resolve(body.model)
    ctx.route = route.name
    decision.route = { name: route.name ?? body.model, strategy: route.strategy }
    decision.targets = await candidateOrder(runtime, route, ctx)
    decision.plugins = runtime.plugins.applicable(ctx)
    decision.limits = limitsOf(principal)
    decision.allowed = true
  } catch (error) {
    if (!isGatewayError(error)) throw error
    decision.denied = {
      status: error.status,
      code: error.code,
      message: error.message,
      policy: error.headers['x-gateway-policy'] ?? null,
    }
  }
  return decision
}

function callerFor(runtime: Runtime, key: string | undefined, headers: Record<string, string>): Principal {
  if (key) {
    const named = runtime.governor.registry.named(key)
    if (!named) throw new Error(`no key named '${key}' in the config`)
    return named
  }
  const presented = presentedKey(headers)
  if (presented && runtime.governor.registry.find(hashKey(presented))) return runtime.governor.authenticate(headers)
  return runtime.checked.config.auth?.mode === 'keys' ? runtime.governor.authenticate(headers) : ANONYMOUS
}

async function candidateOrder(
  runtime: Runtime,
  route: Parameters<typeof candidates>[0],
  ctx: RequestContext,
): Promise<string[]> {
  const order: string[] = []
  const { state } = runtime.routing
  for (const target of await candidates(route, {
    table: runtime.routes,
    latency: (t) => state.latency.average(t),
    price: (t) => {
      const [provider = '', ...rest] = t.split('/')
      const price = runtime.governor.priceOf({
        provider,
        providerType: runtime.routes.provider(provider).type,
        model: rest.join('/'),
      })
      return price ? price.input + price.output : undefined
    },
    conditionInput: () => requestInput(ctx, new Date()),
    random: () => 0,
  })) {
    order.push(`${target.provider}/${target.model}`)
  }
  // A weighted route picks one; show the alternatives it may pick too.
  for (const other of runtime.routes.targetsOf(route)) {
    const name = `${other.provider}/${other.model}`
    if (route.strategy === 'weighted' && !order.includes(name)) order.push(name)
  }
  return order
}

function limitsOf(principal: Principal): string[] {
  return principal.levels.flatMap((level) => {
    const who = `${level.kind} ${level.name}`
    const out: string[] = []
    if (level.budgetConfig) {
      const { usd, period, window } = level.budgetConfig
      out.push(
        `${who}: budget $${usd} ${period === 'total' ? 'in total' : `per ${period}`}${window === 'rolling' ? ' (rolling)' : ''}`,
      )
    }
    const { rpm, tpm, concurrent } = level.limits
    if (rpm) out.push(`${who}: ${rpm} requests/min`)
    if (tpm) out.push(`${who}: ${tpm} tokens/min`)
    if (concurrent) out.push(`${who}: ${concurrent} concurrent`)
    return out
  })
}

/** Dotted paths whose value differs (added, removed or changed), depth-first. */
export function changedPaths(before: unknown, after: unknown, at: string): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return []
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  if (!isObject(before) || !isObject(after)) return [at]
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys.flatMap((key) => changedPaths(before[key], after[key], `${at}.${key}`))
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}

function parseMetadata(header: string | undefined): Record<string, string> {
  if (!header) return {}
  const parsed = JSON.parse(header) as unknown
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {}
}
