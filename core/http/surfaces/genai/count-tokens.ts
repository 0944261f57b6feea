/**
 * `models/{model}:countTokens`: the prompt's tokens, as the gateway counts
 * them for budgets and rate limits (o200k_base, OpenAI's message recipe; an
 * estimate for other vendors' models, see core/governance/tokens.ts). No
 * upstream is called, so it costs nothing; the caller must still be allowed
 * the model.
 *
 * Google accepts the request's `contents` (with an optional
 * `systemInstruction`, `tools`) at the top level or a whole
 * `generateContentRequest`; both are read here.
 */
import type { Request, Response } from 'express'
import { badRequest } from '../../../errors.js'
import { countPromptTokens } from '../../../governance/tokens.js'
import type { Runtime } from '../../../runtime/runtime.js'
import { parseGenerateContent } from './parse-request.js'

export function countGenaiTokens(runtime: Runtime, req: Request, res: Response, model: string): void {
  const principal = runtime.governor.authenticate(req.headers)
  runtime.routes.resolve(model)
  runtime.governor.authorize(principal, model)
  const body = req.body as unknown
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_body')
  }
  const wrapped = (body as { generateContentRequest?: unknown }).generateContentRequest
  const request = parseGenerateContent(wrapped ?? body, { model, stream: false })
  res.json({ totalTokens: countPromptTokens(request) })
}
