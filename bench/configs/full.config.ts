/**
 * Contender (d): the gateway with a production-like chain on the same
 * provider and route as the minimal config:
 * - virtual keys (auth mode keys; the runner sends BENCH_KEY),
 * - a rate limit on the key and on its team (rpm far above what the bench sends),
 * - budgets on the team and its org (far above what the bench spends: the
 *   worst-case reservation and the settlement still run on every request),
 * - five JSONata rules (one tags every request, the others test and pass),
 * - the secrets plugin (plugins/secrets: 59 credential formats, blocking),
 * - an exact-cache lookup that misses (bench/plugins/exact-cache.ts, keyv via
 *   api.store; the cache plugin itself would store the first answer and turn
 *   the bench's one repeated request into hits),
 * - the audit-file plugin (plugins/audit-file: a hash-chained line per
 *   request, written in batches, fsync after each),
 * - metrics (always on: one prom-client registry per gateway process).
 */
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from '../../core/index.js'
import auditFile from '../../plugins/audit-file/index.js'
import secrets from '../../plugins/secrets/index.js'
import exactCache from '../plugins/exact-cache.js'
import { BENCH_KEY, upstreamBaseUrl } from './shared.js'

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

export default defineConfig({
  log: { level: 'warn' },
  auth: { mode: 'keys' },
  orgs: { acme: { budget: { usd: 1_000_000_000, period: 'month' } } },
  teams: {
    bench: { org: 'acme', budget: { usd: 1_000_000, period: 'month' }, limits: { rpm: 100_000_000 } },
  },
  keys: [{ name: 'bench', hash: sha256(BENCH_KEY), team: 'bench', limits: { rpm: 100_000_000 } }],
  pricing: { overrides: { 'up/bench': { input: 0.15, output: 0.6 } } },
  providers: {
    up: { type: 'openai-compatible', baseUrl: upstreamBaseUrl(), models: ['bench'] },
  },
  routes: {
    bench: { targets: ['up/bench'] },
  },
  policies: [
    { name: 'cap-output', when: 'body.max_tokens > 4096', set: { 'body.max_tokens': 4096 } },
    {
      name: 'interns-no-smart',
      when: 'caller.team = "interns" and body.model = "smart"',
      deny: { status: 403, message: 'smart is not for interns' },
    },
    { name: 'tag-team', when: 'caller.team != null', tag: { team: 'known' } },
    {
      name: 'long-prompt',
      when: '$sum(body.messages.$length($string(content))) > 200000',
      deny: { status: 413, message: 'the prompt is too long' },
    },
    { name: 'temperature-cap', when: 'body.temperature > 1.5', set: { 'body.temperature': 1.5 } },
  ],
  plugins: [
    secrets({ action: 'block' }),
    exactCache({ ttlSeconds: 3600 }),
    auditFile({ path: process.env.BENCH_AUDIT_FILE ?? join(tmpdir(), 'llm-gateway-bench-audit.jsonl') }),
  ],
})
