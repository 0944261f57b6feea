/** The canonical embeddings request and response: OpenAI's `/v1/embeddings`. */
export interface EmbeddingsRequest {
  model: string
  input: string | string[] | number[] | number[][]
  encoding_format?: 'float' | 'base64'
  dimensions?: number
  user?: string
  [field: string]: unknown
}

export interface Embedding {
  object: 'embedding'
  index: number
  /** Floats, or base64 of little-endian float32 when the request asked for `base64`. */
  embedding: number[] | string
}

export interface EmbeddingsResponse {
  object: 'list'
  data: Embedding[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

/** Encodes floats the way OpenAI does for `encoding_format: "base64"`: little-endian float32. */
export function floatsToBase64(values: readonly number[]): string {
  const buffer = Buffer.alloc(values.length * 4)
  for (const [i, value] of values.entries()) buffer.writeFloatLE(value, i * 4)
  return buffer.toString('base64')
}

export function base64ToFloats(encoded: string): number[] {
  const buffer = Buffer.from(encoded, 'base64')
  const values: number[] = []
  for (let offset = 0; offset + 4 <= buffer.length; offset += 4) values.push(buffer.readFloatLE(offset))
  return values
}
