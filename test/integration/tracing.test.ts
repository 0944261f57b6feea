/**
 * OpenTelemetry tracing, end to end: a gateway exporting to a local OTLP/HTTP
 * receiver (node:http collecting the JSON the exporter POSTs to /v1/traces),
 * the openai SDK as client, and the mock OpenAI upstream recording the
 * headers it received. Spans are asserted as the collector got them: the
 * server span continues the caller's trace, attempt spans are its children
 * with the GenAI attributes, a fallback shows as two attempts, and the
 * upstream got the attempt span's `traceparent`. Nothing in the export may
 * carry message content or a key value. With tracing off nothing is
 * exported and no `traceparent` goes upstream.
 *
 * The exporter batches; closing the gateway flushes it, so each scenario
 * closes its gateway before reading what was exported.
 */
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runCheck } from '../../core/cli/check.js'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { makeConfigDir, startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../mocks/openai-upstream.js'

const VIRTUAL_KEY = 'gw-tracing-virtual-key-0123456789abcdef'
const PROVIDER_KEY = 'sk-tracing-upstream-key-0123456789'
const COLLECTOR_TOKEN = 'collector-token-0123456789'
const PROMPT = 'PROMPT-MARKER-purple-elephant'
const ANSWER = 'ANSWER-MARKER-green-zebra'
const EMBED_INPUT = 'EMBED-MARKER-orange-giraffe'

const SPAN_KIND_SERVER = 2
const SPAN_KIND_CLIENT = 3
const STATUS_ERROR = 2

interface ExportedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  status: { code?: number; message?: string }
  attributes: Record<string, unknown>
  events: Array<{ name: string; attributes: Record<string, unknown> }>
  resource: Record<string, unknown>
}

/** A minimal OTLP/HTTP traces receiver: keeps every body posted to /v1/traces. */
interface Collector {
  readonly url: string
  readonly bodies: string[]
  readonly headers: IncomingHttpHeaders[]
  spans(): ExportedSpan[]
  reset(): void
  close(): Promise<void>
}

async function startCollector(): Promise<Collector> {
  const bodies: string[] = []
  const headers: IncomingHttpHeaders[] = []
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end()
        return
      }
      const raw = Buffer.concat(parts)
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
      bodies.push(body.toString('utf8'))
      headers.push(req.headers)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    bodies,
    headers,
    spans: () => bodies.flatMap(spansOf),
    reset() {
      bodies.length = 0
      headers.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

type OtlpValue = {
  stringValue?: string
  intValue?: number | string
  doubleValue?: number
  boolValue?: boolean
  arrayValue?: { values?: OtlpValue[] }
}
type OtlpAttribute = { key: string; value: OtlpValue }

function attributeValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(attributeValue)
  return undefined
}

const attributesOf = (list: OtlpAttribute[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, attributeValue(value)]))

/** OTLP JSON ids are hex; accept base64 too, so the test does not hinge on the encoder's choice. */
const hexId = (id: string | undefined): string =>
  !id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex')

function spansOf(body: string): ExportedSpan[] {
  const parsed = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttribute[] }
      scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>
    }>
  }
  return (parsed.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) =>
    (scopeSpans ?? []).flatMap(({ spans }) =>
      (spans ?? []).map((span) => ({
        traceId: hexId(span.traceId as string),
        spanId: hexId(span.spanId as string),
        parentSpanId: hexId(span.parentSpanId as string | undefined),
        name: span.name as string,
        kind: span.kind as number,
        status: (span.status ?? {}) as ExportedSpan['status'],
        attributes: attributesOf(span.attributes as OtlpAttribute[]),
        events: ((span.events ?? []) as Array<{ name: string; attributes?: OtlpAttribute[] }>).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        resource: attributesOf(resource?.attributes),
      })),
    ),
  )
}

const newTraceId = () => randomBytes(16).toString('hex')
const newSpanId = () => randomBytes(8).toString('hex')

/** The gateway's config; `tracing` is the `telemetry.tracing` literal, or nothing for tracing off. */
function gatewayConfig(upstream: MockUpstream, tracing?: string): string {
  return tsConfig(`{
    auth: { mode: 'keys' },
    teams: { ml: {} },
    keys: [{ name: 'alice', hash: '${hashKey(VIRTUAL_KEY)}', team: 'ml' }],
    ${tracing ? `telemetry: { tracing: ${tracing} },` : ''}
    providers: {
      up: { type: 'openai', baseUrl: ${JSON.stringify(upstream.baseUrl)}, keys: [{ value: '${PROVIDER_KEY}' }] },
    },
    routes: {
      direct: { targets: ['up/good-model'] },
      smart: { strategy: 'fallback', targets: ['up/broken-model', 'up/good-model'], retry: { attempts: 1 } },
      embed: { targets: ['up/embed-model'] },
    },
  }`)
}

describe('tracing', () => {
  let upstream: MockUpstream
  let collector: Collector
  beforeAll(async () => {
    upstream = await startMockUpstream()
    collector = await startCollector()
  })
  afterAll(async () => {
    await upstream?.close()
    await collector?.close()
  })
  beforeEach(() => {
    upstream.reset()
    collector.reset()
    upstream.setDefault({ text: ANSWER })
    upstream.when('broken-model', { status: 500, error: { message: 'The server had an error', type: 'server_error' } })
  })

  const clientOf = (gateway: TestGateway) =>
    new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0 })
  const sentFor = (model: string): RecordedRequest[] =>
    upstream.requests.filter((r) => (r.body as { model?: unknown } | null)?.model === model)

  describe('on', () => {
    let gateway: TestGateway | undefined
    afterAll(() => gateway?.close())

    it('continues the caller trace with a server span and one client span per attempt, GenAI attributes included', async () => {
      gateway = await startTestGateway(
        gatewayConfig(
          upstream,
          `{ endpoint: '${collector.url}', serviceName: 'gw-under-test', sampleRatio: 1, headers: { authorization: 'Bearer ${COLLECTOR_TOKEN}' } }`,
        ),
      )
      const client = clientOf(gateway)
      const caller = { direct: newTraceId(), smart: newTraceId(), stream: newTraceId(), embed: newTraceId() }
      const callerSpan = newSpanId()
      const traceparent = (traceId: string) => ({ headers: { traceparent: `00-${traceId}-${callerSpan}-01` } })

      await client.chat.completions.create(
        { model: 'direct', messages: [{ role: 'user', content: PROMPT }], max_tokens: 50, temperature: 0.25 },
        traceparent(caller.direct),
      )
      const fellBack = await client.chat.completions.create(
        { model: 'smart', messages: [{ role: 'user', content: PROMPT }] },
        traceparent(caller.smart),
      )
      expect(fellBack.choices[0]?.message.content).toBe(ANSWER)
      const stream = await client.chat.completions.create(
        { model: 'direct', messages: [{ role: 'user', content: PROMPT }], stream: true },
        traceparent(caller.stream),
      )
      let streamed = ''
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? ''
      expect(streamed).toBe(ANSWER)
      await client.embeddings.create({ model: 'embed', input: EMBED_INPUT }, traceparent(caller.embed))
      // No traceparent: the gateway starts a trace of its own.
      await client.chat.completions.create({ model: 'direct', messages: [{ role: 'user', content: PROMPT }] })

      // What the upstream received, before the spans are flushed.
      const upstreamTraceparents = upstream.requests.map((r) => r.headers.traceparent)
      expect(upstreamTraceparents).toHaveLength(6)
      for (const header of upstreamTraceparents) expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)

      await gateway.close()
      gateway = undefined
      const spans = collector.spans()
      const exported = collector.bodies.join('\n')

      // The collector got the configured headers; the resource names the service.
      expect(collector.headers.every((h) => h.authorization === `Bearer ${COLLECTOR_TOKEN}`)).toBe(true)
      expect(spans.every((span) => span.resource['service.name'] === 'gw-under-test')).toBe(true)

      const serverSpanOf = (traceId: string) => {
        const found = spans.filter((s) => s.traceId === traceId && s.kind === SPAN_KIND_SERVER)
        expect(found).toHaveLength(1)
        return found[0] as ExportedSpan
      }
      const attemptsOf = (server: ExportedSpan) =>
        spans.filter((s) => s.parentSpanId === server.spanId && s.kind === SPAN_KIND_CLIENT)

      // A plain request: server span continues the caller's trace; one attempt span under it.
      const direct = serverSpanOf(caller.direct)
      expect(direct.parentSpanId).toBe(callerSpan)
      expect(direct.name).toBe('chat direct')
      expect(direct.status.code).not.toBe(STATUS_ERROR)
      expect(direct.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'direct',
        'gen_ai.response.model': 'good-model',
        'gen_ai.system': 'openai',
        'gateway.route': 'direct',
        'gateway.provider': 'up',
        'gateway.model': 'good-model',
        'gateway.attempts': 1,
        'gateway.key': 'alice',
        'gateway.team': 'ml',
        'http.response.status_code': 200,
      })
      expect(direct.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
      expect(direct.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
      expect(typeof direct.attributes['gateway.cost_usd']).toBe('number')
      const [directAttempt, ...extra] = attemptsOf(direct)
      expect(extra).toEqual([])
      expect(directAttempt?.traceId).toBe(caller.direct)
      expect(directAttempt?.name).toBe('chat good-model')
      expect(directAttempt?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'good-model',
        'gen_ai.response.model': 'good-model',
        'gen_ai.request.max_tokens': 50,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.response.id': 'chatcmpl-mock',
        'server.address': '127.0.0.1',
        'gateway.provider': 'up',
        'gateway.route': 'direct',
        'gateway.attempt': 1,
      })
      expect(directAttempt?.attributes['gen_ai.usage.input_tokens']).toBe(
        direct.attributes['gen_ai.usage.input_tokens'],
      )
      expect(directAttempt?.attributes['gen_ai.usage.output_tokens']).toBe(
        direct.attributes['gen_ai.usage.output_tokens'],
      )
      // The upstream got the attempt span's traceparent.
      expect(sentFor('good-model')[0]?.headers.traceparent).toBe(`00-${caller.direct}-${directAttempt?.spanId}-01`)

      // A fallback: two attempt spans, the first failed (error status and type), the second served.
      const smart = serverSpanOf(caller.smart)
      expect(smart.parentSpanId).toBe(callerSpan)
      expect(smart.name).toBe('chat smart')
      expect(smart.attributes['gateway.attempts']).toBe(2)
      const [failed, served] = attemptsOf(smart).sort(
        (a, b) => Number(a.attributes['gateway.attempt']) - Number(b.attributes['gateway.attempt']),
      )
      expect(failed?.status.code).toBe(STATUS_ERROR)
      expect(failed?.attributes).toMatchObject({
        'gen_ai.request.model': 'broken-model',
        'error.type': 'server_error',
        'http.response.status_code': 500,
        'gateway.next': 'fallback',
        'gateway.attempt': 1,
      })
      expect(served?.status.code).not.toBe(STATUS_ERROR)
      expect(served?.attributes).toMatchObject({ 'gen_ai.request.model': 'good-model', 'gateway.attempt': 2 })
      expect(served?.attributes['error.type']).toBeUndefined()
      expect(sentFor('broken-model')[0]?.headers.traceparent).toBe(`00-${caller.smart}-${failed?.spanId}-01`)
      expect(sentFor('good-model')[1]?.headers.traceparent).toBe(`00-${caller.smart}-${served?.spanId}-01`)

      // A stream: the attempt span lasts to the stream's end and carries its usage and finish reason.
      const streamSpan = serverSpanOf(caller.stream)
      expect(streamSpan.attributes['gateway.stream']).toBe(true)
      const [streamAttempt] = attemptsOf(streamSpan)
      expect(streamAttempt?.attributes['gen_ai.response.finish_reasons']).toEqual(['stop'])
      expect(streamAttempt?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)

      // Embeddings: their own operation name.
      const embed = serverSpanOf(caller.embed)
      expect(embed.name).toBe('embeddings embed')
      expect(attemptsOf(embed)[0]?.attributes).toMatchObject({
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.request.model': 'embed-model',
      })

      // Without a traceparent the gateway's span is a root, and upstream still gets its trace.
      const roots = spans.filter((s) => s.kind === SPAN_KIND_SERVER && !s.parentSpanId)
      expect(roots).toHaveLength(1)
      expect(sentFor('good-model')[3]?.headers.traceparent).toContain(roots[0]?.traceId)

      // Names and numbers only: no message content, no answer, no key value.
      for (const secret of [PROMPT, ANSWER, EMBED_INPUT, VIRTUAL_KEY, PROVIDER_KEY, COLLECTOR_TOKEN]) {
        expect(exported).not.toContain(secret)
      }
    })

    it('keeps the first tracing settings until a restart, and says so on reload', async () => {
      const first = `{ endpoint: '${collector.url}' }`
      gateway = await startTestGateway(gatewayConfig(upstream, first))
      gateway.writeConfig(gatewayConfig(upstream, `{ endpoint: '${collector.url}', serviceName: 'renamed' }`))
      expect((await gateway.reloader.reload('admin')).ok).toBe(true)
      expect(gateway.logs.some((line) => line.includes('takes effect at the next restart'))).toBe(true)
      await clientOf(gateway).chat.completions.create({ model: 'direct', messages: [{ role: 'user', content: 'hi' }] })
      await gateway.close()
      gateway = undefined
      const spans = collector.spans()
      expect(spans.length).toBeGreaterThan(0)
      expect(spans.every((s) => s.resource['service.name'] === 'llm-gateway')).toBe(true)
    })
  })

  it('off: no tracer, nothing exported, no traceparent upstream', async () => {
    const gateway = await startTestGateway(gatewayConfig(upstream))
    try {
      expect(gateway.holder.current?.tracing).toBeUndefined()
      await clientOf(gateway).chat.completions.create(
        { model: 'smart', messages: [{ role: 'user', content: PROMPT }] },
        { headers: { traceparent: `00-${newTraceId()}-${newSpanId()}-01` } },
      )
      expect(upstream.requests).toHaveLength(2)
      for (const request of upstream.requests) expect(request.headers.traceparent).toBeUndefined()
    } finally {
      await gateway.close()
    }
    expect(collector.bodies).toEqual([])
  })

  it('checks the collector URL once env references are resolved', async () => {
    const dir = makeConfigDir('gateway-tracing-check-')
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(
      configPath,
      tsConfig(`{
        telemetry: { tracing: { endpoint: env('OTLP_URL'), sampleRatio: 1.5 } },
        providers: { mock: { type: 'mock' } },
      }`),
    )
    try {
      const report = await runCheck({ configPath, env: { OTLP_URL: 'collector.internal:4318/v1/traces' } })
      expect(report.exitCode).toBe(1)
      expect(report.problems.map((p) => p.path).sort()).toEqual([
        '/telemetry/tracing/endpoint',
        '/telemetry/tracing/sampleRatio',
      ])
      expect(JSON.stringify(report.problems)).not.toContain('collector.internal')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
