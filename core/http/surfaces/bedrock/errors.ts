/**
 * Errors in Bedrock runtime's restJson1 format: the exception's name in the
 * `x-amzn-errortype` header and `{ "message": ... }` as the body. The AWS SDK
 * picks the exception class from that name (not the status), so the name is
 * what a client's `catch (e) { if (e.name === 'ThrottlingException') ... }`
 * and its retry strategy see; the status becomes `$metadata.httpStatusCode`.
 *
 * Inside a ConverseStream an exception is a frame whose `:exception-type` is
 * the member name of the stream union (camelCase, `throttlingException`);
 * only the members that union declares are raised as typed exceptions.
 */
import type { Response } from 'express'
import type { GatewayError } from '../../../errors.js'
import { encodeEventStreamMessage } from '../../../providers/bedrock/event-stream.js'

/** The exception a client of Bedrock expects for a gateway error, and the status it comes with. */
export function bedrockException(error: Pick<GatewayError, 'status' | 'type' | 'code'>): {
  name: string
  status: number
} {
  // AWS answers credentials it does not know with 403 UnrecognizedClientException, never 401.
  if (error.type === 'authentication_error') return { name: 'UnrecognizedClientException', status: 403 }
  if (error.code === 'unknown_endpoint') return { name: 'UnknownOperationException', status: 404 }
  const { status } = error
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return { name: 'ValidationException', status }
    case 402:
      // A spent budget: Bedrock's closest refusal that is not worth retrying.
      return { name: 'ServiceQuotaExceededException', status }
    case 401:
    case 403:
      return { name: 'AccessDeniedException', status: 403 }
    case 404:
      return { name: 'ResourceNotFoundException', status }
    case 408:
    case 504:
      return { name: 'ModelTimeoutException', status }
    case 424:
    case 502:
      return { name: 'ModelErrorException', status }
    case 429:
      return { name: 'ThrottlingException', status }
    case 503:
    case 529:
      return { name: 'ServiceUnavailableException', status }
    default:
      return { name: status >= 500 ? 'InternalServerException' : 'ValidationException', status }
  }
}

export function sendBedrockError(res: Response, error: GatewayError, scrub: (text: string) => string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const { name, status } = bedrockException(error)
  res.status(status)
  for (const [header, value] of Object.entries(error.headers)) res.setHeader(header, value)
  res.setHeader('x-amzn-errortype', name)
  res.json({ message: scrub(error.message) })
}

/**
 * The `:exception-type` of a failure after the stream began: the
 * ConverseStream union declares only these five, so every failure maps to one
 * the SDK raises as a typed exception (a 429 stays retryable as throttling).
 */
export function streamExceptionType(status: number): string {
  if (status === 429) return 'throttlingException'
  if (status === 503 || status === 529) return 'serviceUnavailableException'
  if (status === 424 || status === 502 || status === 504 || status === 408) return 'modelStreamErrorException'
  if (status >= 400 && status < 500) return 'validationException'
  return 'internalServerException'
}

export function bedrockExceptionFrame(error: GatewayError, scrub: (text: string) => string): Uint8Array {
  return encodeEventStreamMessage({
    messageType: 'exception',
    exceptionType: streamExceptionType(error.status),
    payload: { message: scrub(error.message) },
  })
}
