import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

interface Answer {
  choices: Array<{ message: { content: string }; finish_reason: string }>
  error: Record<string, unknown>
}

describe('request policies', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{
        providers: { mock: { type: 'mock', reply: 'one two three four five six' } },
        routes: { demo: { targets: ['mock/demo'] }, premium: { targets: ['mock/demo'] } },
        policies: [
          { name: 'cap-output', when: 'body.max_tokens > 3', set: { 'body.max_tokens': 3 } },
          { name: 'no-premium-for-tests', when: 'body.model = "premium" and headers."x-team" = "interns"',
            deny: { status: 403, message: 'premium is not for interns', code: 'team_not_allowed' } },
          { name: 'broken-at-runtime', when: 'body.model = "explode" and $number("not a number") > 1', deny: { message: 'x' } },
        ],
      }`),
    )
  })
  afterAll(() => gateway.close())

  const chat = (body: object, headers: Record<string, string> = {}) =>
    request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
    }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Answer }))

  it('sets fields: max_tokens is capped before the provider sees it', async () => {
    const { status, body } = await chat({ model: 'demo', max_tokens: 100 })
    expect(status).toBe(200)
    expect(body.choices[0]?.message.content).toBe('one two three ')
    expect(body.choices[0]?.finish_reason).toBe('length')
  })

  it('denies with the rule status, message and code in OpenAI error shape', async () => {
    const denied = await chat({ model: 'premium' }, { 'x-team': 'interns' })
    expect(denied).toEqual({
      status: 403,
      body: {
        error: {
          message: 'premium is not for interns',
          type: 'permission_error',
          param: null,
          code: 'team_not_allowed',
        },
      },
    })
    expect((await chat({ model: 'premium' }, { 'x-team': 'ml' })).status).toBe(200)
  })

  it('fails closed with the rule name when a rule cannot be evaluated', async () => {
    const failed = await chat({ model: 'explode' })
    expect(failed.status).toBe(503)
    expect(failed.body.error).toMatchObject({
      code: 'policy_error',
      message: expect.stringContaining('broken-at-runtime'),
    })
  })
})
