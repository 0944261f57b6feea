import { describe, expect, it } from 'vitest'
import { isGatewayError } from '../../core/errors.js'
import { pluginRejection } from '../../core/plugins/reject.js'

describe('api.reject (pluginRejection)', () => {
  it('makes the GatewayError the chain treats as a deliberate refusal: 400 invalid_request_error by default', () => {
    const error = pluginRejection({ code: 'word_blocked', message: 'not allowed', param: 'messages[0].content' })
    expect(isGatewayError(error)).toBe(true)
    expect(error).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'word_blocked',
      message: 'not allowed',
      param: 'messages[0].content',
      headers: {},
    })
  })

  it('takes the type from the status unless given, and keeps the headers', () => {
    const typeOf = (status: number) => pluginRejection({ status, code: 'c', message: 'm' }).type
    expect([400, 401, 403, 404, 409, 429, 500, 503].map(typeOf)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'rate_limit_error',
      'api_error',
      'api_error',
    ])
    const limited = pluginRejection({
      status: 429,
      type: 'insufficient_quota',
      code: 'quota',
      message: 'm',
      headers: { 'retry-after': '30' },
    })
    expect(limited).toMatchObject({ type: 'insufficient_quota', param: null, headers: { 'retry-after': '30' } })
  })

  it('refuses what is not a client-visible refusal (a plugin bug, which fails the plugin instead)', () => {
    expect(() => pluginRejection({ status: 200, code: 'c', message: 'm' })).toThrow(TypeError)
    expect(() => pluginRejection({ status: 400.5, code: 'c', message: 'm' })).toThrow(/400 to 599/)
    expect(() => pluginRejection({ code: '', message: 'm' })).toThrow(/code/)
    expect(() => pluginRejection({ code: 'c' } as never)).toThrow(/message/)
  })
})
