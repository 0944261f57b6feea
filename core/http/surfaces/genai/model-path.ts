/**
 * Reads Google's resource paths, relative to the surface's mount point:
 * `/{version}/models/{model}:{method}` and `/{version}/models/{model}`.
 *
 * `{model}` is a gateway model name: a route name or "provider/model". The
 * SDK puts it in the path as it is, so it may contain `/` (and, for some
 * providers' ids, `:`); a client may also URL-encode it. So the model is
 * everything after `models/` up to the LAST `:`, decoded.
 */
import { badRequest } from '../../../errors.js'

/** The API versions Google serves this surface under; the SDK's default is v1beta. */
const VERSIONS = new Set(['v1', 'v1beta', 'v1alpha'])

export interface ModelPath {
  version: string
  /** Everything after `models/`, decoded: the model itself when the request names no method (GET). */
  resource: string
  /** The model a method is called on: the resource up to its last `:`. */
  model: string
  /** `generateContent`, `streamGenerateContent`, ...; null for the model resource itself. */
  method: string | null
}

/** Null when the path is not a model resource at all (the caller answers 404). */
export function parseModelPath(path: string): ModelPath | null {
  const match = /^\/([^/]+)\/models\/(.+)$/.exec(path)
  if (!match || !VERSIONS.has(match[1] as string)) return null
  let rest: string
  try {
    rest = decodeURIComponent(match[2] as string)
  } catch {
    throw badRequest(`The model name in '${path}' is not validly URL-encoded.`, 'model', 'invalid_model')
  }
  const colon = rest.lastIndexOf(':')
  // A colon inside the model's last segment only: `models/a:b/c` has no method.
  const method = colon >= 0 && !rest.slice(colon + 1).includes('/') ? rest.slice(colon + 1) : null
  const model = method === null ? rest : rest.slice(0, colon)
  if (!model) return null
  return { version: match[1] as string, resource: rest, model, method }
}

/** `/v1beta/models`: the list of models. */
export function isModelList(path: string): boolean {
  const match = /^\/([^/]+)\/models\/?$/.exec(path)
  return match !== null && VERSIONS.has(match[1] as string)
}
