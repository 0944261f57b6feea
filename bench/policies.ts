/**
 * What JSONata policies cost per request: ten typical rules, compiled once
 * as the gateway compiles them, evaluated in full (condition and actions)
 * over a typical chat request, the way the request phase runs them.
 */
import pino from 'pino'
import type { RequestContext } from '../core/plugins/types.js'
import { compilePolicies } from '../core/policy/compile.js'
import { runPolicies } from '../core/policy/evaluate.js'
import { requestInput } from '../core/policy/request-input.js'

/** Ten rules of the kinds users write: caps, denials by team and model, tags, routing by metadata, time windows. */
const RULES = [
  { name: 'cap-output', when: 'body.max_tokens > 4096', set: { 'body.max_tokens': 4096 } },
  { name: 'interns-no-smart', when: 'caller.team = "interns" and body.model = "smart"', deny: { message: 'no' } },
  { name: 'no-n', when: 'body.n > 1', deny: { status: 400, message: 'n > 1 is not served' } },
  { name: 'tag-team', when: 'caller.team != null', tag: { team: 'known' } },
  { name: 'batch-route', when: 'metadata.tier = "batch"', route: 'cheap' },
  { name: 'night-shift', when: 'time.hour < 6 and body.model = "smart"', route: 'cheap' },
  {
    name: 'long-prompt',
    when: '$sum(body.messages.$length($string(content))) > 200000',
    deny: { status: 413, message: 'too long' },
  },
  { name: 'tools-need-key', when: '$exists(body.tools) and caller.key = null', deny: { message: 'tools need a key' } },
  { name: 'json-mode-tag', when: 'body.response_format.type = "json_object"', tag: { json: 'yes' } },
  { name: 'temperature-cap', when: 'body.temperature > 1.5', set: { 'body.temperature': 1.5 } },
] as const

export interface PolicyBenchResult {
  rules: number
  requests: number
  meanMicros: number
  p50Micros: number
  p99Micros: number
}

export async function benchPolicies(requests = 20_000): Promise<PolicyBenchResult> {
  const { policies, problems } = compilePolicies(RULES as never, process.cwd())
  if (problems.length > 0) throw new Error(`bench rules do not compile: ${JSON.stringify(problems)}`)
  const logger = pino({ level: 'silent' })
  // Asserted rather than annotated: the context grows fields policies never read.
  const context = (): RequestContext =>
    ({
      requestId: 'bench',
      surface: 'openai',
      endpoint: 'chat',
      body: {
        model: 'smart',
        max_tokens: 512,
        temperature: 0.7,
        messages: [
          { role: 'system', content: 'You are a helpful assistant for the support team.' },
          { role: 'user', content: 'Summarise the customer conversation below in three bullet points. '.repeat(8) },
        ],
      },
      headers: { 'content-type': 'application/json', 'user-agent': 'bench' },
      caller: { key: 'ml-batch', team: 'ml', org: 'acme', metadata: {} },
      metadata: { feature: 'summaries' },
      tags: {},
      route: null,
      responseHeaders: {},
      verdicts: {},
      required: new Set(),
      logger,
      signal: new AbortController().signal,
    }) as RequestContext
  const run = async () => {
    const ctx = context()
    await runPolicies(policies, 'request', ctx, requestInput(ctx, new Date()), { body: ctx.body as never })
  }
  for (let i = 0; i < 2_000; i++) await run() // warm-up: JIT, caches
  const samples = new Float64Array(requests)
  for (let i = 0; i < requests; i++) {
    const started = process.hrtime.bigint()
    await run()
    samples[i] = Number(process.hrtime.bigint() - started) / 1000
  }
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return {
    rules: policies.length,
    requests,
    meanMicros: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50Micros: at(0.5),
    p99Micros: at(0.99),
  }
}
