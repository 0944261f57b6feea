/**
 * SigV4 signing of one Bedrock runtime request. The signer sees exactly the
 * method, path, headers and body bytes that go on the wire: any header added
 * after signing (or a body re-serialised) would make AWS reject the request
 * with InvalidSignatureException.
 */
import type { SignatureV4 } from '@smithy/signature-v4'
import { smithySerde, smithySignatureV4 } from './smithy.js'

/** Static AWS credentials from the config (resolved env references). */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Bedrock runtime is signed as service `bedrock` (not `bedrock-runtime`). */
export const BEDROCK_SIGNING_SERVICE = 'bedrock'

/**
 * Node's SHA-256 in the constructor shape the signer wants. `@smithy/hash-node`
 * is now a deprecated re-export of this same class.
 */
let sha256: ReturnType<typeof sha256Class> | undefined
const sha256Class = () => {
  const { Hash } = smithySerde()
  return class Sha256 extends Hash {
    constructor(secret?: ConstructorParameters<typeof Hash>[1]) {
      super('sha256', secret)
    }
  }
}

export interface SignableRequest {
  method: string
  /** `https:` or `http:` */
  protocol: string
  hostname: string
  port?: number
  /** Path as sent, already percent-encoded (model ids with `:` go as `%3A`). */
  path: string
  /** Lower-case names; must include `host` as it will be sent. */
  headers: Record<string, string>
  body: string
}

export function createSigner(credentials: AwsCredentials, region: string): SignatureV4 {
  sha256 ??= sha256Class()
  return new (smithySignatureV4().SignatureV4)({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken && { sessionToken: credentials.sessionToken }),
    },
    region,
    service: BEDROCK_SIGNING_SERVICE,
    sha256,
    // Non-S3 services escape the (already encoded) path once more in the canonical request,
    // as the AWS SDKs do: `%3A` is signed as `%253A`.
    uriEscapePath: true,
  })
}

/** The headers to send: the given ones plus `x-amz-date`, the session token if any, and `authorization`. */
export async function signRequest(
  signer: SignatureV4,
  request: SignableRequest,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.protocol,
      hostname: request.hostname,
      ...(request.port !== undefined && { port: request.port }),
      path: request.path,
      query: {},
      headers: { ...request.headers },
      body: request.body,
    },
    signingDate ? { signingDate } : {},
  )
  return signed.headers as Record<string, string>
}
