/**
 * `api.reject`: how a plugin that does not import llm-gateway refuses a
 * request. It gets back the engine's own GatewayError, so the chain treats
 * the refusal as deliberate (not as the plugin failing) and the surface
 * renders it like any other client error.
 */
import { type ErrorType, GatewayError } from '../errors.js'
import type { PluginRejection } from './types.js'

const TYPE_BY_STATUS: Readonly<Record<number, ErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
}

export function pluginRejection(rejection: PluginRejection): GatewayError {
  const status = rejection.status ?? 400
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new TypeError(`api.reject: status must be an integer from 400 to 599, not ${String(status)}`)
  }
  if (typeof rejection.code !== 'string' || rejection.code === '') {
    throw new TypeError('api.reject: code must be a non-empty string')
  }
  if (typeof rejection.message !== 'string' || rejection.message === '') {
    throw new TypeError('api.reject: message must be a non-empty string')
  }
  return new GatewayError({
    status,
    type: rejection.type ?? TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'),
    code: rejection.code,
    message: rejection.message,
    param: rejection.param ?? null,
    headers: { ...rejection.headers },
  })
}
