/**
 * `GET /v1/models`: the routes and "provider/model" names this caller may use,
 * in OpenAI's list format. Authenticated like every data-plane endpoint.
 */
import type { Request, Response } from 'express'
import type { RuntimeHolder } from '../../../runtime/holder.js'

export function listModels(holder: RuntimeHolder) {
  return (req: Request, res: Response): void => {
    const lease = holder.acquire()
    try {
      const { runtime } = lease
      const principal = runtime.governor.authenticate(req.headers)
      const allowed = (id: string) => principal.levels.every((level) => !level.allows || level.allows(id))
      const created = Math.floor(runtime.loadedAt.getTime() / 1000)
      res.json({
        object: 'list',
        data: runtime.routes
          .modelNames()
          .filter(allowed)
          .map((id) => ({
            id,
            object: 'model',
            created,
            owned_by: runtime.routes.get(id) ? 'gateway' : id.slice(0, id.indexOf('/')),
          })),
      })
    } finally {
      lease.release()
    }
  }
}
