/**
 * The AWS pieces Bedrock needs (event-stream framing, SigV4), loaded on first
 * use: a gateway with no Bedrock provider and no Bedrock client never pays
 * for @smithy's modules (several MB of RSS at start). The loads are
 * synchronous (`require` of the packages' CommonJS builds), so the callers
 * stay synchronous.
 */
import { createRequire } from 'node:module'

type EventStreams = typeof import('@smithy/core/event-streams')
type Serde = typeof import('@smithy/core/serde')
type SignatureV4Module = typeof import('@smithy/signature-v4')

const require = createRequire(import.meta.url)

let eventStreams: EventStreams | undefined
let serde: Serde | undefined
let signatureV4: SignatureV4Module | undefined

export const smithyEventStreams = (): EventStreams => {
  eventStreams ??= require('@smithy/core/event-streams') as EventStreams
  return eventStreams
}

export const smithySerde = (): Serde => {
  serde ??= require('@smithy/core/serde') as Serde
  return serde
}

export const smithySignatureV4 = (): SignatureV4Module => {
  signatureV4 ??= require('@smithy/signature-v4') as SignatureV4Module
  return signatureV4
}

/** UTF-8 bytes to text (what @smithy/util-utf8's `toUtf8` does on Node). */
export function toUtf8(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') return bytes
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

/** Text to UTF-8 bytes (what @smithy/util-utf8's `fromUtf8` does on Node). */
export function fromUtf8(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'utf8')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
