/** `GET /anthropic/v1/models`: the models this caller may use, in Anthropic's paginated list format (one page). */
import type { Request, Response } from 'express'
import { asGatewayError, type SurfaceDeps } from '../../exchange.js'
import { allowedModels } from '../openai/models.js'
import { sendAnthropicError } from './errors.js'

export function listAnthropicModels({ holder, logger, scrub }: SurfaceDeps) {
  return (req: Request, res: Response): void => {
    const lease = holder.acquire()
    try {
      const { runtime } = lease
      const ids = allowedModels(runtime, runtime.governor.authenticate(req.headers))
      const createdAt = runtime.loadedAt.toISOString()
      res.json({
        data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: createdAt })),
        has_more: false,
        first_id: ids[0] ?? null,
        last_id: ids.at(-1) ?? null,
      })
    } catch (error) {
      sendAnthropicError(res, asGatewayError(error, logger), scrub)
    } finally {
      lease.release()
    }
  }
}
