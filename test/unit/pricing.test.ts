import { createRequire } from 'node:module'
import { countTokens, encodeChat } from 'gpt-tokenizer/encoding/o200k_base'
import { describe, expect, it } from 'vitest'
import type { ChatChunk, ChatMessage, ChatRequest, Usage } from '../../core/canonical/chat.js'
import { costNanos, PriceTable, worstCaseNanos } from '../../core/governance/pricing.js'
import {
  CompletionTokenEstimator,
  countPromptTokens,
  countTextTokens,
  estimateCompletionTokens,
  IMAGE_TOKENS,
  IMAGE_TOKENS_LOW,
} from '../../core/governance/tokens.js'
import { AnthropicStreamUsage, usageFromAnthropic } from '../../core/providers/anthropic/usage.js'
import { GeminiStreamUsage, usageFromGemini } from '../../core/providers/gemini/usage.js'

const table = new PriceTable()
const price = (providerType: string, model: string, provider = providerType) => {
  const found = table.lookup({ provider, providerType, model })
  if (!found) throw new Error(`no price for ${providerType} ${model}`)
  return found
}

describe('lazy loading', () => {
  // First in the file: nothing above has looked up a price or counted a token yet.
  it('neither the price data nor the encoding is loaded by importing the modules', () => {
    const { cache } = createRequire(import.meta.url)
    const loaded = (name: string) => Object.keys(cache).some((path) => path.includes(name))
    expect(loaded('genai-prices')).toBe(false)
    expect(loaded('gpt-tokenizer')).toBe(false)
    new PriceTable().lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o' })
    countTextTokens('hello')
    expect(loaded('genai-prices')).toBe(true)
    expect(loaded('gpt-tokenizer')).toBe(true)
  })
})

describe('price table (bundled @pydantic/genai-prices 0.1.8 data)', () => {
  it('has the list prices of the models the tests price, in USD per Mtok', () => {
    expect(price('openai', 'gpt-4o')).toEqual({ input: 2.5, output: 10, cachedInput: 1.25 })
    expect(price('openai', 'gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10, cachedInput: 1.25 })
    expect(price('openai', 'o4-mini')).toEqual({ input: 1.1, output: 4.4, cachedInput: 0.275 })
    expect(price('openai', 'gpt-5')).toEqual({ input: 1.25, output: 10, cachedInput: 0.125 })
    const sonnet4 = { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 }
    expect(price('anthropic', 'claude-sonnet-4-20250514')).toEqual(sonnet4)
    expect(price('anthropic', 'claude-sonnet-4-0')).toEqual(sonnet4)
    expect(price('bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0')).toEqual(sonnet4)
    expect(price('gemini', 'gemini-2.5-flash')).toEqual({ input: 0.3, output: 2.5, cachedInput: 0.03 })
    expect(price('vertex', 'gemini-2.5-flash')).toEqual({ input: 0.3, output: 2.5, cachedInput: 0.03 })
    expect(price('azure-openai', 'gpt-4o')).toEqual({ input: 2.5, output: 10, cachedInput: 1.25 })
    expect(price('xai', 'grok-4')).toEqual({ input: 3, output: 15, cachedInput: 0.75 })
  })

  it('takes the base rate of tiered (long-context) prices', () => {
    // claude-sonnet-4-5 is {base: 3, tiers: [{start: 200000, price: 6}]} etc. in the data.
    expect(price('anthropic', 'claude-sonnet-4-5')).toEqual({
      input: 3,
      output: 15,
      cachedInput: 0.3,
      cacheWrite: 3.75,
    })
    expect(price('gemini', 'gemini-2.5-pro')).toEqual({ input: 1.25, output: 10, cachedInput: 0.125 })
  })

  it('resolves time-conditional prices for the time of the lookup', () => {
    const at = (iso: string, providerType: string, model: string) =>
      table.lookup({ provider: 'p', providerType, model, at: new Date(iso) })
    // o3: 10/40 until 2025-06-10, then 2/8.
    expect(at('2025-05-01T12:00:00Z', 'openai', 'o3')).toEqual({ input: 10, output: 40, cachedInput: 0.5 })
    expect(at('2025-06-10T00:00:00Z', 'openai', 'o3')).toEqual({ input: 2, output: 8, cachedInput: 0.5 })
    // deepseek-chat: standard 00:30-16:30 UTC, half price off-peak.
    expect(at('2026-01-01T12:00:00Z', 'deepseek', 'deepseek-chat')).toEqual({
      input: 0.27,
      output: 1.1,
      cachedInput: 0.07,
    })
    expect(at('2026-01-01T20:00:00Z', 'deepseek', 'deepseek-chat')).toEqual({
      input: 0.135,
      output: 0.55,
      cachedInput: 0.035,
    })
  })

  it('has no price for unknown models, local servers, the mock, or unknown provider types', () => {
    expect(table.lookup({ provider: 'openai', providerType: 'openai', model: 'no-such-model' })).toBeUndefined()
    expect(table.lookup({ provider: 'local', providerType: 'ollama', model: 'llama3.1' })).toBeUndefined()
    expect(table.lookup({ provider: 'local', providerType: 'vllm', model: 'gpt-4o' })).toBeUndefined()
    expect(table.lookup({ provider: 'x', providerType: 'openai-compatible', model: 'gpt-4o' })).toBeUndefined()
    expect(table.lookup({ provider: 'mock', providerType: 'mock', model: 'gpt-4o' })).toBeUndefined()
    expect(table.lookup({ provider: 'x', providerType: 'no-such-type', model: 'gpt-4o' })).toBeUndefined()
  })

  it('caches lookups (the same frozen object comes back)', () => {
    const first = price('openai', 'gpt-4o')
    expect(price('openai', 'gpt-4o')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('overrides beat the table: provider/model first, then the bare model', () => {
    const overridden = new PriceTable({
      'cheap-openai/gpt-4o': { input: 1, output: 2 },
      'gpt-4o': { input: 5, output: 20, maxOutputTokens: 16384 },
      'llama3.1': { input: 0.1, output: 0.2 },
    })
    expect(overridden.lookup({ provider: 'cheap-openai', providerType: 'openai', model: 'gpt-4o' })).toEqual({
      input: 1,
      output: 2,
    })
    expect(overridden.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o' })).toEqual({
      input: 5,
      output: 20,
      maxOutputTokens: 16384,
    })
    expect(overridden.lookup({ provider: 'local', providerType: 'ollama', model: 'llama3.1' })).toEqual({
      input: 0.1,
      output: 0.2,
    })
    // Other models still come from the table.
    expect(overridden.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-5' })?.input).toBe(1.25)
  })
})

describe('costNanos (integer nanodollars, exact)', () => {
  it('OpenAI gpt-4o with cached prompt tokens', () => {
    const usage: Usage = {
      prompt_tokens: 1000,
      completion_tokens: 200,
      total_tokens: 1200,
      prompt_tokens_details: { cached_tokens: 400 },
    }
    // 600 x 2.5 + 400 x 1.25 + 200 x 10 = 1500 + 500 + 2000 USD/Mtok-tokens = $0.004
    expect(costNanos(usage, price('openai', 'gpt-4o'))).toBe(4_000_000)
  })

  it('o-series usage with reasoning tokens (reasoning billed as output)', () => {
    const usage: Usage = {
      prompt_tokens: 1234,
      completion_tokens: 567,
      total_tokens: 1801,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 448 },
    }
    // o4-mini 1.1 / 4.4, cached 0.275:
    // 210 x 1100 + 1024 x 275 + 119 x 4400 + 448 x 4400 nanos = 231000 + 281600 + 523600 + 1971200
    expect(costNanos(usage, price('openai', 'o4-mini'))).toBe(3_007_400)
    // gpt-5 1.25 / 10, cached 0.125: 2000 prompt (1500 cached), 3000 completion (2500 reasoning)
    const gpt5: Usage = {
      prompt_tokens: 2000,
      completion_tokens: 3000,
      total_tokens: 5000,
      prompt_tokens_details: { cached_tokens: 1500 },
      completion_tokens_details: { reasoning_tokens: 2500 },
    }
    // 500 x 1250 + 1500 x 125 + 500 x 10000 + 2500 x 10000 = 625000 + 187500 + 5000000 + 25000000
    expect(costNanos(gpt5, price('openai', 'gpt-5'))).toBe(30_812_500)
    // A separate reasoning rate applies to the reasoning tokens only.
    expect(costNanos(gpt5, { input: 1.25, output: 10, cachedInput: 0.125, reasoning: 20 })).toBe(55_812_500)
  })

  it('Anthropic claude-sonnet-4 from a raw usage with cache reads and writes', () => {
    const usage = usageFromAnthropic({
      input_tokens: 50,
      cache_read_input_tokens: 10_000,
      cache_creation_input_tokens: 2_000,
      output_tokens: 800,
    })
    expect(usage).toEqual({
      prompt_tokens: 12_050,
      completion_tokens: 800,
      total_tokens: 12_850,
      prompt_tokens_details: { cached_tokens: 10_000, cache_write_tokens: 2_000 },
    })
    // 50 x 3000 + 10000 x 300 + 2000 x 3750 + 800 x 15000 = 150000 + 3000000 + 7500000 + 12000000
    expect(costNanos(usage, price('anthropic', 'claude-sonnet-4-20250514'))).toBe(22_650_000)
  })

  it('Anthropic claude-sonnet-4 accumulated from a stream (message_delta is cumulative)', () => {
    const stream = new AnthropicStreamUsage()
    expect(stream.usage()).toBeUndefined()
    const events = [
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          content: [],
          usage: {
            input_tokens: 50,
            cache_creation_input_tokens: 2_000,
            cache_read_input_tokens: 10_000,
            output_tokens: 1,
          },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 400 } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 800 } },
      { type: 'message_stop' },
    ]
    for (const event of events) stream.add(event)
    const usage = stream.usage()!
    expect(usage).toEqual(
      usageFromAnthropic({
        input_tokens: 50,
        cache_read_input_tokens: 10_000,
        cache_creation_input_tokens: 2_000,
        output_tokens: 800,
      }),
    )
    expect(costNanos(usage, price('anthropic', 'claude-sonnet-4-20250514'))).toBe(22_650_000)
  })

  it('a cut-short Anthropic stream still has its input usage', () => {
    const stream = new AnthropicStreamUsage()
    stream.add({ type: 'message_start', message: { usage: { input_tokens: 7, output_tokens: 1 } } })
    expect(stream.usage()).toEqual({
      prompt_tokens: 7,
      completion_tokens: 1,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    })
  })

  it('Gemini gemini-2.5-flash from a raw usageMetadata with cache and thoughts', () => {
    const usage = usageFromGemini({
      promptTokenCount: 1200,
      cachedContentTokenCount: 1000,
      candidatesTokenCount: 300,
      thoughtsTokenCount: 700,
      totalTokenCount: 2200,
    })
    expect(usage).toEqual({
      prompt_tokens: 1200,
      completion_tokens: 1000,
      total_tokens: 2200,
      prompt_tokens_details: { cached_tokens: 1000 },
      completion_tokens_details: { reasoning_tokens: 700 },
    })
    // 200 x 300 + 1000 x 30 + 300 x 2500 + 700 x 2500 = 60000 + 30000 + 750000 + 1750000
    expect(costNanos(usage, price('gemini', 'gemini-2.5-flash'))).toBe(2_590_000)
  })

  it('Gemini gemini-2.5-flash streamed: the last chunk carries the totals', () => {
    const stream = new GeminiStreamUsage()
    const chunks = [
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Th' }] }, index: 0 }],
        usageMetadata: { promptTokenCount: 1200, cachedContentTokenCount: 1000, totalTokenCount: 1200 },
      },
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'inking' }] }, index: 0 }],
        usageMetadata: {
          promptTokenCount: 1200,
          cachedContentTokenCount: 1000,
          candidatesTokenCount: 120,
          thoughtsTokenCount: 700,
          totalTokenCount: 2020,
        },
      },
      {
        candidates: [{ content: { role: 'model', parts: [{ text: '.' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: {
          promptTokenCount: 1200,
          cachedContentTokenCount: 1000,
          candidatesTokenCount: 300,
          thoughtsTokenCount: 700,
          totalTokenCount: 2200,
        },
        modelVersion: 'gemini-2.5-flash',
      },
    ]
    for (const chunk of chunks) stream.add(chunk)
    const usage = stream.usage()!
    expect(usage.prompt_tokens).toBe(1200)
    expect(usage.completion_tokens).toBe(1000)
    expect(usage.total_tokens).toBe(2200)
    expect(costNanos(usage, price('gemini', 'gemini-2.5-flash'))).toBe(2_590_000)
    expect(new GeminiStreamUsage().usage()).toBeUndefined()
  })

  it('Gemini tool-use prompt tokens are input; thoughts already in candidates are not added twice', () => {
    expect(
      usageFromGemini({
        promptTokenCount: 151,
        candidatesTokenCount: 1089,
        toolUsePromptTokenCount: 18_329,
        thoughtsTokenCount: 1120,
        totalTokenCount: 20_689,
      }),
    ).toMatchObject({ prompt_tokens: 18_480, completion_tokens: 2209, total_tokens: 20_689 })
    expect(
      usageFromGemini({ promptTokenCount: 10, candidatesTokenCount: 50, thoughtsTokenCount: 30, totalTokenCount: 60 }),
    ).toMatchObject({ prompt_tokens: 10, completion_tokens: 50, total_tokens: 60 })
  })

  it('rounds once, at the end, and never sums rounded parts', () => {
    // 37.5 + 12.5 nanos: per-part rounding would give 38 + 13 = 51.
    const usage: Usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
    expect(costNanos(usage, { input: 0.0375, output: 0.0125 })).toBe(50)
    expect(costNanos({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 }, { input: 0.0375, output: 0 })).toBe(
      113,
    )
    // Decimal rates that are inexact in binary stay exact: 3 x 1.1 USD/Mtok = 3300 nanos (3 * 1.1 * 1000 is 3300.0000000000005).
    expect(costNanos({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 }, { input: 1.1, output: 0 })).toBe(3300)
    // Large requests stay exact past 2^53 intermediate products.
    const big: Usage = { prompt_tokens: 2_000_000_000, completion_tokens: 1_000_000_000, total_tokens: 3_000_000_000 }
    expect(costNanos(big, { input: 75, output: 150 })).toBe(300_000_000_000_000)
  })

  it('gives the exactly rounded cost on both sides of 2^53 nanodollar-tokens (plain numbers below, BigInt above)', () => {
    const reference = (prompt: number, completion: number, input: number, output: number) => {
      const total =
        BigInt(prompt) * BigInt(Math.round(input * 1e9)) + BigInt(completion) * BigInt(Math.round(output * 1e9))
      return Number((total + 500_000n) / 1_000_000n)
    }
    // 2^53 = 9_007_199_254_740_992: prompts around it at 3 USD/Mtok (3e9 nanos per Mtok), with odd remainders.
    for (const prompt of [3_002_398, 3_002_399, 3_002_400, 3_002_401, 7_777_777_777]) {
      for (const completion of [0, 1, 123_457]) {
        const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
        expect(costNanos(usage, { input: 3, output: 15.000000001 }), `${prompt} + ${completion}`).toBe(
          reference(prompt, completion, 3, 15.000000001),
        )
      }
    }
    // Half a nanodollar rounds up, just below 2^53 too.
    expect(costNanos({ prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 }, { input: 0.0005, output: 0 })).toBe(1)
    expect(
      costNanos(
        { prompt_tokens: 18_014_398_509, completion_tokens: 0, total_tokens: 18_014_398_509 },
        { input: 0.0005, output: 0 },
      ),
    ).toBe(reference(18_014_398_509, 0, 0.0005, 0))
  })

  it('clamps inconsistent usage instead of going negative', () => {
    const usage: Usage = {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 20 },
      completion_tokens_details: { reasoning_tokens: 9 },
    }
    // 0 uncached, 20 cached at 1.25, 0 plain output, 9 reasoning at 10
    expect(costNanos(usage, price('openai', 'gpt-4o'))).toBe(20 * 1250 + 9 * 10_000)
  })
})

describe('worstCaseNanos', () => {
  it('prices every prompt token at the full input price (no cache hit assumed)', () => {
    // gpt-4o: 1000 x 2500 + 500 x 10000
    expect(worstCaseNanos(1000, 500, price('openai', 'gpt-4o'))).toBe(7_500_000)
    const cachedUsage: Usage = {
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 1000 },
    }
    expect(costNanos(cachedUsage, price('openai', 'gpt-4o'))).toBeLessThan(7_500_000)
  })

  it('takes the cache-write rate where it is above the input rate, and the higher output rate', () => {
    // claude-sonnet-4: 1000 x 3750 (cache write 3.75 > input 3) + 500 x 15000
    expect(worstCaseNanos(1000, 500, price('anthropic', 'claude-sonnet-4-20250514'))).toBe(11_250_000)
    expect(worstCaseNanos(1000, 500, { input: 1, output: 2, reasoning: 4 })).toBe(1_000_000 + 2_000_000)
  })
})

describe('token counting (o200k_base)', () => {
  const text = 'The quick brown fox jumps over the lazy dog. Héllo, 世界! <|endoftext|> is plain text here.'

  it('counts text as gpt-tokenizer does, special-token text included as plain text', () => {
    expect(countTextTokens('hello world')).toBe(2)
    expect(countTextTokens(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }))
    expect(countTextTokens('')).toBe(0)
  })

  it('counts a chat prompt like OpenAI (3 per message, 3 to prime the reply)', () => {
    const messages = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Hello there, how are you?' },
    ] as const
    const request: ChatRequest = { model: 'gpt-4o', messages: [...messages] }
    expect(countPromptTokens(request)).toBe(encodeChat([...messages], 'gpt-4o').length)
    expect(countPromptTokens(request)).toBe(22)
  })

  it('counts names, content parts, images by a flat estimate, tool calls and tools', () => {
    const base: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello world' }] }
    const baseTokens = countPromptTokens(base) // 3 + 3 + user(1) + 2
    expect(baseTokens).toBe(9)
    expect(countPromptTokens({ ...base, messages: [{ role: 'user', content: 'hello world', name: 'bob' }] })).toBe(
      baseTokens + countTextTokens('bob') + 1,
    )
    const withImages: ChatMessage = {
      role: 'user',
      content: [
        { type: 'text', text: 'hello world' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.com/b.png' } },
      ],
    }
    expect(countPromptTokens({ ...base, messages: [withImages] })).toBe(baseTokens + IMAGE_TOKENS_LOW + IMAGE_TOKENS)
    const toolCall: ChatMessage = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    }
    const withCall = countPromptTokens({ ...base, messages: [...base.messages, toolCall] })
    expect(withCall).toBe(
      baseTokens +
        3 +
        countTextTokens('assistant') +
        countTextTokens('get_weather') +
        countTextTokens('{"city":"Paris"}'),
    )
    const fn = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }
    expect(countPromptTokens({ ...base, tools: [{ type: 'function', function: fn }] })).toBe(
      baseTokens + countTextTokens(JSON.stringify(fn)),
    )
  })

  it('estimates completion tokens of streams without usage, joining the split deltas', () => {
    const chunk = (delta: ChatChunk['choices'][number]['delta']): ChatChunk => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: null }],
    })
    const estimator = new CompletionTokenEstimator()
    for (const delta of [
      { role: 'assistant' as const },
      { content: 'Hel' },
      { content: 'lo wor' },
      { content: 'ld' },
    ]) {
      estimator.addChunk(chunk(delta))
    }
    estimator.addChunk(
      chunk({ tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }),
    )
    estimator.addChunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }))
    const expected = countTextTokens('Hello world') + countTextTokens('f {"a":1}')
    expect(estimator.tokens()).toBe(expected)
    expect(
      estimateCompletionTokens({
        role: 'assistant',
        content: 'Hello world',
        tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      }),
    ).toBe(expected)
  })
})
