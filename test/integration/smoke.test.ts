import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway, tsConfig } from '../helpers/gateway.js'

describe('default mock setup', () => {
  let gateway: TestGateway
  let client: OpenAI

  beforeAll(async () => {
    gateway = await startTestGateway(
      tsConfig(`{ providers: { mock: { type: 'mock' } }, routes: { demo: { targets: ['mock/demo'] } } }`),
    )
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  })
  afterAll(() => gateway.close())

  it('answers a chat completion through the route', async () => {
    const completion = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(completion.choices[0]?.message.content).toBe('You said: hi')
  })
})
