/**
 * Moderation guardrail: before routing, the request's text is sent to a
 * moderation model through the gateway's own provider layer
 * (`api.gateway.chat` on a configured route: routing, retries, fallbacks and
 * breakers apply; governance, policies and plugins do not). The model answers
 * in the OpenAI moderation result shape, as JSON:
 *
 *   {"flagged": bool, "categories": {"<category>": bool}, "category_scores": {"<category>": 0..1}}
 *
 * A category whose score reaches its threshold blocks the request with 400
 * `content_flagged` naming the categories. A failed, unreadable or late
 * moderation call refuses the request (503, fail closed) unless the plugin's
 * entry sets `failOpen: true`; the whole check must finish within the entry's
 * `timeoutMs` (default 2000 ms), and `callTimeoutMs` aborts the model call itself.
 */
import type { ChatMessage, ChatRequest, EmbeddingsRequest, RequestContext } from '../../core/index.js'
import { definePlugin } from '../../core/index.js'

/** OpenAI's moderation categories. */
export const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const

export interface ModerationOptions {
  /** The route (or "provider/model") of the moderation model. */
  route: string
  /** Score at or above which a category blocks (default 0.5). */
  threshold?: number
  /** Per-category thresholds, overriding `threshold`; 1.01 or more turns a category off. */
  thresholds?: Record<string, number>
  /** Which messages are checked (default: user messages). */
  roles?: string[]
  /** At most this many characters are sent, the latest kept (default 20000). */
  maxChars?: number
  /** Aborts the moderation call after this long (default 1500 ms; keep it under the entry's timeoutMs). */
  callTimeoutMs?: number
  /** The system prompt; the default states the JSON contract above. */
  prompt?: string
}

export const DEFAULT_PROMPT = `You are a content moderation classifier. Classify the user-provided text that follows.
Answer with ONE JSON object and nothing else, in the OpenAI moderation result shape:
{"flagged": <boolean>, "categories": {"<category>": <boolean>, ...}, "category_scores": {"<category>": <number 0..1>, ...}}
Score every one of these categories: ${CATEGORIES.join(', ')}.
A score is the probability that the text belongs to the category.`

export interface ModerationResult {
  flagged: boolean
  categories: Record<string, boolean>
  category_scores: Record<string, number>
}

/** Reads the model's answer: the first JSON object in it (code fences tolerated). Throws when there is none. */
export function parseModeration(text: string): ModerationResult {
  const start = text.indexOf('{')
  const end = text.lastIndexOf('}')
  if (start === -1 || end < start) throw new Error('the moderation model did not answer with JSON')
  const parsed = JSON.parse(text.slice(start, end + 1)) as Partial<ModerationResult> & {
    results?: Partial<ModerationResult>[]
  }
  // The /moderations response wraps the result in `results`; accept either.
  const result = parsed.results?.[0] ?? parsed
  const scores = result.category_scores
  if (!scores || typeof scores !== 'object') throw new Error('the moderation answer has no category_scores')
  for (const [category, score] of Object.entries(scores))
    if (typeof score !== 'number' || !Number.isFinite(score))
      throw new Error(`the moderation answer's score for '${category}' is not a number`)
  return { flagged: result.flagged === true, categories: result.categories ?? {}, category_scores: scores }
}

function textOf(message: ChatMessage): string {
  const { content } = message
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n')
}

function requestText(ctx: RequestContext, roles: readonly string[]): string {
  if (ctx.endpoint === 'embeddings') {
    const input = (ctx.body as EmbeddingsRequest).input
    const items: unknown[] = Array.isArray(input) ? input : [input]
    return items.filter((item): item is string => typeof item === 'string').join('\n')
  }
  return (ctx.body as ChatRequest).messages
    .filter((m) => roles.includes(m.role))
    .map(textOf)
    .filter(Boolean)
    .join('\n')
}

export default definePlugin<ModerationOptions>({
  name: 'moderation',
  options: {
    type: 'object',
    required: ['route'],
    additionalProperties: false,
    properties: {
      route: { type: 'string', minLength: 1, description: 'The route or "provider/model" of the moderation model.' },
      threshold: {
        type: 'number',
        minimum: 0,
        default: 0.5,
        description: 'Score at or above which a category blocks.',
      },
      thresholds: {
        type: 'object',
        additionalProperties: { type: 'number', minimum: 0 },
        description: 'Per-category thresholds (e.g. { "violence": 0.8 }); above 1 turns a category off.',
      },
      roles: { type: 'array', items: { type: 'string' }, default: ['user'], description: 'Messages checked, by role.' },
      maxChars: { type: 'integer', minimum: 1, default: 20000, description: 'Characters sent (the latest kept).' },
      callTimeoutMs: { type: 'integer', minimum: 1, default: 1500, description: 'Aborts the moderation call.' },
      prompt: { type: 'string', minLength: 1, description: 'System prompt; must ask for the JSON contract.' },
    },
  },
  setup(options, api) {
    const threshold = options.threshold ?? 0.5
    const roles = options.roles ?? ['user']
    const maxChars = options.maxChars ?? 20000
    const callTimeoutMs = options.callTimeoutMs ?? 1500
    const prompt = options.prompt ?? DEFAULT_PROMPT
    const limitFor = (category: string) => options.thresholds?.[category] ?? threshold
    return {
      async onRequest(ctx) {
        const text = requestText(ctx, roles).slice(-maxChars)
        if (!text) return
        let result: ModerationResult
        try {
          const answer = await api.gateway.chat(
            {
              model: options.route,
              temperature: 0,
              messages: [
                { role: 'system', content: prompt },
                { role: 'user', content: text },
              ],
            },
            AbortSignal.any([ctx.signal, AbortSignal.timeout(callTimeoutMs)]),
          )
          const content = answer.choices[0]?.message.content
          result = parseModeration(typeof content === 'string' ? content : '')
        } catch (error) {
          api.verdict('error', ctx)
          // A plain error: the chain refuses with 503 (fail closed) or continues when the entry fails open.
          throw new Error(`moderation call failed: ${(error as Error).message}`)
        }
        const flagged = Object.entries(result.category_scores)
          .filter(([category, score]) => score >= limitFor(category))
          .sort(([, a], [, b]) => b - a)
          .map(([category]) => category)
        if (flagged.length === 0) {
          api.verdict('allow', ctx)
          return
        }
        api.verdict('block', ctx)
        ctx.tags.moderation = flagged.join(',')
        throw api.reject({
          status: 400,
          code: 'content_flagged',
          message: `the request was flagged by moderation: ${flagged.join(', ')}`,
          param: 'messages',
        })
      },
    }
  },
})
