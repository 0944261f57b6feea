/**
 * Canonical embeddings <-> Google's two embedding APIs:
 *
 * - AI Studio `:batchEmbedContents`: `{ requests: [{ model, content, outputDimensionality }] }`
 *   -> `{ embeddings: [{ values }] }`, with no token counts (estimated here, as
 *   budgets and limits need a number);
 * - Vertex `:predict`: `{ instances: [{ content }], parameters }`
 *   -> `{ predictions: [{ embeddings: { values, statistics: { token_count } } }] }`.
 *
 * Google embeds text only: token-id inputs are refused before any call.
 */
import {
  type Embedding,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  floatsToBase64,
} from '../../canonical/embeddings.js'
import { estimateTokens } from '../mock/estimate-tokens.js'
import { badRequest, UpstreamError } from '../upstream-error.js'

export interface BatchEmbedRequest {
  requests: Array<{ model: string; content: { parts: Array<{ text: string }> }; outputDimensionality?: number }>
}

export interface VertexPredictRequest {
  instances: Array<{ content: string }>
  parameters?: { outputDimensionality: number }
}

export function textInputs(request: EmbeddingsRequest): string[] {
  const inputs = Array.isArray(request.input) ? request.input : [request.input]
  return inputs.map((input) => {
    if (typeof input !== 'string') {
      throw badRequest('Google embedding models take text input, not token ids')
    }
    return input
  })
}

export function toBatchEmbedRequest(request: EmbeddingsRequest, model: string): BatchEmbedRequest {
  return {
    requests: textInputs(request).map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(typeof request.dimensions === 'number' && { outputDimensionality: request.dimensions }),
    })),
  }
}

export function toVertexPredictRequest(request: EmbeddingsRequest): VertexPredictRequest {
  return {
    instances: textInputs(request).map((content) => ({ content })),
    ...(typeof request.dimensions === 'number' && { parameters: { outputDimensionality: request.dimensions } }),
  }
}

export function fromBatchEmbedResponse(answer: unknown, request: EmbeddingsRequest, model: string): EmbeddingsResponse {
  const embeddings = (answer as { embeddings?: Array<{ values?: unknown }> } | null)?.embeddings
  const vectors = Array.isArray(embeddings) ? embeddings.map((item) => item?.values) : []
  const tokens = textInputs(request).reduce((sum, text) => sum + estimateTokens(text), 0)
  return embeddingsResponse(vectors, request, model, tokens)
}

export function fromVertexPredictResponse(
  answer: unknown,
  request: EmbeddingsRequest,
  model: string,
): EmbeddingsResponse {
  const predictions = (
    answer as {
      predictions?: Array<{ embeddings?: { values?: unknown; statistics?: { token_count?: unknown } } }>
    } | null
  )?.predictions
  const list = Array.isArray(predictions) ? predictions : []
  const counted = list.map((item) => item?.embeddings?.statistics?.token_count)
  const tokens = counted.every((count) => typeof count === 'number')
    ? (counted as number[]).reduce((sum, count) => sum + count, 0)
    : textInputs(request).reduce((sum, text) => sum + estimateTokens(text), 0)
  return embeddingsResponse(
    list.map((item) => item?.embeddings?.values),
    request,
    model,
    tokens,
  )
}

function embeddingsResponse(
  vectors: unknown[],
  request: EmbeddingsRequest,
  model: string,
  tokens: number,
): EmbeddingsResponse {
  const expected = textInputs(request).length
  const valid = vectors.every((vector) => Array.isArray(vector) && vector.every((value) => typeof value === 'number'))
  if (vectors.length !== expected || !valid) {
    throw new UpstreamError({
      errorClass: 'server_error',
      message: `the upstream answered ${vectors.length} embeddings for ${expected} inputs, or not as number arrays`,
    })
  }
  const data: Embedding[] = (vectors as number[][]).map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: request.encoding_format === 'base64' ? floatsToBase64(vector) : vector,
  }))
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
}
