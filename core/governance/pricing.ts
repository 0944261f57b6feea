/**
 * Model prices and the cost of a request, in integer nanodollars (1e-9 USD).
 *
 * Prices come from config overrides first, then from the price data bundled
 * with `@pydantic/genai-prices` (offline; see PRICES.md for source, licence
 * and refresh). The package is loaded on the first table lookup, not at
 * import, so a gateway that never prices a request never pays for it.
 */
import { createRequire } from 'node:module'
import type * as GenaiPrices from '@pydantic/genai-prices'
import type { Usage } from '../canonical/chat.js'

/** USD per MILLION tokens. Optional rates fall back as `costNanos` documents. */
export interface ModelPrice {
  input: number
  output: number
  /** Cache reads (`prompt_tokens_details.cached_tokens`); defaults to `input`. */
  cachedInput?: number
  /** Cache writes (`prompt_tokens_details.cache_write_tokens`); defaults to `input`. */
  cacheWrite?: number
  /** Reasoning tokens (`completion_tokens_details.reasoning_tokens`); defaults to `output`. */
  reasoning?: number
  /** The model's output cap, for reservations when a request sets no `max_tokens`. Never from the table. */
  maxOutputTokens?: number
}

export interface PriceQuery {
  /** The provider's NAME in the config (used for `provider/model` overrides). */
  provider: string
  /** The provider's config `type` (selects the price table's provider). */
  providerType: string
  /** The upstream model id. */
  model: string
  /** When the price applies (time-conditional table prices); defaults to now. */
  at?: Date
}

/**
 * Config provider types -> genai-prices provider ids. `null`: the type has no
 * list price (local or arbitrary servers), so only an override prices it. A
 * type missing from this map is treated like `null`: guessing a provider from
 * the model name alone could bill a self-hosted model at a vendor's price.
 */
export const TABLE_PROVIDER_IDS: Readonly<Record<string, string | null>> = Object.freeze({
  openai: 'openai',
  'azure-openai': 'azure', // falls back to openai's models for deployments named like them
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  xai: 'x-ai',
  together: 'together',
  fireworks: 'fireworks',
  openrouter: 'openrouter',
  perplexity: 'perplexity',
  cerebras: 'cerebras',
  anthropic: 'anthropic',
  gemini: 'google',
  vertex: 'google', // also prices Claude on Vertex (falls back to anthropic's models)
  bedrock: 'aws',
  cohere: 'cohere',
  ollama: null,
  vllm: null,
  'openai-compatible': null,
  mock: null,
})

/** Bound on cached table lookups; model ids can come from clients (`provider/model` references). */
const CACHE_LIMIT = 2048

type PriceConstraint = NonNullable<GenaiPrices.ConditionalPrice['constraint']>
/** A table entry: one fixed price, or time-conditional prices resolved at lookup. */
type TableEntry =
  | { kind: 'none' }
  | { kind: 'fixed'; price: ModelPrice }
  | { kind: 'conditional'; prices: Array<{ constraint?: PriceConstraint; price?: ModelPrice }> }

export class PriceTable {
  readonly #overrides: Map<string, ModelPrice>
  readonly #cache = new Map<string, TableEntry>()

  /** `overrides` keys: `provider/model` (provider NAME from config) or a bare `model`. */
  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.#overrides = new Map(Object.entries(overrides).map(([key, price]) => [key, Object.freeze({ ...price })]))
  }

  /**
   * Overrides first (`provider/model`, then `model`), then the bundled table
   * by provider type and model id, matched by the package's own rules (model
   * `match` patterns, date-suffix normalisation, provider fallbacks such as
   * azure -> openai). Undefined when nothing prices the model.
   *
   * Note the bare-model key is also tried for models that contain a slash: an
   * override `openai/gpt-4o` prices provider `openai` model `gpt-4o`, and any
   * provider's model `openai/gpt-4o` (e.g. on OpenRouter) that has no
   * `provider/model` override of its own.
   */
  lookup(query: PriceQuery): ModelPrice | undefined {
    const override = this.#overrides.get(`${query.provider}/${query.model}`) ?? this.#overrides.get(query.model)
    if (override) return override
    const entry = this.#entry(query.providerType, query.model)
    switch (entry.kind) {
      case 'none':
        return undefined
      case 'fixed':
        return entry.price
      case 'conditional':
        return resolveConditional(entry, query.at ?? new Date())
    }
  }

  #entry(providerType: string, model: string): TableEntry {
    const key = `${providerType}\u0000${model}`
    let entry = this.#cache.get(key)
    if (entry) return entry
    entry = tableEntry(providerType, model)
    if (this.#cache.size >= CACHE_LIMIT) {
      // Oldest first (Map keeps insertion order): a plain bounded cache is enough here.
      const oldest = this.#cache.keys().next()
      if (!oldest.done) this.#cache.delete(oldest.value)
    }
    this.#cache.set(key, entry)
    return entry
  }
}

let genaiPrices: typeof GenaiPrices | undefined
function loadGenaiPrices(): typeof GenaiPrices {
  // Synchronous lazy load (lookups are synchronous); the package's CJS build is
  // the same code and data as its ESM build. Nothing here calls `updatePrices`,
  // so the bundled data is all that is ever used: no network.
  genaiPrices ??= createRequire(import.meta.url)('@pydantic/genai-prices') as typeof GenaiPrices
  return genaiPrices
}

function tableEntry(providerType: string, model: string): TableEntry {
  const providerId = TABLE_PROVIDER_IDS[providerType]
  if (!providerId) return { kind: 'none' }
  let info: GenaiPrices.ModelInfo
  try {
    // calcPrice with zero usage is the package's public way to run its model
    // matching; we keep the matched model and read its prices ourselves.
    const result = loadGenaiPrices().calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId })
    if (!result) return { kind: 'none' }
    info = result.model
  } catch {
    return { kind: 'none' }
  }
  if (!Array.isArray(info.prices)) {
    const price = fromTablePrice(info.prices)
    return price ? { kind: 'fixed', price } : { kind: 'none' }
  }
  return {
    kind: 'conditional',
    prices: info.prices.map((entry) => ({
      ...(entry.constraint ? { constraint: entry.constraint } : {}),
      price: fromTablePrice(entry.prices),
    })),
  }
}

/**
 * The table's per-Mtok prices as a `ModelPrice`.
 *
 * Tiered prices (`{ base, tiers: [{ start, price }] }`, e.g. Claude Sonnet 4.5
 * or Gemini 2.5 Pro above 200k prompt tokens) are taken at their BASE price:
 * the price of ordinary prompts. Prompts past a tier's threshold are therefore
 * under-priced (by up to 2x on those requests); a config override can set the
 * higher price for a deployment that mostly sends long prompts.
 *
 * Only text-token rates are read: `cache_write_mtok` is the 5-minute cache
 * write (the 1-hour write, `cache_write_1h_mtok`, is ignored), and audio/image
 * token rates, per-request and per-search fees are not modelled.
 */
function fromTablePrice(prices: GenaiPrices.ModelPrice): ModelPrice | undefined {
  const input = baseRate(prices.input_mtok)
  const output = baseRate(prices.output_mtok)
  if (input === undefined && output === undefined) return undefined // not priced by tokens (OCR pages, audio hours)
  const price: ModelPrice = { input: input ?? 0, output: output ?? 0 }
  const cachedInput = baseRate(prices.cache_read_mtok)
  const cacheWrite = baseRate(prices.cache_write_mtok)
  const reasoning = baseRate(prices.output_reasoning_mtok)
  if (cachedInput !== undefined) price.cachedInput = cachedInput
  if (cacheWrite !== undefined) price.cacheWrite = cacheWrite
  if (reasoning !== undefined) price.reasoning = reasoning
  return Object.freeze(price)
}

function baseRate(value: GenaiPrices.ModelPrice[string]): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (value && typeof value === 'object' && typeof value.base === 'number') return value.base
  return undefined
}

/**
 * Time-conditional prices are resolved for the moment of the lookup, with the
 * package's own rule: the LAST entry whose constraint holds wins (no
 * constraint always holds; `start_date` holds from that UTC date on;
 * `time_of_date` holds inside its daily UTC window), else the first entry.
 * So a price change announced for a date applies from that date, and
 * DeepSeek-style peak/off-peak prices follow the clock. Only the match is
 * cached, never the resolved price.
 */
function resolveConditional(entry: Extract<TableEntry, { kind: 'conditional' }>, at: Date): ModelPrice | undefined {
  const { prices } = entry
  for (let i = prices.length - 1; i >= 0; i--) {
    const candidate = prices[i]!
    if (constraintHolds(candidate.constraint, at)) return candidate.price
  }
  return prices[0]?.price
}

function constraintHolds(constraint: PriceConstraint | undefined, at: Date): boolean {
  if (!constraint) return true
  if (constraint.type === 'start_date') return at.getTime() >= Date.parse(`${constraint.start_date}T00:00:00Z`)
  if (constraint.type === 'time_of_date') {
    const start = secondsOfDay(constraint.start_time)
    const end = secondsOfDay(constraint.end_time)
    if (start === undefined || end === undefined) return false
    const now = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds() + at.getUTCMilliseconds() / 1000
    return end < start ? now >= start || now < end : now >= start && now < end
  }
  return false
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` -> seconds after UTC midnight. */
function secondsOfDay(time: string): number | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time)
  if (!m) return undefined
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? '0'}`)
  const offset = m[5] === 'Z' ? 0 : (m[6] === '-' ? -1 : 1) * (Number(m[7]) * 3600 + Number(m[8]) * 60)
  return (((local - offset) % 86400) + 86400) % 86400
}

/*
 * Exact money arithmetic.
 *
 * A rate of R USD per Mtok is R x 1e9 nanodollars per Mtok. Rates are scaled
 * to that integer ONCE (Math.round(R * 1e9): exact for any rate with at most
 * nine decimals, e.g. 0.3 * 1e9 = 300000000.00000006 rounds to 300000000), so
 * the float error of the decimal rate never reaches the sum. Each part of the
 * cost is then tokens x (nano per Mtok), an integer; the parts are summed and
 * divided by 1e6 once, rounding half up. So the result is the exactly rounded
 * cost of the whole request, never a sum of rounded parts. Integer products
 * and sums up to 2^53 are exact as plain numbers, which is every request but
 * enormous ones; past that the sum is redone in BigInt (no ceiling), which
 * allocates and is kept off the common path.
 */
const MTOK = 1_000_000
const HALF_MTOK = 500_000

type CostPart = readonly [tokens: number, usdPerMtok: number | undefined]

function nanosPerMtok(usdPerMtok: number | undefined): number {
  if (usdPerMtok === undefined || !Number.isFinite(usdPerMtok) || usdPerMtok <= 0) return 0
  return Math.round(usdPerMtok * 1e9)
}

function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0
}

function roundedNanos(parts: readonly CostPart[]): number {
  let total = 0
  for (const [tokens, rate] of parts) if (tokens > 0) total += tokens * nanosPerMtok(rate)
  // A product or sum past 2^53 may have been rounded; every one at or below it is exact.
  if (total > Number.MAX_SAFE_INTEGER) return roundedNanosPastSafeIntegers(parts)
  const remainder = total % MTOK
  const whole = (total - remainder) / MTOK
  return remainder >= HALF_MTOK ? whole + 1 : whole
}

function roundedNanosPastSafeIntegers(parts: readonly CostPart[]): number {
  let total = 0n
  for (const [tokens, rate] of parts) if (tokens > 0) total += BigInt(tokens) * BigInt(nanosPerMtok(rate))
  return Number((total + BigInt(HALF_MTOK)) / BigInt(MTOK))
}

/**
 * The cost of a finished request in integer nanodollars, from canonical usage
 * (see `Usage` in core/canonical/chat.ts: prompt_tokens includes cache reads
 * and writes; completion_tokens includes reasoning):
 *
 *   (prompt - cached - cacheWrites) x input
 * + cached x (cachedInput ?? input)
 * + cacheWrites x (cacheWrite ?? input)
 * + (completion - reasoning) x output
 * + reasoning x (reasoning ?? output)
 *
 * Inconsistent usage (details larger than their totals) is clamped, never
 * negative: the details are billed as reported and the remainder is zero.
 */
export function costNanos(usage: Usage, price: ModelPrice): number {
  const prompt = tokenCount(usage.prompt_tokens)
  const completion = tokenCount(usage.completion_tokens)
  const cached = tokenCount(usage.prompt_tokens_details?.cached_tokens)
  const cacheWrites = tokenCount(usage.prompt_tokens_details?.cache_write_tokens)
  const reasoning = tokenCount(usage.completion_tokens_details?.reasoning_tokens)
  return roundedNanos([
    [Math.max(0, prompt - cached - cacheWrites), price.input],
    [cached, price.cachedInput ?? price.input],
    [cacheWrites, price.cacheWrite ?? price.input],
    [Math.max(0, completion - reasoning), price.output],
    [reasoning, price.reasoning ?? price.output],
  ])
}

/**
 * The most a request can cost, for a budget reservation before it is sent:
 * every prompt token at the highest input rate that could apply (the full
 * input price, or the cache-write price where that is higher, as with
 * Anthropic: a cache hit is never assumed, a cache write could happen) and
 * `maxOutputTokens` at the higher of the output and reasoning rates.
 */
export function worstCaseNanos(promptTokens: number, maxOutputTokens: number, price: ModelPrice): number {
  return roundedNanos([
    [tokenCount(promptTokens), Math.max(price.input, price.cacheWrite ?? 0)],
    [tokenCount(maxOutputTokens), Math.max(price.output, price.reasoning ?? 0)],
  ])
}
