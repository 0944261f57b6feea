/**
 * `GET /{version}/models` and `GET /{version}/models/{model}`: the routes and
 * "provider/model" names this caller may use, as Gemini `Model` resources
 * (`name: "models/<gateway model>"`), so the SDK's `models.list()` pager and
 * `models.get()` work. Authenticated like every data-plane endpoint.
 */
import type { Request, Response } from 'express'
import { badRequest } from '../../../errors.js'
import type { Runtime } from '../../../runtime/runtime.js'

/** The methods a gateway model serves on this surface. */
const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens']
/** Google's default and maximum page sizes for models.list. */
const DEFAULT_PAGE_SIZE = 50
const MAX_PAGE_SIZE = 1000

export function modelResource(id: string, runtime: Runtime) {
  const slash = id.indexOf('/')
  return {
    name: `models/${id}`,
    baseModelId: id,
    displayName: id,
    description: runtime.routes.get(id)
      ? `Gateway route '${id}'.`
      : `Model '${id.slice(slash + 1)}' of provider '${id.slice(0, slash)}'.`,
    supportedGenerationMethods: METHODS,
  }
}

/**
 * One page of the caller's models. The page token is the offset of the
 * page's first model: the list is small and rebuilt per call, so a cursor
 * needs no server state (a reload between pages may shift it, as any
 * offset-based list would).
 */
export function listGenaiModels(runtime: Runtime, req: Request, res: Response): void {
  const principal = runtime.governor.authenticate(req.headers)
  const allowed = (id: string) => principal.levels.every((level) => !level.allows || level.allows(id))
  const models = runtime.routes.modelNames().filter(allowed)
  const size = pageSize(req.query.pageSize)
  const start = pageStart(req.query.pageToken, models.length)
  const page = models.slice(start, start + size)
  const next = start + size < models.length ? Buffer.from(String(start + size)).toString('base64url') : undefined
  res.json({ models: page.map((id) => modelResource(id, runtime)), ...(next && { nextPageToken: next }) })
}

export function getGenaiModel(runtime: Runtime, req: Request, res: Response, id: string): void {
  const principal = runtime.governor.authenticate(req.headers)
  // Whatever a request could use is a model here: an unknown one is the 404 a request to it would get.
  runtime.routes.resolve(id)
  runtime.governor.authorize(principal, id)
  res.json(modelResource(id, runtime))
}

function pageSize(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE
  const size = Number(value)
  if (!Number.isInteger(size) || size < 0)
    throw badRequest("Invalid value at 'pageSize': must be a non-negative integer.", 'pageSize')
  // Google's rule: 0 means the default; larger than the maximum is the maximum.
  return size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE)
}

function pageStart(value: unknown, total: number): number {
  if (value === undefined || value === '') return 0
  const start = typeof value === 'string' ? Number(Buffer.from(value, 'base64url').toString()) : Number.NaN
  if (!Number.isInteger(start) || start < 0 || start > total) {
    throw badRequest("Invalid value at 'pageToken': not a token this gateway issued.", 'pageToken')
  }
  return start
}
