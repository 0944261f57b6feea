/**
 * A stand-in for Google's Gemini APIs speaking their real wire format, on
 * both paths the gateway uses:
 *
 * - AI Studio: `POST /v1beta/models/{model}:generateContent | :streamGenerateContent | :batchEmbedContents`,
 *   authenticated by `x-goog-api-key` (a wrong key is a 400 with reason
 *   API_KEY_INVALID, as Google answers it);
 * - Vertex: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent | ... | :predict`,
 *   authenticated by a bearer token this mock issued and that has not expired;
 * - an OAuth token endpoint, `POST /token`, that verifies the JWT assertion's
 *   RS256 signature with the service account's public key and its claims,
 *   counts fetches and issues tokens of a settable lifetime.
 *
 * Answers are GenerateContentResponse JSON, or with `?alt=sse` one
 * `data: {...}\r\n\r\n` frame per piece (Google's framing), the last with the
 * finish reason and the full usage. Errors are `{ error: { code, message, status } }`.
 * Every request is recorded; behaviour is set per model.
 */
import { randomBytes, verify } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface GeminiMockPart {
  text?: string
  thought?: boolean
  functionCall?: { id?: string; name: string; args: Record<string, unknown> }
}

export interface GeminiMockUsage {
  promptTokenCount: number
  candidatesTokenCount: number
  totalTokenCount: number
  cachedContentTokenCount?: number
  thoughtsTokenCount?: number
}

export interface GeminiBehaviour {
  /** Answer with this HTTP status and a Google error body. */
  status?: number
  /** The error's canonical status string, e.g. RESOURCE_EXHAUSTED. */
  errorStatus?: string
  errorMessage?: string
  /** Sent as `retry-after` with an error status. */
  retryAfter?: string
  /** Parts of the (single) candidate; default one text part GEMINI_TEXT. */
  parts?: GeminiMockPart[]
  finishReason?: string
  usage?: GeminiMockUsage
  /** The prompt is blocked: no candidates, `promptFeedback.blockReason`. */
  blockReason?: string
  /** Characters per streamed text frame (default 6). */
  pieceSize?: number
  /** In a stream: after this many frames, send an error frame and end. */
  streamErrorAfter?: number
  /** Send no `responseId` (older API versions): ids must be made up by the gateway. */
  noResponseId?: boolean
}

export interface GeminiRecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface TokenFetch {
  claims: Record<string, unknown>
  header: Record<string, unknown>
}

export interface GeminiMockOptions {
  /** The only API key the AI Studio paths accept. */
  apiKey: string
  /** PEM public key of the service account; the token endpoint verifies assertions with it. */
  publicKey?: string
  clientEmail?: string
}

export interface GeminiMockUpstream {
  /** `http://127.0.0.1:<port>`: the `baseUrl` of a `gemini` or `vertex` provider. */
  readonly origin: string
  /** The service account file's `token_uri`. */
  readonly tokenUri: string
  readonly requests: GeminiRecordedRequest[]
  /** Every successful token fetch, in order. */
  readonly tokenFetches: TokenFetch[]
  /** Tokens issued so far, newest last. */
  readonly issuedTokens: string[]
  /** Lifetime (`expires_in`) of tokens issued from now on; default 3600 s. */
  tokenLifetimeSeconds: number
  /** While set, the token endpoint answers 400 invalid_grant. */
  refuseTokens: boolean
  when(model: string, behaviour: GeminiBehaviour): void
  reset(): void
  close(): Promise<void>
}

export const GEMINI_TEXT = 'Hello from the Gemini mock, "quoted" and ünïcödé.'
export const GEMINI_USAGE: GeminiMockUsage = {
  promptTokenCount: 1200,
  candidatesTokenCount: 80,
  cachedContentTokenCount: 1000,
  thoughtsTokenCount: 40,
  totalTokenCount: 1320,
}
export const MODEL_VERSION_SUFFIX = '-001'

const AI_STUDIO_PATH = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)(\?.*)?$/
const VERTEX_PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent|predict)(\?.*)?$/
const CANONICAL_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
}

export async function startGeminiUpstream(options: GeminiMockOptions): Promise<GeminiMockUpstream> {
  const requests: GeminiRecordedRequest[] = []
  const tokenFetches: TokenFetch[] = []
  const issuedTokens: string[] = []
  /** token -> expiry (ms since the epoch). */
  const tokens = new Map<string, number>()
  const behaviours = new Map<string, GeminiBehaviour>()
  const sockets = new Set<Socket>()
  let counter = 0
  let origin = ''

  const state = {
    tokenLifetimeSeconds: 3600,
    refuseTokens: false,
  }

  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8')
      const url = req.url ?? ''
      if (req.method === 'POST' && url === '/token') return token(raw, res)
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        // Recorded as empty; answered as invalid below.
      }
      requests.push({ method: req.method ?? '', path: url, headers: req.headers, body })
      const studio = AI_STUDIO_PATH.exec(url)
      const vertex = VERTEX_PATH.exec(url)
      if (req.method !== 'POST' || (!studio && !vertex)) {
        return sendError(res, 404, `Requested entity was not found: ${req.method} ${url}`)
      }
      if (studio) {
        const key = req.headers['x-goog-api-key']
        if (!key) return sendError(res, 403, "Method doesn't allow unregistered callers.")
        if (key !== options.apiKey) {
          return sendError(res, 400, 'API key not valid. Please pass a valid API key.', undefined, 'API_KEY_INVALID')
        }
      } else {
        const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1]
        const expiry = bearer ? tokens.get(bearer) : undefined
        if (expiry === undefined || expiry <= Date.now()) {
          return sendError(res, 401, 'Request had invalid authentication credentials.')
        }
      }
      const model = decodeURIComponent((studio ? studio[1] : vertex?.[3]) ?? '')
      const operation = (studio ? studio[2] : vertex?.[4]) ?? ''
      const query = (studio ? studio[3] : vertex?.[5]) ?? ''
      const behaviour = behaviours.get(model) ?? {}
      if (behaviour.status) {
        const status = behaviour.errorStatus ?? CANONICAL_STATUS[behaviour.status] ?? 'UNKNOWN'
        return sendError(
          res,
          behaviour.status,
          behaviour.errorMessage ?? 'failed',
          behaviour.retryAfter,
          undefined,
          status,
        )
      }
      if (operation === 'batchEmbedContents') return embedBatch(res, body)
      if (operation === 'predict') return predict(res, body)
      if (!Array.isArray(body.contents) || body.contents.length === 0) {
        return sendError(res, 400, '* GenerateContentRequest.contents: contents is not specified')
      }
      counter += 1
      const responseId = behaviour.noResponseId ? undefined : `resp-${counter}`
      if (operation === 'streamGenerateContent') {
        const frames = streamFrames(model, behaviour, responseId)
        if (query.includes('alt=sse')) return sse(res, frames, behaviour)
        // Without alt=sse Google streams one JSON array.
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(frames))
      }
      res
        .writeHead(200, { 'content-type': 'application/json; charset=UTF-8' })
        .end(JSON.stringify(wholeResponse(model, behaviour, responseId)))
    })
  })

  /** The OAuth JWT-bearer grant: verify the assertion, then issue a token. */
  function token(raw: string, res: ServerResponse): void {
    const problem = state.refuseTokens ? 'Invalid grant: account not found' : assertionProblem(raw)
    if (problem) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_grant', error_description: problem }))
      return
    }
    const [header64, claims64] = (new URLSearchParams(raw).get('assertion') ?? '').split('.')
    const value = `ya29.mock-${randomBytes(12).toString('hex')}`
    tokens.set(value, Date.now() + state.tokenLifetimeSeconds * 1000)
    issuedTokens.push(value)
    tokenFetches.push({ header: decodeSegment(header64), claims: decodeSegment(claims64) })
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: value, expires_in: state.tokenLifetimeSeconds, token_type: 'Bearer' }))
  }

  /** What Google would refuse the assertion for, or undefined when it is good. */
  function assertionProblem(raw: string): string | undefined {
    const form = new URLSearchParams(raw)
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return 'bad grant_type'
    const [header64, claims64, signature64, extra] = (form.get('assertion') ?? '').split('.')
    if (!header64 || !claims64 || !signature64 || extra !== undefined) return 'malformed assertion'
    const valid =
      options.publicKey !== undefined &&
      verify('sha256', Buffer.from(`${header64}.${claims64}`), options.publicKey, Buffer.from(signature64, 'base64url'))
    if (!valid) return 'Invalid JWT Signature.'
    const header = decodeSegment(header64)
    const claims = decodeSegment(claims64)
    const now = Math.floor(Date.now() / 1000)
    const iat = Number(claims.iat)
    const exp = Number(claims.exp)
    if (header.alg !== 'RS256') return 'alg must be RS256'
    if (options.clientEmail !== undefined && claims.iss !== options.clientEmail) return 'wrong iss'
    if (claims.aud !== `${origin}/token`) return 'wrong aud'
    if (claims.scope !== 'https://www.googleapis.com/auth/cloud-platform') return 'wrong scope'
    if (!(Math.abs(iat - now) <= 60 && exp - iat > 0 && exp - iat <= 3600)) return 'Invalid JWT: bad iat/exp'
    return undefined
  }

  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  origin = `http://127.0.0.1:${port}`

  return {
    origin,
    tokenUri: `${origin}/token`,
    requests,
    tokenFetches,
    issuedTokens,
    get tokenLifetimeSeconds() {
      return state.tokenLifetimeSeconds
    },
    set tokenLifetimeSeconds(value: number) {
      state.tokenLifetimeSeconds = value
    },
    get refuseTokens() {
      return state.refuseTokens
    },
    set refuseTokens(value: boolean) {
      state.refuseTokens = value
    },
    when: (model, behaviour) => behaviours.set(model, behaviour),
    reset: () => {
      requests.length = 0
      behaviours.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

function partsOf(behaviour: GeminiBehaviour): GeminiMockPart[] {
  return behaviour.parts ?? [{ text: GEMINI_TEXT }]
}

function finishOf(behaviour: GeminiBehaviour): string {
  return behaviour.finishReason ?? 'STOP'
}

function wholeResponse(model: string, behaviour: GeminiBehaviour, responseId: string | undefined): unknown {
  const usage = behaviour.usage ?? GEMINI_USAGE
  if (behaviour.blockReason) {
    return {
      promptFeedback: { blockReason: behaviour.blockReason },
      usageMetadata: { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount },
      modelVersion: model + MODEL_VERSION_SUFFIX,
      ...(responseId && { responseId }),
    }
  }
  return {
    candidates: [
      { content: { role: 'model', parts: partsOf(behaviour) }, finishReason: finishOf(behaviour), index: 0 },
    ],
    usageMetadata: usage,
    modelVersion: model + MODEL_VERSION_SUFFIX,
    ...(responseId && { responseId }),
  }
}

/** The frames of a stream: text in pieces, thoughts and calls whole, the finish and full usage last. */
function streamFrames(model: string, behaviour: GeminiBehaviour, responseId: string | undefined): unknown[] {
  const usage = behaviour.usage ?? GEMINI_USAGE
  const meta = { modelVersion: model + MODEL_VERSION_SUFFIX, ...(responseId && { responseId }) }
  if (behaviour.blockReason) return [wholeResponse(model, behaviour, responseId)]
  const size = behaviour.pieceSize ?? 6
  const pieces: GeminiMockPart[][] = []
  const calls: GeminiMockPart[] = []
  for (const part of partsOf(behaviour)) {
    if (part.functionCall) calls.push(part)
    else if (part.thought) pieces.push([part])
    else {
      const chars = [...(part.text ?? '')]
      for (let i = 0; i < chars.length; i += size) pieces.push([{ text: chars.slice(i, i + size).join('') }])
    }
  }
  // Parallel calls arrive together, whole, in one frame.
  if (calls.length > 0) pieces.push(calls)
  const frames: unknown[] = pieces.map((parts) => ({
    candidates: [{ content: { role: 'model', parts }, index: 0 }],
    // Running usage: the prompt is known from the start.
    usageMetadata: { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount },
    ...meta,
  }))
  const last = {
    candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: finishOf(behaviour), index: 0 }],
    usageMetadata: usage,
    ...meta,
  }
  frames.push(last)
  return frames
}

function sse(res: ServerResponse, frames: unknown[], behaviour: GeminiBehaviour): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  for (const [sent, frame] of frames.entries()) {
    if (behaviour.streamErrorAfter !== undefined && sent >= behaviour.streamErrorAfter) {
      res.write(
        `data: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })}\r\n\r\n`,
      )
      res.end()
      return
    }
    res.write(`data: ${JSON.stringify(frame)}\r\n\r\n`)
  }
  res.end()
}

/** A stable vector per text, so tests can check which input came back where. */
export function mockVector(text: string, dimensions = 4): number[] {
  return Array.from({ length: dimensions }, (_, i) => (text.length + i) / 8)
}

function embedBatch(res: ServerResponse, body: Record<string, unknown>): void {
  const requests = Array.isArray(body.requests) ? (body.requests as Array<Record<string, unknown>>) : []
  const embeddings = requests.map((request) => {
    const text = ((request.content as { parts?: Array<{ text?: string }> } | undefined)?.parts ?? [])
      .map((part) => part.text ?? '')
      .join('')
    const dimensions = typeof request.outputDimensionality === 'number' ? request.outputDimensionality : 4
    return { values: mockVector(text, dimensions) }
  })
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings }))
}

function predict(res: ServerResponse, body: Record<string, unknown>): void {
  const instances = Array.isArray(body.instances) ? (body.instances as Array<{ content?: string }>) : []
  const parameters = body.parameters as { outputDimensionality?: number } | undefined
  const predictions = instances.map((instance) => ({
    embeddings: {
      values: mockVector(instance.content ?? '', parameters?.outputDimensionality ?? 4),
      statistics: { token_count: (instance.content ?? '').split(/\s+/).filter(Boolean).length, truncated: false },
    },
  }))
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions }))
}

function sendError(
  res: ServerResponse,
  code: number,
  message: string,
  retryAfter?: string,
  reason?: string,
  status = CANONICAL_STATUS[code] ?? 'UNKNOWN',
): void {
  const details = reason
    ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com' }]
    : undefined
  res
    .writeHead(code, {
      'content-type': 'application/json; charset=UTF-8',
      ...(retryAfter && { 'retry-after': retryAfter }),
    })
    .end(JSON.stringify({ error: { code, message, status, ...(details && { details }) } }))
}
