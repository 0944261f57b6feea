/** `GET /v1/models`: the routes and "provider/model" names this gateway serves, in OpenAI's list format. */
import type { Request, Response } from 'express'
import type { RuntimeHolder } from '../../../runtime/holder.js'

export function listModels(holder: RuntimeHolder) {
  return (_req: Request, res: Response): void => {
    const lease = holder.acquire()
    try {
      const { runtime } = lease
      const created = Math.floor(runtime.loadedAt.getTime() / 1000)
      res.json({
        object: 'list',
        data: runtime.routes.modelNames().map((id) => ({
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
