/**
 * What the secrets plugin costs per request: its onRequest over a realistic
 * 4 KB chat prompt (a system prompt, a pasted config and code snippet with
 * the words that wake the generic rules: token, key, password, secret,
 * Bearer, URLs; and no secret), the common case. Mean and p99 over many runs.
 */
import pino from 'pino'
import type { ChatRequest, PluginApi, RequestContext } from '../core/index.js'
import secrets from '../plugins/secrets/index.js'

const SYSTEM =
  'You are a senior backend engineer helping a colleague debug a service. Answer concisely, cite the line you ' +
  'mean, and never ask for credentials: if the user pastes a token, password or API key, tell them to rotate it.'

const USER = `Our billing worker started failing after the deploy this morning. Here is the config and the client code.

config/billing.yaml:
service:
  name: billing-worker
  replicas: 3
  queue: amqp://rabbit.internal:5672/billing
  database_url: postgres://billing@db.internal:5432/billing
  password_min_length: 12
  token_expiry_seconds: 3600
  api_key_header: X-Api-Key
  secret_name: prod/billing/stripe
  max_tokens: 2048

src/client.ts:
import { createHash } from 'node:crypto'
export class BillingClient {
  constructor(private readonly apiKey: string, private readonly baseUrl = 'https://api.billing.internal/v2') {}
  async charge(customerId: string, amountCents: number): Promise<Charge> {
    const idempotencyKey = createHash('sha256').update(customerId + ':' + amountCents).digest('hex')
    const res = await fetch(this.baseUrl + '/charges', {
      method: 'POST',
      headers: {
        authorization: \`Bearer \${this.apiKey}\`,
        'idempotency-key': idempotencyKey,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ customer: customerId, amount: amountCents, currency: 'eur' }),
    })
    if (res.status === 401) throw new Error('token rejected: check the secret in the vault')
    if (!res.ok) throw new Error(\`charge failed: \${res.status} \${await res.text()}\`)
    return (await res.json()) as Charge
  }
}

The logs show:
2024-05-11T10:22:31.123Z ERROR request_id=6f1c2a7e-91b4-4c3e-8d0f-2b7e9a1c5d44 charge failed: 401 {"error":"invalid_token"}
2024-05-11T10:22:31.456Z WARN  retrying in 2000ms (attempt 2 of 5) trace_id=4bf92f3577b34da6a3ce929d0e0e4736
2024-05-11T10:22:33.789Z ERROR giving up after 5 attempts, commit 9fceb02d0ae598e95dc970b74767f19372d61af8

We rotated the Stripe key last week via the secret manager and the worker reads it from the environment at startup
(process.env.STRIPE_SECRET_KEY). The password for the database did not change. Could it be that the worker caches
the old key across restarts, or that the Kubernetes secret was not updated? The deployment uses:

env:
  - name: STRIPE_SECRET_KEY
    valueFrom:
      secretKeyRef:
        name: billing-secrets
        key: stripe-secret-key
  - name: DATABASE_PASSWORD
    valueFrom:
      secretKeyRef:
        name: billing-secrets
        key: db-password

What should I check first, and how do I verify which key the running pod actually uses without printing it?
Also, is it safe to log the first four characters of the key for debugging? Our security team says no, but the
on-call runbook suggests it.

For context, the retry helper we use everywhere:

export async function withRetry<T>(fn: () => Promise<T>, attempts = 5, delayMs = 2000): Promise<T> {
  let last: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn()
    } catch (error) {
      last = error
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delayMs * attempt))
    }
  }
  throw last
}

And the health check output from the pod (kubectl exec billing-worker-7d9f8b6c5-x2x7q -- curl -s localhost:8080/health):
{"status":"degraded","checks":{"database":"ok","queue":"ok","stripe":"unauthorized","cache":"ok"},"version":"2.14.0"}

Thanks in advance, I have been staring at this for two hours and the incident channel is getting impatient.`

function body(): ChatRequest {
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: USER },
    ],
  }
}

function stubApi(): PluginApi {
  const noop = { inc() {}, observe() {} }
  return {
    logger: pino({ level: 'silent' }),
    store: { get: async () => undefined, set: async () => {}, delete: async () => false },
    metrics: { counter: () => noop, histogram: () => noop },
    env: () => undefined,
    configDir: process.cwd(),
    reject: () => {
      throw new Error('unexpected reject')
    },
    verdict() {},
    gateway: {
      chat: () => Promise.reject(new Error('no gateway')),
      embeddings: () => Promise.reject(new Error('no gateway')),
    },
    cacheLookup() {},
  } as unknown as PluginApi
}

export interface SecretsBenchResult {
  /**
   * Microseconds per 4 KB of prompt: the median over batches of each batch's
   * mean (robust to the scheduler pausing the process on a loaded machine).
   */
  microsPer4kb: number
  /** Over every run, unscaled (the prompt is `promptBytes` long). */
  meanMicros: number
  p50Micros: number
  p99Micros: number
  promptBytes: number
  runs: number
}

export async function benchSecrets(runs = 20_000): Promise<SecretsBenchResult> {
  const hooks = await secrets.definition.setup({ action: 'block' }, stubApi())
  const onRequest = hooks.onRequest!
  const logger = pino({ level: 'silent' })
  const ctx = (): RequestContext => ({
    requestId: 'bench',
    surface: 'openai',
    endpoint: 'chat',
    body: body(),
    headers: {},
    caller: { key: 'k', team: 't', org: null, metadata: {} },
    metadata: {},
    tags: {},
    route: null,
    responseHeaders: {},
    verdicts: {},
    required: new Set(),
    logger,
    signal: new AbortController().signal,
  })
  const promptBytes = Buffer.byteLength(SYSTEM) + Buffer.byteLength(USER)
  for (let i = 0; i < 2000; i++) onRequest(ctx())
  const samples = new Float64Array(runs)
  const batch = 500
  const batchMeans: number[] = []
  let batchSum = 0
  for (let i = 0; i < runs; i++) {
    const c = ctx()
    const start = process.hrtime.bigint()
    onRequest(c)
    samples[i] = Number(process.hrtime.bigint() - start) / 1000
    batchSum += samples[i]!
    if ((i + 1) % batch === 0) {
      batchMeans.push(batchSum / batch)
      batchSum = 0
    }
  }
  batchMeans.sort((a, b) => a - b)
  const mean = samples.reduce((a, b) => a + b, 0) / runs
  samples.sort()
  const perBatch = batchMeans[Math.floor(batchMeans.length / 2)] ?? mean
  return {
    microsPer4kb: round((perBatch * 4096) / promptBytes),
    meanMicros: round(mean),
    p50Micros: round(samples[Math.floor(runs * 0.5)]!),
    p99Micros: round(samples[Math.floor(runs * 0.99)]!),
    promptBytes,
    runs,
  }
}

const round = (x: number) => Math.round(x * 10) / 10

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  console.log(await benchSecrets())
}
