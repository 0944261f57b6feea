/**
 * A Google service-account JSON key file, parsed and checked. Used when the
 * config is checked (so a truncated or wrong file is a config problem with a
 * path, not a failed request later) and by the Vertex token source.
 * Messages never include the file's contents: it holds a private key.
 */
import { createPrivateKey } from 'node:crypto'

export interface ServiceAccount {
  clientEmail: string
  privateKey: string
  privateKeyId?: string
  tokenUri: string
}

/** Google's token endpoint, for key files that do not name one. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token'

export class ServiceAccountError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServiceAccountError'
  }
}

export function parseServiceAccount(text: string): ServiceAccount {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    // The parser's message quotes the text around the error: not repeated.
    throw new ServiceAccountError('is not JSON (expected the contents of a service-account key file)')
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ServiceAccountError('is not a JSON object (expected the contents of a service-account key file)')
  }
  const file = raw as Record<string, unknown>
  if (file.type !== undefined && file.type !== 'service_account') {
    throw new ServiceAccountError(
      `is a '${String(file.type).slice(0, 40)}' credential, not a service-account key ("type": "service_account")`,
    )
  }
  if (typeof file.client_email !== 'string' || !file.client_email.includes('@')) {
    throw new ServiceAccountError('has no client_email')
  }
  if (typeof file.private_key !== 'string' || !file.private_key.includes('PRIVATE KEY')) {
    throw new ServiceAccountError('has no PEM private_key')
  }
  try {
    const key = createPrivateKey(file.private_key)
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA')
  } catch {
    throw new ServiceAccountError('has a private_key that is not a readable RSA key')
  }
  const tokenUri = file.token_uri === undefined ? GOOGLE_TOKEN_URI : file.token_uri
  if (typeof tokenUri !== 'string' || !/^https?:\/\//.test(tokenUri)) {
    throw new ServiceAccountError('has a token_uri that is not an http(s) URL')
  }
  return {
    clientEmail: file.client_email,
    privateKey: file.private_key,
    ...(typeof file.private_key_id === 'string' && { privateKeyId: file.private_key_id }),
    tokenUri,
  }
}
