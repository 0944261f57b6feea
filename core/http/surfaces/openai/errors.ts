/**
 * Errors in OpenAI's wire format: `{ "error": { message, type, param, code } }`,
 * the shape the openai SDKs parse into their typed exceptions.
 */
import type { Response } from 'express'
import type { GatewayError } from '../../../errors.js'
import { sendJson } from '../../send-json.js'

export function openAIErrorBody(error: GatewayError, scrub: (text: string) => string) {
  return { error: { message: scrub(error.message), type: error.type, param: error.param, code: error.code } }
}

export function sendOpenAIError(res: Response, error: GatewayError, scrub: (text: string) => string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
  sendJson(res, error.status, openAIErrorBody(error, scrub))
}
