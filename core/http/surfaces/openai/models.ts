/**
 * `GET /v1/models`: the routes and "provider/model" names this caller may use,
 * in OpenAI's list format. Authenticated like every data-plane endpoint.
 */
import type { Request, Response } from 'express'
import type { Principal } from '../../../governance/principal.js'
import type { RuntimeHolder } from '../../../runtime/holder.js'
import type { Runtime } from '../../../runtime/runtime.js'

/** Every model name the caller's key, team and org all allow; the other surfaces list the same names. */
export function allowedModels(runtime: Runtime, principal: Principal): string[] {
  return runtime.routes
    .modelNames()
    .filter((id) => principal.levels.every((level) => !level.allows || level.allows(id)))
}

export function listModels(holder: RuntimeHolder) {
  return (req: Request, res: Response): void => {
    const lease = holder.acquire()
    try {
      const { runtime } = lease
      const created = Math.floor(runtime.loadedAt.getTime() / 1000)
      res.json({
        object: 'list',
        data: allowedModels(runtime, runtime.governor.authenticate(req.headers)).map((id) => ({
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
