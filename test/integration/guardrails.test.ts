/**
 * The pii and regex-guard plugins in a real gateway, with the built-in mock
 * provider as upstream (it echoes the last user message, or answers its
 * fixed `reply`, streaming one word per chunk): block -> 400 in OpenAI's
 * error shape, redact -> the provider gets redacted text, streamed answers
 * redacted on the fly, log -> the request passes and the log names kinds
 * only. Plus how a bad regular expression surfaces (setup, not check).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../../core/cli/check.js'
import { CORE_ENTRY, makeConfigDir, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const PII_ENTRY = fileURLToPath(new URL('../../plugins/pii/index.ts', import.meta.url))
const REGEX_GUARD_ENTRY = fileURLToPath(new URL('../../plugins/regex-guard/index.ts', import.meta.url))

const head = `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import pii from ${JSON.stringify(PII_ENTRY)}
import regexGuard from ${JSON.stringify(REGEX_GUARD_ENTRY)}
`

const CARD = '4111 1111 1111 1111'
const EMAIL = 'jane.doe@example.com'
const SSN = '123-45-6789'
const LEAKY_REPLY = `Sure: write to ${EMAIL} or use card ${CARD} before Friday, says the codename Bluebird team.`

interface ErrorBody {
  error?: { message: string; type: string; param: string | null; code: string | null }
  choices?: Array<{ message: { content: string | null } }>
}

async function chat(url: string, body: object): Promise<{ status: number; body: ErrorBody; raw: string }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const raw = await res.body.text()
  return { status: res.statusCode, body: JSON.parse(raw) as ErrorBody, raw }
}

type LogLine = Record<string, unknown> & { msg: string; plugin?: string }
const logLines = (gateway: TestGateway) => gateway.logs.map((line) => JSON.parse(line) as LogLine)

describe('guardrails on requests (pii, input only)', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(`${head}
export default defineConfig({
  providers: { mock: { type: 'mock', models: ['demo'] } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [pii({ scan: ['input'], action: 'redact', actions: { card: 'block', ssn: 'log' } })],
})
`)
  })
  afterAll(() => gateway?.close())

  it('block: 400 in the OpenAI error shape naming the kind and the place, never the value', async () => {
    const { status, body, raw } = await chat(gateway.url, {
      model: 'demo',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: `Charge my card ${CARD} please` },
      ],
    })
    expect(status).toBe(400)
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'pii_detected',
      param: 'messages[1].content',
    })
    expect(body.error!.message).toContain('card')
    expect(body.error!.message).toContain('messages[1].content')
    expect(raw).not.toContain('4111')
    expect(gateway.logs.join('\n')).not.toContain('4111 1111')
  })

  it('redact: the provider receives the redacted text (the mock echoes it back)', async () => {
    const { status, body } = await chat(gateway.url, {
      model: 'demo',
      messages: [{ role: 'user', content: `Mail the report to ${EMAIL} today` }],
    })
    expect(status).toBe(200)
    expect(body.choices![0]!.message.content).toBe('You said: Mail the report to [EMAIL] today')
    expect(gateway.logs.join('\n')).not.toContain(EMAIL)
  })

  it('log: the request passes unchanged and the log line names kinds only', async () => {
    const { status, body } = await chat(gateway.url, {
      model: 'demo',
      messages: [{ role: 'user', content: `My SSN is ${SSN}` }],
    })
    expect(status).toBe(200)
    expect(body.choices![0]!.message.content).toBe(`You said: My SSN is ${SSN}`)
    const line = logLines(gateway).find((l) => l.plugin === 'pii' && String(l.msg).includes('logged'))
    expect(line).toMatchObject({ phase: 'input', kinds: { ssn: 1 } })
    expect(JSON.stringify(line)).not.toContain('6789')
  })

  it('verdicts and detections are counted', async () => {
    const text = await (await request(`${gateway.url}/metrics`)).body.text()
    expect(text).toMatch(/gateway_guardrail_verdicts_total\{plugin="pii",verdict="block"\} 1/)
    expect(text).toMatch(/gateway_plugin_pii_detections_total\{kind="email",phase="input",action="redact"\} 1/)
  })
})

describe('guardrails on answers (pii and regex-guard, output only)', () => {
  let gateway: TestGateway
  let client: OpenAI
  beforeAll(async () => {
    gateway = await startTestGateway(`${head}
export default defineConfig({
  providers: {
    mock: { type: 'mock', models: ['demo'], reply: ${JSON.stringify(LEAKY_REPLY)}, chunkSize: 1 },
    strict: { type: 'mock', models: ['demo'], reply: ${JSON.stringify(`Your card: ${CARD}.`)}, chunkSize: 1 },
  },
  routes: { leaky: { targets: ['mock/demo'] }, strict: { targets: ['strict/demo'] } },
  plugins: [
    pii({ scan: ['output'], action: 'redact' }),
    regexGuard({
      scan: ['output'],
      wordLists: [{ name: 'codenames', words: ['bluebird'], action: 'redact', replacement: '[CODENAME]' }],
    }),
],
})
`)
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  })
  afterAll(() => gateway?.close())

  const redacted = 'Sure: write to [EMAIL] or use card [CARD] before Friday, says the codename [CODENAME] team.'

  it('a complete answer is redacted', async () => {
    const { status, body } = await chat(gateway.url, { model: 'leaky', messages: [{ role: 'user', content: 'hi' }] })
    expect(status).toBe(200)
    expect(body.choices![0]!.message.content).toBe(redacted)
  })

  it('a streamed answer, one word per chunk, reassembles to the redacted text', async () => {
    const stream = await client.chat.completions.create({
      model: 'leaky',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    })
    const pieces: string[] = []
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '')
    expect(pieces.join('')).toBe(redacted)
    expect(pieces.join('')).not.toContain('4111')
    expect(gateway.logs.join('\n')).not.toContain(EMAIL)
    expect(gateway.logs.join('\n').toLowerCase()).not.toContain('bluebird')
  })
})

describe('output block', () => {
  let gateway: TestGateway
  let client: OpenAI
  beforeAll(async () => {
    gateway = await startTestGateway(`${head}
export default defineConfig({
  providers: { mock: { type: 'mock', models: ['demo'], reply: ${JSON.stringify(`Your card: ${CARD}, and more words to stream here.`)}, chunkSize: 1 } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [pii({ scan: ['output'], detectors: ['card'], action: 'block' })],
})
`)
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  })
  afterAll(() => gateway?.close())

  it('refuses a complete answer', async () => {
    const { status, body, raw } = await chat(gateway.url, {
      model: 'demo',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(status).toBe(400)
    expect(body.error).toMatchObject({ code: 'pii_detected', param: null })
    expect(raw).not.toContain('4111')
  })

  it('degrades to redact in a stream (bytes may already be out), releasing text before the end', async () => {
    const stream = await client.chat.completions.create({
      model: 'demo',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    })
    const pieces: string[] = []
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '')
    expect(pieces.join('')).toBe('Your card: [CARD], and more words to stream here.')
    // The card window is 40 characters: the start of the answer is sent before the last chunk.
    const beforeLast = pieces.slice(0, -1).join('')
    expect(beforeLast.length).toBeGreaterThan(0)
  })
})

describe('a bad regular expression', () => {
  const config = `${head}
export default defineConfig({
  providers: { mock: { type: 'mock', models: ['demo'] } },
  routes: { demo: { targets: ['mock/demo'] } },
  plugins: [regexGuard({ rules: [{ name: 'order-ids', pattern: 'ORD-(\\\\d+', action: 'redact' }] })],
})
`

  it('an invalid pattern is a gateway check problem (the plugin validates its own options), and start refuses it', async () => {
    const dir = makeConfigDir('guardrails-check-')
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(configPath, config)
    const report = await runCheck({ configPath, env: {} })
    expect(report.exitCode).toBe(1)
    expect(report.problems).toHaveLength(1)
    expect(report.problems[0]?.path).toBe('/plugins/0/options')
    expect(report.problems[0]?.message).toMatch(/^regex-guard: rule 'order-ids' \(rules\[0\]\) has an invalid pattern/)
    await expect(startTestGateway(config)).rejects.toThrow(/rule 'order-ids' \(rules\[0\]\) has an invalid pattern/)
  })

  it('an option the schema rejects is a check problem', async () => {
    const dir = makeConfigDir('guardrails-check-')
    const configPath = path.join(dir, 'gateway.config.ts')
    writeFileSync(configPath, config.replace(`action: 'redact'`, `action: 'nuke'`).replace('ORD-(\\\\d+', 'ORD-\\\\d+'))
    const report = await runCheck({ configPath, env: {} })
    expect(report.exitCode).toBe(1)
    expect(report.problems[0]?.path).toMatch(/^\/plugins\/0\/options\/rules\/0\/action/)
  })
})
