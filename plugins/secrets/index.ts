/**
 * secrets: finds credentials (cloud, SCM, payment, AI provider keys, private
 * keys, JWTs, passwords in URLs and assignments) in chat requests (messages,
 * text parts, tool call arguments, tool results) and, optionally, in answers.
 * Blocks the request, redacts the secrets before the request leaves, or only
 * logs; per key and per team overrides. Never logs, returns or echoes a value.
 */
import type { ChatChunk, ChatCompletion, ChatMessage, ChatRequest, RequestContext } from '../../core/index.js'
import { definePlugin } from '../../core/index.js'
import { RULE_IDS } from './rules.js'
import { createScanner, type Finding, redact, type Scanner, StreamRedactor } from './scanner.js'

export type SecretsAction = 'block' | 'redact' | 'log'

export interface SecretsOptions {
  /** What a request with a secret gets: refused (400 secret_detected), redacted, or only logged. Default block. */
  action?: SecretsAction
  /** Test-mode keys (severity low, e.g. Stripe sk_test_): 'log' (default), 'same' as the rest, or 'ignore'. */
  lowSeverity?: 'log' | 'same' | 'ignore'
  /** Also redact secrets in answers, streamed ones included. Default false. */
  scanResponses?: boolean
  /** Scan tool call arguments and tool results too. Default true. */
  scanToolCalls?: boolean
  /** Rule ids to turn off. */
  disable?: string[]
  /** Characters of a streamed answer held back so a secret split across chunks is caught. Default 256. */
  streamWindow?: number
  /** Per key and per team actions (a key's wins over its team's). */
  overrides?: {
    teams?: Record<string, { action: SecretsAction }>
    keys?: Record<string, { action: SecretsAction }>
  }
}

const ACTION = { enum: ['block', 'redact', 'log'] }
const OVERRIDE_MAP = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { action: ACTION },
    required: ['action'],
    additionalProperties: false,
  },
}

export const optionsSchema = {
  type: 'object',
  properties: {
    action: { ...ACTION, default: 'block', description: 'block (400 secret_detected) | redact | log' },
    lowSeverity: {
      enum: ['log', 'same', 'ignore'],
      default: 'log',
      description: 'Test-mode keys (Stripe sk_test_, ...): only log them, treat them like the rest, or ignore them.',
    },
    scanResponses: { type: 'boolean', default: false, description: 'Also redact secrets in answers.' },
    scanToolCalls: { type: 'boolean', default: true, description: 'Scan tool call arguments and tool results.' },
    disable: { type: 'array', items: { enum: [...RULE_IDS] }, uniqueItems: true, description: 'Rule ids to skip.' },
    streamWindow: {
      type: 'integer',
      minimum: 64,
      maximum: 65536,
      default: 256,
      description: 'Characters of a streamed answer held back so a secret split across chunks is caught.',
    },
    overrides: {
      type: 'object',
      properties: { teams: OVERRIDE_MAP, keys: OVERRIDE_MAP },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
}

/** A finding and where it is, in OpenAI's `param` form. */
export interface Detection {
  rule: string
  name: string
  severity: 'high' | 'low'
  where: string
}

type Part = { type?: string; text?: unknown; [field: string]: unknown }

export default definePlugin<SecretsOptions>({
  name: 'secrets',
  options: optionsSchema,
  setup(options, api) {
    const action: SecretsAction = options.action ?? 'block'
    const lowSeverity = options.lowSeverity ?? 'log'
    const scanToolCalls = options.scanToolCalls ?? true
    const window = options.streamWindow ?? 256
    const overrides = options.overrides ?? {}
    const scanner = createScanner({ disabled: options.disable })
    const detections = api.metrics.counter('detections_total', 'Secrets detected, by rule, action and phase.', [
      'rule',
      'action',
      'phase',
    ])

    const actionFor = (ctx: RequestContext): SecretsAction => {
      const { key, team } = ctx.caller
      if (key !== null && overrides.keys?.[key]) return overrides.keys[key].action
      if (team !== null && overrides.teams?.[team]) return overrides.teams[team].action
      return action
    }
    /** What to do with one finding under the request's action. */
    const handling = (f: Finding, requestAction: SecretsAction): SecretsAction | 'ignore' => {
      if (f.severity === 'low' && lowSeverity !== 'same') return lowSeverity === 'ignore' ? 'ignore' : 'log'
      return requestAction
    }

    return setupHooks()

    function setupHooks() {
      return {
        onRequest(ctx: RequestContext): void {
          const requestAction = actionFor(ctx)
          const found: Detection[] = []
          const acted = { block: [] as Detection[], redact: [] as Detection[], log: [] as Detection[] }
          /** Scans one text; returns its replacement when something in it must be redacted. */
          const visit = (text: string, where: string): string | null => {
            const findings = scanner.scan(text)
            if (findings.length === 0) return null
            const toRedact: Finding[] = []
            for (const f of findings) {
              const how = handling(f, requestAction)
              if (how === 'ignore') continue
              const detection = { rule: f.rule, name: f.name, severity: f.severity, where }
              found.push(detection)
              acted[how].push(detection)
              detections.inc({ rule: f.rule, action: how, phase: 'request' })
              if (how === 'redact') toRedact.push(f)
            }
            return toRedact.length > 0 ? redact(text, toRedact) : null
          }
          const body = ctx.body
          const redacted =
            ctx.endpoint === 'chat'
              ? visitChat(body as ChatRequest, visit, scanToolCalls)
              : visitEmbeddings(body as { input?: unknown }, visit)

          if (found.length === 0) {
            api.verdict('allow', ctx)
            return
          }
          const summary = found.map(({ rule, where }) => ({ rule, where }))
          if (acted.block.length > 0) {
            const first = acted.block[0]!
            const more = acted.block.length - 1
            api.verdict('block', ctx)
            ctx.tags.secrets = 'blocked'
            api.logger.warn({ requestId: ctx.requestId, detections: summary }, 'request refused: it contains a secret')
            throw api.reject({
              status: 400,
              code: 'secret_detected',
              param: first.where,
              message:
                `The request contains what looks like a secret (${first.name}) in ${first.where}` +
                (more > 0 ? ` and ${more} more` : '') +
                '. Remove it (or use a reference to it) and try again.',
            })
          }
          if (acted.redact.length > 0 && redacted !== null) {
            ctx.body = redacted as RequestContext['body']
            api.verdict('redact', ctx)
            ctx.tags.secrets = 'redacted'
            api.logger.info({ requestId: ctx.requestId, detections: summary }, 'redacted secrets in the request')
            return
          }
          api.verdict('flag', ctx)
          ctx.tags.secrets = 'flagged'
          api.logger.warn({ requestId: ctx.requestId, detections: summary }, 'the request contains a secret')
        },
        ...(options.scanResponses ? responseHooks(scanner) : {}),
      }
    }

    function responseHooks(scanner: Scanner) {
      const logOnly = (ctx: RequestContext) => actionFor(ctx) === 'log'
      const redactLow = lowSeverity === 'same'
      const reported = new WeakSet<RequestContext>()
      const report = (ctx: RequestContext, findings: readonly Finding[], masked: boolean) => {
        for (const f of findings) {
          const how = f.severity === 'low' && !redactLow ? 'log' : masked ? 'redact' : 'log'
          detections.inc({ rule: f.rule, action: how, phase: 'response' })
        }
        // One verdict per answer, however many chunks held a secret.
        if (!reported.has(ctx)) {
          reported.add(ctx)
          api.verdict(masked ? 'redact' : 'flag', ctx)
        }
        api.logger.warn(
          { requestId: ctx.requestId, detections: findings.map((f) => ({ rule: f.rule, where: 'response' })) },
          masked ? 'redacted secrets in the answer' : 'the answer contains a secret',
        )
      }
      const streams = new WeakMap<RequestContext, Map<number, StreamRedactor>>()
      return {
        onResponse(ctx: RequestContext, response: ChatCompletion): ChatCompletion | undefined {
          const masked = !logOnly(ctx)
          const all: Finding[] = []
          const choices = response.choices.map((choice) => {
            const content = choice.message?.content
            if (typeof content !== 'string') return choice
            const findings = scanner.scan(content)
            if (findings.length === 0) return choice
            all.push(...findings)
            const toRedact = findings.filter((f) => f.severity === 'high' || redactLow)
            if (!masked || toRedact.length === 0) return choice
            return { ...choice, message: { ...choice.message, content: redact(content, toRedact) } }
          })
          if (all.length === 0) return undefined
          report(ctx, all, masked)
          return masked ? { ...response, choices } : undefined
        },
        onChunk(ctx: RequestContext, chunk: ChatChunk): ChatChunk | undefined {
          if (!Array.isArray(chunk.choices) || chunk.choices.length === 0 || logOnly(ctx)) return undefined
          let perChoice = streams.get(ctx)
          if (!perChoice) {
            perChoice = new Map()
            streams.set(ctx, perChoice)
          }
          let changed = false
          const found: Finding[] = []
          const choices = chunk.choices.map((choice) => {
            const text = typeof choice.delta?.content === 'string' ? choice.delta.content : ''
            const last = choice.finish_reason != null
            if (text === '' && !last) return choice
            let redactor = perChoice.get(choice.index)
            if (!redactor) {
              redactor = new StreamRedactor(scanner, window, redactLow)
              perChoice.set(choice.index, redactor)
            }
            const before = redactor.found.length
            const out = redactor.push(text, last)
            found.push(...redactor.found.slice(before))
            if (last) perChoice.delete(choice.index)
            if (out === text) return choice
            changed = true
            return { ...choice, delta: { ...choice.delta, content: out } }
          })
          if (found.length > 0) report(ctx, found, true)
          return changed ? { ...chunk, choices } : undefined
        },
      }
    }
  },
})

type Visit = (text: string, where: string) => string | null

/** Visits every text of a chat request; returns a redacted copy of the body when a text changed. */
function visitChat(body: ChatRequest, visit: Visit, toolCalls: boolean): ChatRequest | null {
  if (!Array.isArray(body.messages)) return null
  let changed = false
  const messages = body.messages.map((message, i): ChatMessage => {
    if ((message.role === 'tool' || message.role === 'function') && !toolCalls) return message
    let next = message
    const content = visitContent(message.content, `messages[${i}].content`, visit)
    if (content !== undefined) next = { ...next, content }
    if (toolCalls && Array.isArray(message.tool_calls)) {
      let callsChanged = false
      const calls = message.tool_calls.map((call, j) => {
        const args = call?.function?.arguments
        if (typeof args !== 'string') return call
        const out = visit(args, `messages[${i}].tool_calls[${j}].function.arguments`)
        if (out === null) return call
        callsChanged = true
        return { ...call, function: { ...call.function, arguments: out } }
      })
      if (callsChanged) next = { ...next, tool_calls: calls }
    }
    const legacy = message.function_call as { arguments?: unknown } | undefined
    if (toolCalls && legacy && typeof legacy.arguments === 'string') {
      const out = visit(legacy.arguments, `messages[${i}].function_call.arguments`)
      if (out !== null) next = { ...next, function_call: { ...legacy, arguments: out } }
    }
    if (next !== message) changed = true
    return next
  })
  return changed ? { ...body, messages } : null
}

/** A message's content redacted (undefined when unchanged): a string or its text parts. */
function visitContent(
  content: ChatMessage['content'],
  where: string,
  visit: Visit,
): ChatMessage['content'] | undefined {
  if (typeof content === 'string') return visit(content, where) ?? undefined
  if (!Array.isArray(content)) return undefined
  let changed = false
  const parts = content.map((part: Part, j) => {
    if (typeof part?.text !== 'string') return part
    const out = visit(part.text, `${where}[${j}].text`)
    if (out === null) return part
    changed = true
    return { ...part, text: out }
  })
  return changed ? (parts as ChatMessage['content']) : undefined
}

function visitEmbeddings<T extends { input?: unknown }>(body: T, visit: Visit): T | null {
  const { input } = body
  if (typeof input === 'string') {
    const out = visit(input, 'input')
    return out === null ? null : { ...body, input: out }
  }
  if (!Array.isArray(input)) return null
  let changed = false
  const next = input.map((item, i) => {
    if (typeof item !== 'string') return item
    const out = visit(item, `input[${i}]`)
    if (out === null) return item
    changed = true
    return out
  })
  return changed ? { ...body, input: next } : null
}

export { RULES } from './rules.js'
export { createScanner, redact, StreamRedactor } from './scanner.js'
