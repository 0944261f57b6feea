/**
 * Governance for one runtime: who is calling (authenticate), may they use
 * this model (authorize), and may this request run now (admit: concurrency,
 * rate windows, then a worst-case budget reservation at every level). The
 * Admission it returns settles the real cost once the answer is known.
 */
import type { Logger } from 'pino'
import type { ChatRequest, Usage } from '../canonical/chat.js'
import type { EmbeddingsRequest } from '../canonical/embeddings.js'
import { GatewayError } from '../errors.js'
import { costNanos, type ModelPrice, type PriceTable, worstCaseNanos } from './pricing.js'
import { ANONYMOUS, type GovernedLevel, type KeyRegistry, type Principal } from './principal.js'
import { type GovernanceStore, type RateCheck, StoreUnavailableError } from './store/store.js'
import { countPromptTokens, countTextTokens, promptTokensAtMost, textTokensAtMost } from './tokens.js'
import { hashKey, presentedKey } from './virtual-keys.js'

/** A target as pricing sees it. */
export interface PricedTarget {
  provider: string
  providerType: string
  model: string
}

export interface GovernorOptions {
  registry: KeyRegistry
  authMode: 'none' | 'keys'
  store: GovernanceStore
  prices: PriceTable
  /** Serve unmetered (true) or refuse (false, the default) while the store is unreachable. */
  failOpen: boolean
  defaultMaxOutputTokens: number
  logger: Logger
}

/** Provider types that cost nothing unless the config gives them a price. */
const FREE_PROVIDER_TYPES = new Set(['mock', 'ollama', 'vllm', 'openai-compatible'])
const FREE: ModelPrice = { input: 0, output: 0 }
const MINUTE_MS = 60_000
/** An admission that holds nothing bills no prompt. */
const NO_PROMPT = () => 0

export class Governor {
  readonly #options: GovernorOptions

  constructor(options: GovernorOptions) {
    this.#options = options
  }

  get store(): GovernanceStore {
    return this.#options.store
  }

  get registry(): KeyRegistry {
    return this.#options.registry
  }

  /** The caller. With `auth.mode: keys` a valid key is required; with `none` a valid key still counts. */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): Principal {
    const key = presentedKey(headers)
    const principal = key ? this.#options.registry.find(hashKey(key)) : undefined
    if (!principal) {
      if (this.#options.authMode === 'none') return ANONYMOUS
      throw new GatewayError({
        status: 401,
        type: 'authentication_error',
        code: 'invalid_api_key',
        message: key ? 'Invalid API key.' : 'An API key is required: send it as "Authorization: Bearer <key>".',
      })
    }
    for (const level of principal.levels) {
      const expired = level.expiresAt !== null && now >= level.expiresAt
      if (level.disabled || expired) {
        throw new GatewayError({
          status: 401,
          type: 'authentication_error',
          code: expired ? 'key_expired' : 'key_disabled',
          message: `${describe(level)} is ${expired ? 'expired' : 'disabled'}.`,
        })
      }
    }
    return principal
  }

  /** Refuses a model that any level's allow-list leaves out. */
  authorize(principal: Principal, model: string): void {
    const refusing = principal.levels.find((level) => level.allows && !level.allows(model))
    if (refusing) {
      throw new GatewayError({
        status: 403,
        type: 'permission_error',
        code: 'model_not_allowed',
        param: 'model',
        message: `${describe(refusing)} may not use model '${model}'.`,
      })
    }
  }

  /** May a model served by this target be billed? Unpriced paid models cannot be held to a budget. */
  priceOf(target: PricedTarget): ModelPrice | undefined {
    return this.#options.prices.lookup(target) ?? (FREE_PROVIDER_TYPES.has(target.providerType) ? FREE : undefined)
  }

  /**
   * Admits a request or refuses it with the limit it hit. Reserves the worst
   * case over every target the route might use, so a fallback to a dearer
   * target is still covered.
   */
  async admit(
    principal: Principal,
    request: ChatRequest | EmbeddingsRequest,
    candidates: readonly PricedTarget[],
  ): Promise<Admission> {
    const { levels } = principal
    if (levels.length === 0) return new Admission(this, [], 0, [], NO_PROMPT)
    const promptTokens = exactPromptTokens(request)
    // The tokenizer costs tens of µs per request: a reservation is a ceiling settled with the real
    // usage later, so it starts from a tokenizer-free bound. Token-per-minute limits count for real.
    const counted = levels.some((l) => l.limits.tpm)
    let reservation = this.#worstCase(
      principal,
      request,
      counted ? promptTokens() : promptTokensBound(request),
      candidates,
    )
    const slots = levels.flatMap((l) =>
      l.limits.concurrent ? [{ id: `conc:${l.id}`, limit: l.limits.concurrent }] : [],
    )
    const rates = rateChecks(levels, promptTokens)
    const { store } = this.#options
    const now = Date.now()
    try {
      const acquired = await store.acquire(slots)
      if (!acquired.ok)
        throw tooMany(levelOf(levels, acquired.failed), `${acquired.limit} concurrent requests`, undefined)
      const consumed = await store.consume(rates, now)
      if (!consumed.ok) {
        await store.release(slots.map((s) => s.id))
        const unit = consumed.failed.startsWith('rpm:') ? 'requests' : 'tokens'
        throw tooMany(levelOf(levels, consumed.failed), `${consumed.limit} ${unit} per minute`, consumed.retryAfterMs)
      }
      const checks = levels.map((l) => l.budget)
      let reserved = await store.reserve(checks, reservation, now)
      if (!reserved.ok && !counted) {
        // The bound may overstate the prompt severalfold: only the exact count may refuse a request.
        reservation = this.#worstCase(principal, request, promptTokens(), candidates)
        reserved = await store.reserve(checks, reservation, now)
      }
      if (!reserved.ok) {
        await store.release(slots.map((s) => s.id))
        await store.adjust(
          rates.map((r) => ({ ...r, amount: -r.amount })),
          now,
        )
        throw budgetExhausted(levelOf(levels, reserved.failed), reserved.resetsAt, now)
      }
      return new Admission(this, levels, reservation, rates, promptTokens)
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      return this.#storeDown(error)
    }
  }

  #storeDown(error: StoreUnavailableError): Admission {
    this.#options.logger.error({ err: error }, 'governance store unreachable')
    if (this.#options.failOpen) return new Admission(this, [], 0, [], NO_PROMPT)
    throw new GatewayError({
      status: 503,
      type: 'api_error',
      code: 'governance_unavailable',
      message: 'Budgets and rate limits cannot be checked right now, so the request was refused. Try again shortly.',
      headers: { 'retry-after': '1' },
    })
  }

  #worstCase(
    principal: Principal,
    request: ChatRequest | EmbeddingsRequest,
    promptTokens: number,
    candidates: readonly PricedTarget[],
  ): number {
    const budgeted = principal.levels.some((l) => l.budgetConfig)
    const chat = 'messages' in request ? (request as ChatRequest) : undefined
    // Embeddings produce no output tokens; a chat without a cap may use the model's whole output.
    const requested: number | undefined = chat ? (chat.max_completion_tokens ?? chat.max_tokens ?? undefined) : 0
    let worst = 0
    for (const target of candidates) {
      const price = this.priceOf(target)
      if (!price) {
        if (!budgeted) continue
        throw new GatewayError({
          status: 503,
          type: 'api_error',
          code: 'unpriced_model',
          message: `No price is known for ${target.provider}/${target.model}, so it cannot be held to a budget. Add pricing.overrides['${target.provider}/${target.model}'] to the config.`,
        })
      }
      const maxOutput = requested ?? price.maxOutputTokens ?? this.#options.defaultMaxOutputTokens
      worst = Math.max(worst, worstCaseNanos(promptTokens, maxOutput, price))
    }
    return worst
  }

  /** @internal used by Admission */
  async settleAdmission(admission: Admission, actualNanos: number, totalTokens: number): Promise<void> {
    const { store, logger } = this.#options
    const now = Date.now()
    try {
      await store.settle(
        admission.levels.map((l) => l.budget),
        admission.reservedNanos,
        actualNanos,
        now,
      )
      const tpm = admission.rates.filter((r) => r.id.startsWith('tpm:'))
      if (tpm.length > 0)
        await store.adjust(
          tpm.map((r) => ({ ...r, amount: totalTokens - admission.promptTokens })),
          now,
        )
      const slots = admission.levels.filter((l) => l.limits.concurrent).map((l) => `conc:${l.id}`)
      if (slots.length > 0) await store.release(slots)
    } catch (error) {
      // The answer is already on its way; a lost settlement is logged, never thrown at the client.
      logger.error({ err: error, levels: admission.levels.map((l) => l.id), actualNanos }, 'could not settle a request')
    }
  }
}

/** One admitted request's hold on budgets and limits, released exactly once by `settle`. */
export class Admission {
  readonly #governor: Governor
  readonly levels: readonly GovernedLevel[]
  readonly reservedNanos: number
  readonly rates: readonly RateCheck[]
  readonly #promptTokens: () => number
  #settled: Promise<number> | undefined

  constructor(
    governor: Governor,
    levels: readonly GovernedLevel[],
    reservedNanos: number,
    rates: readonly RateCheck[],
    promptTokens: () => number,
  ) {
    this.#governor = governor
    this.levels = levels
    this.reservedNanos = reservedNanos
    this.rates = rates
    this.#promptTokens = promptTokens
  }

  /** The prompt's exact tokens; counted (with the tokenizer) only when someone asks. */
  get promptTokens(): number {
    return this.#promptTokens()
  }

  /** The request's cost in nanodollars for this usage at this target (0 when nothing was served). */
  costOf(usage: Usage | null, target: PricedTarget | null): number {
    if (!usage || !target) return 0
    return costNanos(usage, this.#governor.priceOf(target) ?? FREE)
  }

  /** Books the real cost and frees what the request held. Idempotent: the first call wins. */
  settle(usage: Usage | null, target: PricedTarget | null): Promise<number> {
    this.#settled ??= (async () => {
      const cost = this.costOf(usage, target)
      if (this.levels.length > 0) await this.#governor.settleAdmission(this, cost, usage?.total_tokens ?? 0)
      return cost
    })()
    return this.#settled
  }
}

function rateChecks(levels: readonly GovernedLevel[], promptTokens: () => number): RateCheck[] {
  return levels.flatMap((level) => [
    ...(level.limits.rpm ? [{ id: `rpm:${level.id}`, limit: level.limits.rpm, windowMs: MINUTE_MS, amount: 1 }] : []),
    ...(level.limits.tpm
      ? [{ id: `tpm:${level.id}`, limit: level.limits.tpm, windowMs: MINUTE_MS, amount: promptTokens() }]
      : []),
  ])
}

/** The request's prompt tokens, counted with the tokenizer on first call only. */
function exactPromptTokens(request: ChatRequest | EmbeddingsRequest): () => number {
  let tokens: number | undefined
  return () =>
    (tokens ??=
      'messages' in request
        ? countPromptTokens(request as ChatRequest)
        : embeddingTokens(request as EmbeddingsRequest, countTextTokens))
}

/** A ceiling on the request's prompt tokens, without the tokenizer. */
function promptTokensBound(request: ChatRequest | EmbeddingsRequest): number {
  return 'messages' in request
    ? promptTokensAtMost(request as ChatRequest)
    : embeddingTokens(request as EmbeddingsRequest, textTokensAtMost)
}

function embeddingTokens(request: EmbeddingsRequest, count: (text: string) => number): number {
  const inputs = Array.isArray(request.input) ? request.input : [request.input]
  return inputs.reduce<number>(
    (sum, input) => sum + (typeof input === 'string' ? count(input) : Array.isArray(input) ? input.length : 1),
    0,
  )
}

/** The level a store id (`rpm:team:ml`, `conc:key:x`, `team:ml`) refers to. */
function levelOf(levels: readonly GovernedLevel[], storeId: string): GovernedLevel {
  return levels.find((l) => storeId === l.id || storeId.endsWith(`:${l.id}`)) ?? (levels[0] as GovernedLevel)
}

function describe(level: GovernedLevel): string {
  return `${level.kind === 'key' ? 'Key' : level.kind === 'team' ? 'Team' : 'Org'} '${level.name}'`
}

function tooMany(level: GovernedLevel, limit: string, retryAfterMs: number | undefined): GatewayError {
  return new GatewayError({
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    message: `Rate limit reached: ${describe(level)} allows ${limit}.`,
    headers:
      retryAfterMs === undefined
        ? { 'retry-after': '1' }
        : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  })
}

function budgetExhausted(level: GovernedLevel, resetsAt: Date | null, now: number): GatewayError {
  const budget = level.budgetConfig
  const amount = budget
    ? `$${budget.usd.toFixed(2)} ${budget.period === 'total' ? 'in total' : `per ${budget.period}`}`
    : 'budget'
  const when = resetsAt
    ? ` It resets at ${resetsAt.toISOString()}.`
    : budget?.period === 'total'
      ? ''
      : ' Spend leaves the rolling window over time.'
  return new GatewayError({
    status: 429,
    type: 'insufficient_quota',
    code: 'budget_exceeded',
    message: `Budget exhausted: ${describe(level)} has used its ${amount}.${when}`,
    headers: {
      // The SDKs retry 429s; waiting does not help an exhausted budget, so tell them not to.
      'x-should-retry': 'false',
      ...(resetsAt && { 'retry-after': String(Math.max(1, Math.ceil((resetsAt.getTime() - now) / 1000))) }),
    },
  })
}
