/**
 * The Anthropic drop-in surface: `POST /anthropic/v1/messages` (JSON or an
 * SSE stream with `event:` lines) and `/v1/messages/count_tokens`, served by
 * the same policies, governance, plugins and routing as the OpenAI surface,
 * so an Anthropic SDK client can reach any provider. The SDKs send the key
 * as `x-api-key` (0.x) or `Authorization: Bearer` (1.x); both are accepted.
 */
import type { Request, Response } from 'express'
import { countPromptTokens } from '../../../governance/tokens.js'
import { chatHandler } from '../../chat/serve-chat.js'
import type { ChatSurface } from '../../chat/surface.js'
import { asGatewayError, type SurfaceDeps } from '../../exchange.js'
import { sendAnthropicError } from './errors.js'
import { renderAnthropicMessage } from './render-message.js'
import { anthropicStreamEncoder } from './stream-encoder.js'
import { parseCountTokensRequest, parseMessagesRequest } from './translate-request.js'

export const anthropicSurface: ChatSurface = {
  name: 'anthropic',
  renderCompletion: renderAnthropicMessage,
  streamEncoder: anthropicStreamEncoder,
  sendError: sendAnthropicError,
}

export function anthropicMessages(deps: SurfaceDeps) {
  return chatHandler(deps, anthropicSurface, parseMessagesRequest)
}

/**
 * `count_tokens` answers from the gateway's own tokenizer (the count every
 * budget reservation uses), whatever provider would serve the model.
 */
export function anthropicCountTokens({ holder, logger, scrub }: SurfaceDeps) {
  return (req: Request, res: Response): void => {
    const lease = holder.acquire()
    try {
      const { runtime } = lease
      const principal = runtime.governor.authenticate(req.headers)
      const request = parseCountTokensRequest(req.body)
      runtime.governor.authorize(principal, request.model)
      res.json({ input_tokens: countPromptTokens(request) })
    } catch (error) {
      sendAnthropicError(res, asGatewayError(error, logger), scrub)
    } finally {
      lease.release()
    }
  }
}
