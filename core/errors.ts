/**
 * The one error type that crosses layers. Every layer throws a GatewayError
 * for a failure the client should see; the surface renders it in its own wire
 * format. Anything else that escapes is a gateway bug and becomes a 500.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'upstream_error'
  | 'timeout_error'
  | 'api_error'

export interface GatewayErrorInit {
  status: number
  type: ErrorType
  message: string
  code?: string | null
  param?: string | null
  /** Response headers that go with the error, e.g. `retry-after`. */
  headers?: Record<string, string>
}

/**
 * A brand instead of `instanceof`: a config or plugin module is evaluated by
 * the config loader, so its GatewayError class is not the engine's own copy.
 */
const GATEWAY_ERROR = Symbol.for('llm-gateway.GatewayError')

export class GatewayError extends Error {
  readonly [GATEWAY_ERROR] = true
  readonly status: number
  readonly type: ErrorType
  readonly code: string | null
  readonly param: string | null
  readonly headers: Record<string, string>

  constructor(init: GatewayErrorInit) {
    super(init.message)
    this.name = 'GatewayError'
    this.status = init.status
    this.type = init.type
    this.code = init.code ?? null
    this.param = init.param ?? null
    this.headers = init.headers ?? {}
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError({ status: 400, type: 'invalid_request_error', message, param, code })

export const notFound = (message: string, code: string | null = null, param: string | null = null) =>
  new GatewayError({ status: 404, type: 'not_found_error', message, code, param })

export function isGatewayError(error: unknown): error is GatewayError {
  return typeof error === 'object' && error !== null && (error as { [GATEWAY_ERROR]?: boolean })[GATEWAY_ERROR] === true
}
