/**
 * A plugin published as its own npm package: gateway-plugin-word-filter
 * (examples/plugin-word-filter), linked into node_modules as a workspace and
 * loaded by name from examples/word-filter.config.ts, the way a user's
 * project loads one it installed. The gateway runs on that config in place,
 * since the package is resolved from the config's directory.
 */
import { execFile } from 'node:child_process'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import wordFilterPlugin, { wordFilter } from 'gateway-plugin-word-filter'
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningGateway, startGateway } from '../../core/gateway.js'
import type { UserConfig } from '../../core/index.js'
import { toPluginDefinition } from '../../core/plugins/define.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CONFIG = fileURLToPath(new URL('../../examples/word-filter.config.ts', import.meta.url))

describe('an external plugin package, loaded with { use: "gateway-plugin-word-filter" }', () => {
  let gateway: RunningGateway
  let client: OpenAI
  const logs: string[] = []

  beforeAll(async () => {
    gateway = await startGateway({
      configPath: CONFIG,
      host: '127.0.0.1',
      port: 0,
      watch: false,
      logLevel: 'debug',
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(...chunk.toString().split('\n').filter(Boolean))
          done()
        },
      }),
    })
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  })
  afterAll(() => gateway?.close())

  const chat = (body: object) =>
    request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('refuses a request with a blocked phrase: 400 in OpenAI format, with the plugin’s code', async () => {
    const res = await chat({
      model: 'demo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'What is the status of Project  TITAN?' },
      ],
    })
    expect(res.statusCode).toBe(400)
    expect(await res.body.json()).toEqual({
      error: {
        message: 'The request contains a word that is not allowed.',
        type: 'invalid_request_error',
        param: 'messages[1].content',
        code: 'word_blocked',
      },
    })
  })

  it('the openai SDK sees the refusal as a BadRequestError', async () => {
    const refused = await client.chat.completions
      .create({ model: 'demo', messages: [{ role: 'user', content: 'project titan' }] })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError)
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('word_blocked')
  })

  it('masks words before the request leaves: the mock echoes the masked text', async () => {
    const completion = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'my password is HUNTER2 at acme corp, hunter22 is fine' }],
    })
    expect(completion.choices[0]?.message.content).toBe(
      'You said: my password is [redacted] at [redacted], hunter22 is fine',
    )
  })

  it('masks words in a complete answer', async () => {
    const completion = await client.chat.completions.create({
      model: 'chatty',
      messages: [{ role: 'user', content: 'what is the password?' }],
    })
    expect(completion.choices[0]?.message.content).toBe(
      'Sure: the staging password is [redacted] until Friday, then ask [redacted].',
    )
  })

  it('masks words in a streamed answer, a phrase split across chunks included', async () => {
    const stream = await client.chat.completions.create({
      model: 'chatty',
      stream: true,
      messages: [{ role: 'user', content: 'what is the password?' }],
    })
    const pieces: string[] = []
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '')
    // The mock streams a word per chunk: "ACME " and "Corp." arrive apart.
    expect(pieces.join('')).toBe('Sure: the staging password is [redacted] until Friday, then ask [redacted].')
    expect(pieces.join('|')).not.toMatch(/hunter2|acme|corp\b/i)
  })

  it('counts its matches in /metrics, under its own prefix, and reports guardrail verdicts', async () => {
    const text = await (await request(`${gateway.url}/metrics`)).body.text()
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return line === undefined ? undefined : Number(line.slice(series.length + 1))
    }
    expect(text).toContain('# HELP gateway_plugin_word_filter_matches_total')
    expect(value('gateway_plugin_word_filter_matches_total{action="block",phase="request"}')).toBe(2)
    expect(value('gateway_plugin_word_filter_matches_total{action="mask",phase="request"}')).toBe(2)
    expect(value('gateway_plugin_word_filter_matches_total{action="mask",phase="response"}')).toBe(4)
    // And the gateway's guardrail verdicts: per request checked, and per masked answer.
    expect(value('gateway_guardrail_verdicts_total{plugin="word-filter",verdict="block"}')).toBe(2)
    expect(value('gateway_guardrail_verdicts_total{plugin="word-filter",verdict="redact"}')).toBe(3)
    expect(value('gateway_guardrail_verdicts_total{plugin="word-filter",verdict="allow"}')).toBe(2)
  })

  it('logs the refusal without the words it found', () => {
    const refusals = logs.map((line) => JSON.parse(line)).filter((l) => l.plugin === 'word-filter' && l.matches)
    expect(refusals.some((l) => l.msg === 'request refused: it contains a blocked word')).toBe(true)
    expect(logs.join('\n')).not.toMatch(/hunter2|titan|acme/i)
  })

  it('its types fit a TypeScript config (wordFilter(options), spread with a scope)', () => {
    const plugins: UserConfig['plugins'] = [
      wordFilter({ mask: ['hunter2'], roles: ['user'] }),
      { ...wordFilter({ block: ['titan'] }), scope: { teams: ['interns'] }, failOpen: true },
      { use: 'gateway-plugin-word-filter', options: { mask: ['x'] } },
    ]
    expect(plugins).toHaveLength(3)
    expect(toPluginDefinition(wordFilterPlugin)).toBe(wordFilterPlugin)
  })
})

describe('the package’s own tests (node:test)', () => {
  it('pass when run with npm test --workspace gateway-plugin-word-filter', async () => {
    const run = await promisify(execFile)('npm', ['test', '--workspace', 'gateway-plugin-word-filter'], {
      cwd: ROOT,
      timeout: 60_000,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => error)
    expect(run, `${run.stdout}\n${run.stderr}`).not.toHaveProperty('code')
    expect(run.stdout).toMatch(/^# fail 0$/m)
    expect(run.stdout).toMatch(/^# pass [1-9]\d*$/m)
  })
})
