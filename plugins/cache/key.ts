/**
 * The exact cache's key: a SHA-256 of the normalised request, the route that
 * serves it and the model, as canonical JSON (object keys sorted, so their
 * order never matters). Normalising drops what cannot change the answer and
 * writes defaults out, so requests that mean the same share one key.
 * The semantic cache reuses these functions.
 */
import { createHash } from 'node:crypto'
import type { ChatRequest } from '../../core/index.js'
import { canonicalJson } from '../shared/canonical-json.js'

/** Bump when the normalisation changes, so old entries are not read with a new meaning. */
export const KEY_VERSION = 1

/**
 * Top-level fields left out of the key: they change how the answer is
 * delivered, billed or attributed, never what it says.
 */
export const IGNORED_FIELDS: readonly string[] = [
  'stream', // JSON or SSE: the same answer either way (both are served from one entry)
  'stream_options', // whether a stream ends with a usage chunk
  'user', // end-user id for abuse tracking
  'safety_identifier', // ditto (OpenAI's newer name)
  'metadata', // free-form labels (stored completions)
  'store', // whether OpenAI stores the completion
  'service_tier', // latency/price tier
  'prompt_cache_key', // the provider's own prompt-cache routing hint
]

/**
 * Fields whose value, when it equals the default, is the same as leaving
 * them out (OpenAI's defaults). `null` is also treated as "not set".
 */
export const DEFAULTS: Readonly<Record<string, unknown>> = {
  n: 1,
  temperature: 1,
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  logprobs: false,
  parallel_tool_calls: true,
}

/** The request as the key sees it: ignored fields out, defaults and nulls out, `max_tokens` folded in. */
export function normaliseRequest(body: ChatRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue
    if (IGNORED_FIELDS.includes(field)) continue
    if (field in DEFAULTS && DEFAULTS[field] === value) continue
    out[field] = value
  }
  // `max_tokens` is the older name of `max_completion_tokens`.
  if (out.max_tokens !== undefined && out.max_completion_tokens === undefined) {
    out.max_completion_tokens = out.max_tokens
  }
  delete out.max_tokens
  // tool_choice 'auto' is the default when tools are given, 'none' when not.
  if (out.tool_choice === (Array.isArray(out.tools) && out.tools.length > 0 ? 'auto' : 'none')) delete out.tool_choice
  if (Array.isArray(out.tools) && out.tools.length === 0) delete out.tools
  // top_logprobs means nothing without logprobs.
  if (out.logprobs === undefined) delete out.top_logprobs
  if (Array.isArray(out.messages)) out.messages = out.messages.map(normaliseMessage)
  return out
}

/** A message without null fields (`refusal: null`, `name: null`...) and with empty `annotations` dropped. */
function normaliseMessage(message: unknown): unknown {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return message
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(message)) {
    if (value === null || value === undefined) continue
    if (field === 'annotations' && Array.isArray(value) && value.length === 0) continue
    out[field] = value
  }
  return out
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The exact cache key of a chat request served by `route` (null for a direct `provider/model` request). */
export function cacheKey(body: ChatRequest, route: string | null, partition: string | null = null): string {
  const { model, ...rest } = normaliseRequest(body)
  return sha256(canonicalJson({ v: KEY_VERSION, route, model, partition, request: rest }))
}
