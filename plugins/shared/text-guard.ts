/**
 * The engine the text guardrails share (plugins/pii, plugins/regex-guard):
 * given a detector (text -> matches) and what to do per kind of match, it
 * builds the hooks that check a request's texts (messages, text parts, tool
 * call arguments, tool results; embeddings input), a complete answer, and a
 * streamed answer through the carry-over window of ./stream-window.ts.
 *
 * Nothing here logs or reports a matched value: logs, rejections and metrics
 * carry kinds, counts and locations only.
 */
import type {
  ChatChunk,
  ChatCompletion,
  ChatMessage,
  ChatRequest,
  EmbeddingsRequest,
  PluginApi,
  PluginHooks,
  RequestContext,
} from '../../core/index.js'
import { type Span, StreamWindow } from './stream-window.js'

export type GuardAction = 'block' | 'redact' | 'log'
export const GUARD_ACTIONS = ['block', 'redact', 'log'] as const
export type GuardPhase = 'input' | 'output'
export const GUARD_PHASES = ['input', 'output'] as const
export const MESSAGE_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const

/** One match: [start, end) in the scanned text. */
export interface Match<K extends string = string> {
  start: number
  end: number
  kind: K
}

/** Finds the matches in `text` starting at or after `from` (what precedes is context), in order, not overlapping. */
export type Detector<K extends string = string> = (text: string, from: number) => Match<K>[]

/**
 * One detector from several: every match of each, earliest first (the longer one when two start
 * together, the earlier detector when they are equal), overlaps dropped.
 */
export function combineDetectors<K extends string>(detectors: readonly Detector<K>[]): Detector<K> {
  if (detectors.length === 1) return detectors[0]!
  return (text, from) => {
    const all: Array<Match<K> & { order: number }> = []
    detectors.forEach((detect, order) => {
      for (const m of detect(text, from)) all.push({ ...m, order })
    })
    all.sort((a, b) => a.start - b.start || b.end - a.end || a.order - b.order)
    const out: Match<K>[] = []
    let reached = from
    for (const { order: _order, ...m } of all) {
      if (m.start < reached) continue
      out.push(m)
      reached = m.end
    }
    return out
  }
}

/**
 * A detector from a regular expression (compiled once; a global copy is made), with an optional
 * check of each candidate (a checksum): a rejected candidate lets the search go on from the next
 * character. Empty matches are skipped.
 */
export function regexDetector<K extends string>(
  kind: K,
  pattern: RegExp,
  accept?: (match: RegExpExecArray) => boolean | { start: number; end: number },
): Detector<K> {
  const flags = pattern.flags.includes('g') ? pattern.flags.replace('y', '') : `${pattern.flags.replace('y', '')}g`
  const global = new RegExp(pattern.source, flags)
  return (text, from) => {
    const re = new RegExp(global) // own lastIndex: detectors may run re-entrantly across requests
    re.lastIndex = from
    const out: Match<K>[] = []
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex = m.index + 1
        continue
      }
      const verdict = accept ? accept(m) : true
      if (verdict === false) {
        re.lastIndex = m.index + 1
        continue
      }
      const span = verdict === true ? { start: m.index, end: m.index + m[0].length } : verdict
      out.push({ start: span.start, end: span.end, kind })
      re.lastIndex = span.end
    }
    return out
  }
}

export interface TextGuardConfig<K extends string = string> {
  detect: Detector<K>
  actionOf(kind: K): GuardAction
  replacementOf(kind: K): string
  /** The longest match the detector can produce: the stream window. */
  window: number
  phases: ReadonlySet<GuardPhase>
  /** Roles of the request messages to check. */
  roles: ReadonlySet<string>
  /** Error code of a refusal, e.g. `pii_detected`. */
  code: string
  /** What was found, in a refusal's message: "personal data", "blocked content". */
  subject: string
  /**
   * Whether streamed text must be held in the window (some kind redacts or blocks). False when every
   * action only logs: chunks then pass unchanged and the window only finds what to count.
   */
  holdsStream: boolean
  /** The name of a kind in messages and labels (e.g. "card"). */
  label?(kind: K): string
}

/** One finding, as logs and rejections name it: never the value. */
export interface Finding {
  kind: string
  action: GuardAction
  location: string
}

const SEVERITY = { allow: 0, flag: 1, redact: 2, block: 3 } as const
type Verdict = keyof typeof SEVERITY

/** A text slot of a request or answer: where it is (OpenAI `param` form), its text, and how to replace it. */
interface Slot {
  location: string
  text: string
  set(text: string): void
}

export function textGuardHooks<K extends string>(config: TextGuardConfig<K>, api: PluginApi): PluginHooks {
  const label = config.label ?? ((kind: K) => kind)
  const detections = api.metrics.counter('detections_total', 'Matches the guardrail found, by kind.', [
    'kind',
    'phase',
    'action',
  ])
  const reported = new WeakMap<RequestContext, Verdict>()
  const report = (ctx: RequestContext, verdict: Verdict) => {
    const previous = reported.get(ctx)
    if (previous !== undefined && SEVERITY[previous] >= SEVERITY[verdict]) return
    reported.set(ctx, verdict)
    api.verdict(verdict, ctx)
  }
  const count = (findings: Finding[], phase: GuardPhase) => {
    for (const f of findings) detections.inc({ kind: f.kind, phase, action: f.action })
  }
  const verdictOf = (findings: Finding[]): Verdict => {
    if (findings.some((f) => f.action === 'block')) return 'block'
    if (findings.some((f) => f.action === 'redact')) return 'redact'
    return findings.length > 0 ? 'flag' : 'allow'
  }

  /** Findings in the slots; with `apply`, redacts in place (slots of a copy). */
  const scan = (slots: Slot[], apply: boolean): Finding[] => {
    const findings: Finding[] = []
    for (const slot of slots) {
      const matches = config.detect(slot.text, 0)
      if (matches.length === 0) continue
      let out = ''
      let sent = 0
      for (const m of matches) {
        const action = config.actionOf(m.kind)
        findings.push({ kind: label(m.kind), action, location: slot.location })
        if (action === 'log') continue
        out += slot.text.slice(sent, m.start) + config.replacementOf(m.kind)
        sent = m.end
      }
      if (apply && sent > 0) slot.set(out + slot.text.slice(sent))
    }
    return findings
  }

  const refuse = (findings: Finding[], phase: GuardPhase) => {
    const blocked = findings.filter((f) => f.action === 'block')
    const kinds = [...new Set(blocked.map((f) => f.kind))].join(', ')
    const where = blocked[0]?.location ?? ''
    return api.reject({
      status: 400,
      code: config.code,
      message:
        phase === 'input'
          ? `The request contains ${config.subject} (${kinds}) in ${where}; remove it and try again.`
          : `The answer contained ${config.subject} (${kinds}) in ${where} and was withheld.`,
      param: phase === 'input' ? where : null,
    })
  }

  const logFindings = (ctx: RequestContext, phase: GuardPhase, findings: Finding[], outcome: string) => {
    api.logger.info(
      { requestId: ctx.requestId, phase, findings, kinds: summarize(findings) },
      `${config.subject} found in the ${phase === 'input' ? 'request' : 'answer'}: ${outcome}`,
    )
  }

  const hooks: PluginHooks = {}

  if (config.phases.has('input')) {
    hooks.onRequest = (ctx) => {
      const findings = scan(requestSlots(ctx.body, ctx.endpoint, config.roles), false)
      count(findings, 'input')
      const verdict = verdictOf(findings)
      report(ctx, verdict)
      if (verdict === 'allow') return
      if (verdict === 'block') {
        logFindings(ctx, 'input', findings, 'request refused')
        throw refuse(findings, 'input')
      }
      if (verdict === 'redact') {
        const copy = structuredClone(ctx.body)
        scan(requestSlots(copy, ctx.endpoint, config.roles), true)
        ctx.body = copy
      }
      logFindings(ctx, 'input', findings, verdict === 'redact' ? 'redacted' : 'logged')
    }
  }

  if (config.phases.has('output')) {
    hooks.onResponse = (ctx, response) => {
      const findings = scan(responseSlots(response), false)
      count(findings, 'output')
      const verdict = verdictOf(findings)
      report(ctx, verdict)
      if (verdict === 'allow') return undefined
      if (verdict === 'block') {
        logFindings(ctx, 'output', findings, 'answer withheld')
        throw refuse(findings, 'output')
      }
      logFindings(ctx, 'output', findings, verdict === 'redact' ? 'redacted' : 'logged')
      if (verdict !== 'redact') return undefined
      const copy = structuredClone(response)
      scan(responseSlots(copy), true)
      return copy
    }

    // A stream cannot be refused once bytes are out: `block` redacts there. With only `log`
    // actions nothing needs holding back (holdsStream false): chunks pass as they come.
    const holds = (kind: K) => config.actionOf(kind) !== 'log'
    const streamed = new WeakMap<RequestContext, Map<number, { window: StreamWindow<K>; findings: Finding[] }>>()
    const find = (text: string, from: number): Span<K>[] =>
      config.detect(text, from).map((m) => ({ ...m, replacement: holds(m.kind) ? config.replacementOf(m.kind) : null }))

    hooks.onChunk = (ctx, chunk) => {
      if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return undefined
      let perChoice = streamed.get(ctx)
      if (!perChoice) {
        perChoice = new Map()
        streamed.set(ctx, perChoice)
      }
      let changed = false
      const choices = chunk.choices.map((choice) => {
        const text = typeof choice.delta?.content === 'string' ? choice.delta.content : ''
        const last = choice.finish_reason != null
        if (text === '' && !last) return choice
        let state = perChoice.get(choice.index)
        if (!state) {
          state = { window: new StreamWindow(find, config.window), findings: [] }
          perChoice.set(choice.index, state)
        }
        const out = state.window.push(text, last)
        if (out.spans.length > 0) {
          const found = out.spans.map((s) => {
            const declared = config.actionOf(s.kind)
            const action: GuardAction = declared === 'block' ? 'redact' : declared
            return { kind: label(s.kind), action, location: `choices[${choice.index}].delta.content` }
          })
          state.findings.push(...found)
          count(found, 'output')
          report(ctx, verdictOf(found))
        }
        if (last) {
          perChoice.delete(choice.index)
          if (state.findings.length > 0) {
            logFindings(ctx, 'output', compact(state.findings), `${verdictOf(state.findings)} (stream)`)
          } else report(ctx, 'allow')
        }
        if (!config.holdsStream || out.text === text) return choice
        changed = true
        return { ...choice, delta: { ...choice.delta, content: out.text } }
      })
      return changed ? ({ ...chunk, choices } as ChatChunk) : undefined
    }
  }

  return hooks
}

/** Per kind, how many. */
function summarize(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const f of findings) out[f.kind] = (out[f.kind] ?? 0) + 1
  return out
}

/** One finding per kind, action and location (a stream's findings are all in one place). */
function compact(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>()
  for (const f of findings) seen.set(`${f.kind}\u0000${f.action}\u0000${f.location}`, f)
  return [...seen.values()]
}

/** The texts of a request: message contents (strings and text parts), tool call arguments, embeddings input. */
export function requestSlots(
  body: ChatRequest | EmbeddingsRequest,
  endpoint: 'chat' | 'embeddings',
  roles: ReadonlySet<string>,
): Slot[] {
  const slots: Slot[] = []
  if (endpoint === 'embeddings') {
    const request = body as EmbeddingsRequest & { input: unknown }
    if (typeof request.input === 'string') {
      slots.push({ location: 'input', text: request.input, set: (t) => ((request as { input: unknown }).input = t) })
    } else if (Array.isArray(request.input)) {
      const list = request.input as unknown[]
      list.forEach((item, i) => {
        if (typeof item === 'string') slots.push({ location: `input[${i}]`, text: item, set: (t) => (list[i] = t) })
      })
    }
    return slots
  }
  const messages = (body as ChatRequest).messages
  if (!Array.isArray(messages)) return slots
  messages.forEach((message, i) => {
    if (!message || !roles.has(message.role)) return
    slots.push(...messageSlots(message, `messages[${i}]`))
  })
  return slots
}

/** The texts of a complete answer: each choice's content and tool call arguments. */
export function responseSlots(response: ChatCompletion): Slot[] {
  const slots: Slot[] = []
  if (!Array.isArray(response.choices)) return slots
  response.choices.forEach((choice, i) => {
    if (choice?.message) slots.push(...messageSlots(choice.message, `choices[${i}].message`))
  })
  return slots
}

function messageSlots(message: ChatMessage, at: string): Slot[] {
  const slots: Slot[] = []
  const { content } = message
  if (typeof content === 'string') {
    slots.push({ location: `${at}.content`, text: content, set: (t) => (message.content = t) })
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (part && typeof part.text === 'string') {
        slots.push({ location: `${at}.content[${j}].text`, text: part.text, set: (t) => (part.text = t) })
      }
    })
  }
  if (Array.isArray(message.tool_calls)) {
    message.tool_calls.forEach((call, k) => {
      const fn = call?.function
      if (fn && typeof fn.arguments === 'string') {
        slots.push({
          location: `${at}.tool_calls[${k}].function.arguments`,
          text: fn.arguments,
          set: (t) => (fn.arguments = t),
        })
      }
    })
  }
  return slots
}
