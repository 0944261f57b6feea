/**
 * Canonical (OpenAI) embeddings <-> Cohere v2 embed (`POST /v2/embed`).
 *
 * Cohere needs an `input_type` for its v3+ models and OpenAI has none:
 * `search_document` is the default (what most embedding calls index), and a
 * client that knows better can send Cohere's `input_type` as an extra field.
 * Floats are always asked for; `encoding_format: base64` is produced here,
 * as little-endian float32 like OpenAI's, since Cohere's `base64` type is not
 * that encoding.
 */
import {
  type Embedding,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  floatsToBase64,
} from '../../canonical/embeddings.js'
import { badRequest, UpstreamError } from '../upstream-error.js'
import type { CohereTokenCounts } from './usage.js'

export interface CohereEmbedRequest {
  model: string
  texts: string[]
  input_type: string
  embedding_types: ['float']
  output_dimension?: number
}

export interface CohereEmbedResponse {
  id?: string
  /** `embeddings_by_type` (asked for here): `{ float: [...] }`; the legacy `embeddings_floats`: a bare list. */
  embeddings?: { float?: number[][] | null; [type: string]: unknown } | number[][] | null
  meta?: { billed_units?: CohereTokenCounts | null; tokens?: CohereTokenCounts | null } | null
  [field: string]: unknown
}

export function toCohereEmbedRequest(request: EmbeddingsRequest, model: string): CohereEmbedRequest {
  const inputs = Array.isArray(request.input) ? request.input : [request.input]
  if (inputs.length === 0) throw badRequest('input must not be empty')
  const texts = inputs.map((input) => {
    if (typeof input !== 'string') throw badRequest('Cohere embeds text only: token arrays are not supported')
    return input
  })
  const inputType = typeof request.input_type === 'string' ? request.input_type : 'search_document'
  return {
    model,
    texts,
    input_type: inputType,
    embedding_types: ['float'],
    ...(typeof request.dimensions === 'number' && { output_dimension: request.dimensions }),
  }
}

export function fromCohereEmbedResponse(
  response: CohereEmbedResponse,
  request: EmbeddingsRequest,
  model: string,
  expected: number,
): EmbeddingsResponse {
  const raw = response.embeddings
  const vectors = Array.isArray(raw) ? raw : raw?.float
  if (!Array.isArray(vectors) || vectors.length !== expected) {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: `the upstream answer has ${Array.isArray(vectors) ? vectors.length : 'no'} float embeddings for ${expected} inputs`,
    })
  }
  const data: Embedding[] = vectors.map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: request.encoding_format === 'base64' ? floatsToBase64(vector) : vector,
  }))
  // Embedding has no output. Cohere's embed answers report billed input tokens (no template tokens are
  // added to an embedding input, so the two views agree); the full count is only the fallback.
  const meta = response.meta ?? undefined
  const tokens = firstCount(meta?.billed_units?.input_tokens, meta?.tokens?.input_tokens)
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
}

function firstCount(...values: unknown[]): number {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  return 0
}
