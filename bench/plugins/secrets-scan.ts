/**
 * A stand-in for the secrets plugin to come, for the bench: scans every
 * message's text with the kind of rules secret scanners use (provider key
 * formats, private key blocks, JWTs, credentials in URLs, `password=...`
 * assignments) and blocks or masks what it finds. The bench's requests hold
 * no secret, so this measures the scan of a clean prompt: the common case.
 */
import { definePlugin, GatewayError, type RequestContext } from '../../core/index.js'

type Options = {
  /** block: refuse the request (400 secret_detected); mask: replace the match and go on. */
  action?: 'block' | 'mask'
}

const RULES: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  {
    name: 'aws-secret-access-key',
    pattern: /aws.{0,20}(?:secret|key).{0,20}['"\s:=]+[0-9a-zA-Z/+]{40}\b/gi,
  },
  { name: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b/g },
  { name: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b/g },
  { name: 'anthropic-key', pattern: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}\b/g },
  { name: 'slack-token', pattern: /\bxox[abposr]-[0-9A-Za-z-]{10,48}\b/g },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,99}\b/g },
  { name: 'private-key', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----/g },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g },
  { name: 'url-credentials', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@[^\s/]+/gi },
  {
    name: 'generic-secret',
    pattern: /\b(?:api[_-]?key|secret|token|passw(?:or)?d)\b\s*[:=]\s*['"]?[A-Za-z0-9_\-/+=.]{16,}/gi,
  },
]

type Part = { type?: string; text?: unknown }

export default definePlugin<Options>({
  name: 'bench-secrets-scan',
  options: {
    type: 'object',
    properties: { action: { enum: ['block', 'mask'] } },
    additionalProperties: false,
  },
  setup(options, api) {
    const action = options.action ?? 'block'
    const found = api.metrics.counter('found_total', 'Secrets found in requests, by rule.', ['rule'])

    /** The text with every match masked, or null when nothing matched. Throws when blocking. */
    const scan = (ctx: RequestContext, text: string, param: string): string | null => {
      let masked: string | null = null
      for (const { name, pattern } of RULES) {
        pattern.lastIndex = 0
        if (!pattern.test(text)) continue
        found.inc({ rule: name })
        if (action === 'block') {
          api.verdict('block', ctx)
          throw new GatewayError({
            status: 400,
            type: 'invalid_request_error',
            code: 'secret_detected',
            param,
            message: `The request contains what looks like a secret (${name}); remove it and try again.`,
          })
        }
        masked = (masked ?? text).replace(pattern, `[${name}]`)
      }
      return masked
    }

    return {
      onRequest(ctx) {
        const messages = (ctx.body as { messages?: Array<{ content?: unknown }> }).messages
        if (!messages) return
        let redacted = false
        messages.forEach((message, i) => {
          const { content } = message
          if (typeof content === 'string') {
            const masked = scan(ctx, content, `messages[${i}].content`)
            if (masked !== null) {
              message.content = masked
              redacted = true
            }
          } else if (Array.isArray(content)) {
            ;(content as Part[]).forEach((part, j) => {
              if (part.type !== 'text' || typeof part.text !== 'string') return
              const masked = scan(ctx, part.text, `messages[${i}].content[${j}].text`)
              if (masked !== null) {
                part.text = masked
                redacted = true
              }
            })
          }
        })
        api.verdict(redacted ? 'redact' : 'allow', ctx)
      },
    }
  },
})
