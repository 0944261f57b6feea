/**
 * The secrets plugin in a real gateway (built-in mock providers upstream; the
 * plugin imported by absolute path, the way a config imports it): a request
 * with a secret is refused in OpenAI's error shape naming the kind and the
 * place but not the value; for a team whose override is `redact`, the
 * provider (which echoes the last user message) receives the redacted text;
 * and a fake key in a streamed answer reaches the client masked.
 */
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey } from '../../core/governance/virtual-keys.js'
import { CORE_ENTRY, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const SECRETS_ENTRY = fileURLToPath(new URL('../../plugins/secrets/index.ts', import.meta.url))

const KEYS = { blocked: 'gw-test-secrets-blocked-0123456789', lab: 'gw-test-secrets-lab-0123456789' }
// Fake credentials built at run time: random-looking, in the vendors' formats, never real.
const AWS_KEY = ['AKIA', 'R4TW7ZQ2M5XK9PLN'].join('')
const GH_TOKEN = ['ghp_', 'Qm7Yt2Lx9Vb4Nc6Rz1Kd8Wf3Hs5Jp0Ga2Ue4'].join('')

const CONFIG = `import { defineConfig } from ${JSON.stringify(CORE_ENTRY)}
import secrets from ${JSON.stringify(SECRETS_ENTRY)}
export default defineConfig({
  auth: { mode: 'keys' },
  providers: {
    mock: { type: 'mock', models: ['demo'] },
    leaky: { type: 'mock', models: ['demo'], reply: 'Sure. Set GITHUB_TOKEN=${GH_TOKEN} and rerun the job.', chunkSize: 1 },
  },
  routes: { echo: { targets: ['mock/demo'] }, leaky: { targets: ['leaky/demo'] } },
  teams: { platform: {}, lab: {} },
  keys: [
    { name: 'blocked', hash: '${hashKey(KEYS.blocked)}', team: 'platform' },
    { name: 'lab', hash: '${hashKey(KEYS.lab)}', team: 'lab' },
  ],
  plugins: [secrets({ action: 'block', scanResponses: true, overrides: { teams: { lab: { action: 'redact' } } } })],
})
`

async function chat(url: string, key: string, body: object) {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  })
  const text = await res.body.text()
  return { status: res.statusCode, text, json: JSON.parse(text) as Record<string, unknown> }
}

describe('the secrets plugin in a gateway', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(CONFIG)
  })
  afterAll(() => gateway?.close())

  it('block: 400 in OpenAI error shape, naming the kind and the location, never the value', async () => {
    const answer = await chat(gateway.url, KEYS.blocked, {
      model: 'echo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
        { role: 'user', content: `why is ${AWS_KEY} denied on my bucket?` },
      ],
    })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({
      error: {
        message: expect.stringContaining('AWS access key ID'),
        type: 'invalid_request_error',
        param: 'messages[2].content',
        code: 'secret_detected',
      },
    })
    expect((answer.json.error as { message: string }).message).toContain('messages[2].content')
    expect(answer.text).not.toContain(AWS_KEY)
    expect(gateway.logs.join('\n')).not.toContain(AWS_KEY)
  })

  it('redact (team override): the provider receives the redacted text', async () => {
    const answer = await chat(gateway.url, KEYS.lab, {
      model: 'echo',
      messages: [{ role: 'user', content: `deploy with token ${GH_TOKEN} please` }],
    })
    expect(answer.status).toBe(200)
    const content = (answer.json as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content
    expect(content).toBe('You said: deploy with token [REDACTED:github-pat] please')
    expect(answer.text).not.toContain(GH_TOKEN)
    expect(gateway.logs.join('\n')).not.toContain(GH_TOKEN)
  })

  it('scanResponses: a fake key in a streamed answer reaches the client masked', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEYS.lab, maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: 'leaky',
      stream: true,
      messages: [{ role: 'user', content: 'how do I authenticate?' }],
    })
    let text = ''
    let chunks = 0
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      chunks++
    }
    expect(chunks).toBeGreaterThan(3)
    expect(text).toBe('Sure. Set GITHUB_TOKEN=[REDACTED:github-pat] and rerun the job.')
    expect(text).not.toContain(GH_TOKEN.slice(4))
  })

  it('scanResponses: a complete answer is masked too', async () => {
    const answer = await chat(gateway.url, KEYS.lab, {
      model: 'leaky',
      messages: [{ role: 'user', content: 'how do I authenticate?' }],
    })
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('GITHUB_TOKEN=[REDACTED:github-pat]')
    expect(answer.text).not.toContain(GH_TOKEN)
  })
})
