/**
 * Validates incoming OpenAI-format bodies before any work is done, so a
 * malformed request gets a 400 naming the offending field (`param`), the way
 * OpenAI itself answers. Only what the gateway relies on is checked; unknown
 * fields pass through to the provider.
 */
import { Type } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { ChatRequest } from '../../../canonical/chat.js'
import type { EmbeddingsRequest } from '../../../canonical/embeddings.js'
import { badRequest } from '../../../errors.js'

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function']

const Message = Type.Object({
  role: Type.Unsafe<string>({ type: 'string', enum: ROLES }),
  content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() })), Type.Null()])),
  tool_calls: Type.Optional(
    Type.Array(
      Type.Object({ id: Type.String(), function: Type.Object({ name: Type.String(), arguments: Type.String() }) }),
    ),
  ),
  tool_call_id: Type.Optional(Type.String()),
})

const ChatRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Message, { minItems: 1 }),
  stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  stream_options: Type.Optional(
    Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()]),
  ),
  max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 128 }), Type.Null()])),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  tools: Type.Optional(
    Type.Array(
      Type.Object({
        type: Type.String(),
        function: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }) })),
      }),
    ),
  ),
  response_format: Type.Optional(Type.Object({ type: Type.String() })),
})

const EmbeddingsRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([
    Type.String(),
    Type.Array(Type.String(), { minItems: 1 }),
    Type.Array(Type.Integer(), { minItems: 1 }),
    Type.Array(Type.Array(Type.Integer(), { minItems: 1 }), { minItems: 1 }),
  ]),
  encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
})

const ajv = new Ajv({ allErrors: false, strict: false })
const validateChat = ajv.compile(ChatRequestSchema)
const validateEmbeddings = ajv.compile(EmbeddingsRequestSchema)

export function parseChatRequest(body: unknown): ChatRequest {
  return check<ChatRequest>(validateChat, body)
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  return check<EmbeddingsRequest>(validateEmbeddings, body)
}

function check<T>(validate: ValidateFunction, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_body')
  }
  if (validate(body)) return body as T
  const error = (validate.errors as ErrorObject[])[0] as ErrorObject
  const missing = error.keyword === 'required' ? String(error.params.missingProperty) : undefined
  const param = toParam(error.instancePath, missing)
  const problem =
    error.keyword === 'enum'
      ? `must be one of ${(error.params.allowedValues as string[]).map((v) => `'${v}'`).join(', ')}`
      : (error.message ?? 'is not valid')
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${problem}.`
  throw badRequest(message, param, missing ? 'missing_required_parameter' : 'invalid_value')
}

/** `/messages/0/role` -> `messages[0].role`, the form OpenAI uses in `param`. */
function toParam(instancePath: string, missing?: string): string {
  const segments = instancePath.split('/').slice(1)
  if (missing) segments.push(missing)
  return segments.reduce(
    (out, segment) => (/^\d+$/.test(segment) ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment),
    '',
  )
}
