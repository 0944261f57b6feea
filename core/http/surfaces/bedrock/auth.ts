/**
 * How a Bedrock client authenticates to the gateway.
 *
 * The AWS SDK sends either `Authorization: Bearer <token>` (a Bedrock API
 * key: `token: { token }` with `authSchemePreference: ['httpBearerAuth']`, or
 * `AWS_BEARER_TOKEN_BEDROCK`), or a SigV4 signature made with an access key
 * pair. The gateway's virtual key is that bearer token, which the shared
 * authentication (`presentedKey`) already reads.
 *
 * SigV4 is refused when keys are required. Verifying a signature needs the
 * signing secret itself, and the gateway keeps only each key's SHA-256: it
 * cannot recompute the signature, and accepting one it has not verified
 * would let any access key id in. The refusal says what to do instead, so a
 * client that fell back to its default credential chain is not left guessing.
 * With auth off no credential is read at all, so a signed request is served
 * like any other.
 */
import type { NextFunction, Request, Response } from 'express'
import { GatewayError } from '../../../errors.js'
import type { RuntimeHolder } from '../../../runtime/holder.js'

const SIGV4 = /^AWS4-HMAC-SHA256\s/i

export function isSigV4Signed(req: Pick<Request, 'headers'>): boolean {
  const authorization = req.headers.authorization
  return typeof authorization === 'string' && SIGV4.test(authorization)
}

export function refuseSigV4(holder: RuntimeHolder) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (isSigV4Signed(req) && holder.current?.checked.config.auth?.mode === 'keys') {
      throw new GatewayError({
        status: 403,
        type: 'authentication_error',
        code: 'sigv4_not_supported',
        message:
          'This gateway does not accept AWS SigV4 signatures. Send your gateway key as a Bedrock bearer token: ' +
          "BedrockRuntimeClient({ token: { token: '<key>' }, authSchemePreference: ['httpBearerAuth'] }) " +
          'or set AWS_BEARER_TOKEN_BEDROCK=<key>.',
      })
    }
    next()
  }
}
