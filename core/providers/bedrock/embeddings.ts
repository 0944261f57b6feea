/**
 * OpenAI embeddings <-> Amazon Titan text embeddings over InvokeModel.
 * Converse has no embeddings; InvokeModel bodies are model-specific, so only
 * the Titan text family is translated (`{ inputText }` -> `{ embedding,
 * inputTextTokenCount }`, one input per call). Other embedding models are
 * refused clearly rather than sent a body they would not understand.
 */
import type { EmbeddingsRequest } from '../../canonical/embeddings.js'
import { badRequest } from '../upstream-error.js'

/** Titan v2 is the only one of the family that takes `dimensions`; v1 rejects unknown fields. */
export function isTitanTextEmbeddings(model: string): boolean {
  return /(^|[.:/])amazon\.titan-embed-text-/.test(model)
}

export interface TitanEmbeddingsRequest {
  inputText: string
  dimensions?: number
}

export interface TitanEmbeddingsResponse {
  embedding?: number[]
  inputTextTokenCount?: number
}

/** One Titan body per input: Titan embeds a single text per call. */
export function toTitanRequests(request: EmbeddingsRequest, model: string): TitanEmbeddingsRequest[] {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input
  if (!Array.isArray(inputs) || inputs.length === 0) throw badRequest('input must be a string or a list of strings')
  const v2 = /titan-embed-text-v2/.test(model)
  return inputs.map((input) => {
    if (typeof input !== 'string') {
      throw badRequest('Bedrock Titan embeddings take text; token-id inputs are not supported')
    }
    if (!input) throw badRequest('Bedrock Titan embeddings reject empty input text')
    return {
      inputText: input,
      ...(v2 && typeof request.dimensions === 'number' && { dimensions: request.dimensions }),
    }
  })
}
