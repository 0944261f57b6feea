/**
 * A stand-in for the OpenAI API (and Azure OpenAI's deployment paths) that
 * speaks the real wire format: chat completions as JSON or SSE (usage chunk,
 * tool-call argument fragments, `[DONE]`), embeddings as floats or base64,
 * and errors as `{ error: { message, type, param, code } }`. Every request is
 * recorded so tests can assert what the gateway sent upstream, and behaviour
 * is set per model so one server can play a healthy and a failing target.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface OpenAIErrorInit {
  message: string
  type?: string
  param?: string | null
  code?: string | null
}

export interface MockToolCall {
  /** Default: `call_mock_<index>`. */
  id?: string
  name: string
  /** Serialised to the JSON string OpenAI sends in `function.arguments`. */
  arguments: unknown
}

export interface Behaviour {
  /** Answer with this HTTP status and an OpenAI error body instead of a completion. */
  status?: number
  error?: OpenAIErrorInit
  /** Sent as the `retry-after` header with an error status. */
  retryAfter?: string
  /** Assistant text; default `Hello from the mock upstream.` */
  text?: string
  /** Calls to answer with (when the request offers tools). Default: one call of the first tool. */
  toolCalls?: MockToolCall[]
  /** Characters per streamed content or argument piece (default 4). */
  pieceSize?: number
  /** Delay before the response starts. */
  delayMs?: number
  /**
   * Reset the connection (TCP RST) as soon as the request has arrived, before
   * any byte of a response: a crashed upstream or a proxy dropping the call.
   */
  reset?: boolean
  /** In a stream: delay between the status line (sent at once) and the first frame, i.e. a slow first token. */
  firstChunkDelayMs?: number
  /** Delay between streamed frames. */
  chunkDelayMs?: number
  /** In a stream: after this many content frames, send an `{"error": ...}` frame and end the stream. */
  streamErrorAfter?: number
  /** In a stream: after this many frames, drop the connection without a word (a crashed upstream). */
  streamDropAfter?: number
  /** In a stream: after this many frames, end the response cleanly but early, with no `[DONE]` (a truncating proxy). */
  streamEndAfter?: number
  /** In a stream: send every frame but leave out the final `data: [DONE]` (some compatible servers do). */
  omitDone?: boolean
  /** Embedding length when the request sets no `dimensions` (default 8). */
  dimensions?: number
  /** The vector to answer for an input (default: `embeddingFor`), for tests that need chosen similarities. */
  embedding?: (input: string, dimensions: number) => number[]
}

/** A behaviour, or one computed from the request (e.g. to echo a header back). */
export type BehaviourSource = Behaviour | ((request: RecordedRequest) => Behaviour)

export interface RecordedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown
  /** Set for Azure-style `/openai/deployments/{deployment}/...` paths. */
  deployment?: string
  /** `completed` once the whole response was written; `aborted` when the connection closed first. */
  outcome: 'pending' | 'completed' | 'aborted'
  /** Resolves with the outcome when the response is done either way. */
  settled: Promise<'completed' | 'aborted'>
}

export interface MockUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** `<origin>/v1`, the `baseUrl` of an `openai` provider. */
  readonly baseUrl: string
  readonly requests: RecordedRequest[]
  /** Sets the behaviour for requests whose model (or Azure deployment) is `model`. */
  when(model: string, behaviour: BehaviourSource): void
  /** Behaviour for models without their own. */
  setDefault(behaviour: BehaviourSource): void
  /** Forgets recorded requests and every behaviour. */
  reset(): void
  /** The vector the mock answers for `input` (float32-exact, so base64 round-trips without loss). */
  embeddingFor(input: string, dimensions?: number): number[]
  close(): Promise<void>
}

export const DEFAULT_TEXT = 'Hello from the mock upstream.'
const DEFAULT_DIMENSIONS = 8
const CREATED = 1_700_000_000
const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/

export async function startMockUpstream(): Promise<MockUpstream> {
  const requests: RecordedRequest[] = []
  const behaviours = new Map<string, BehaviourSource>()
  let fallback: BehaviourSource = {}
  const sockets = new Set<Socket>()

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const recorded = record(req, res, raw)
      requests.push(recorded)
      return route(recorded, res).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, { message: String(error), type: 'server_error' })
        else res.destroy()
      })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  const behaviourFor = (request: RecordedRequest): Behaviour => {
    const model = request.deployment ?? (request.body as { model?: unknown } | null)?.model
    const source = (typeof model === 'string' && behaviours.get(model)) || fallback
    return typeof source === 'function' ? source(request) : source
  }

  async function route(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const operation = operationOf(request)
    if (request.method !== 'POST' || !operation) {
      sendError(res, 404, { message: `Invalid URL (${request.method} ${request.path})`, type: 'invalid_request_error' })
      return
    }
    if (request.deployment !== undefined && !request.query['api-version']) {
      sendError(res, 404, { message: 'Resource not found', type: 'invalid_request_error', code: '404' })
      return
    }
    if (typeof request.body !== 'object' || request.body === null) {
      sendError(res, 400, {
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
        type: 'invalid_request_error',
      })
      return
    }
    const behaviour = behaviourFor(request)
    if (behaviour.reset) {
      res.socket?.resetAndDestroy()
      return
    }
    if (behaviour.delayMs) await sleep(behaviour.delayMs, res)
    if (res.destroyed) return
    if (behaviour.status && behaviour.status >= 400) {
      const headers: Record<string, string> = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}
      sendError(res, behaviour.status, behaviour.error ?? { message: `HTTP ${behaviour.status}` }, headers)
      return
    }
    if (operation === 'embeddings') {
      sendJson(res, 200, embeddingsResponse(request.body as EmbeddingsBody, behaviour))
      return
    }
    const body = request.body as ChatBody
    if (body.stream) await streamChat(res, body, behaviour)
    else sendJson(res, 200, chatCompletion(body, behaviour))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    baseUrl: `${origin}/v1`,
    requests,
    when: (model, behaviour) => void behaviours.set(model, behaviour),
    setDefault: (behaviour) => {
      fallback = behaviour
    },
    reset: () => {
      requests.length = 0
      behaviours.clear()
      fallback = {}
    },
    embeddingFor,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function record(req: IncomingMessage, res: ServerResponse, raw: string): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://mock')
  let body: unknown = raw
  try {
    body = JSON.parse(raw)
  } catch {
    // Kept as text: the test may want to see what was sent.
  }
  const azure = AZURE_PATH.exec(url.pathname)
  let settle: (outcome: 'completed' | 'aborted') => void = () => {}
  const recorded: RecordedRequest = {
    method: req.method ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body,
    ...(azure && { deployment: decodeURIComponent(azure[1] as string) }),
    outcome: 'pending',
    settled: new Promise((resolve) => {
      settle = resolve
    }),
  }
  res.on('close', () => {
    recorded.outcome = res.writableFinished ? 'completed' : 'aborted'
    settle(recorded.outcome)
  })
  return recorded
}

function operationOf(request: RecordedRequest): 'chat' | 'embeddings' | undefined {
  const operation =
    request.deployment === undefined ? request.path.replace(/^\/v1/, '') : AZURE_PATH.exec(request.path)?.[2]
  if (operation === '/chat/completions' || operation === 'chat/completions') return 'chat'
  if (operation === '/embeddings' || operation === 'embeddings') return 'embeddings'
  return undefined
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

// --- Chat ---------------------------------------------------------------------------------------------------------

interface ChatBody {
  model: string
  messages: Array<{ content?: unknown }>
  stream?: boolean
  stream_options?: { include_usage?: boolean } | null
  tools?: Array<{ function?: { name?: string } }>
}

function answerOf(body: ChatBody, behaviour: Behaviour): { text: string | null; toolCalls: Required<MockToolCall>[] } {
  const offered = (body.tools ?? []).map((tool) => tool.function?.name).filter((name) => typeof name === 'string')
  if (offered.length === 0) return { text: behaviour.text ?? DEFAULT_TEXT, toolCalls: [] }
  const calls = behaviour.toolCalls ?? [{ name: offered[0] as string, arguments: {} }]
  return { text: null, toolCalls: calls.map((call, i) => ({ id: call.id ?? `call_mock_${i}`, ...call })) }
}

/** A rough token count; tests only need it stable and non-zero. */
function usageOf(body: ChatBody, text: string) {
  const prompt = Math.max(1, Math.ceil(JSON.stringify(body.messages).length / 4))
  const completion = Math.max(1, Math.ceil(text.length / 4))
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

function chatCompletion(body: ChatBody, behaviour: Behaviour) {
  const { text, toolCalls } = answerOf(body, behaviour)
  const calls = toolCalls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }))
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: CREATED,
    model: body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          annotations: [],
          ...(calls.length > 0 && { tool_calls: calls }),
        },
        logprobs: null,
        finish_reason: calls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(body, text ?? calls.map((call) => call.function.arguments).join('')),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  }
}

async function streamChat(res: ServerResponse, body: ChatBody, behaviour: Behaviour): Promise<void> {
  const includeUsage = body.stream_options?.include_usage === true
  const { text, toolCalls } = answerOf(body, behaviour)
  const size = behaviour.pieceSize ?? 4
  const chunk = (delta: object | null, finishReason: string | null = null) => ({
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: body.model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
    choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] : [],
    ...(includeUsage && { usage: null }),
  })

  const deltas: object[] = []
  if (text !== null) {
    deltas.push({ role: 'assistant', content: '', refusal: null })
    for (const piece of pieces(text, size)) deltas.push({ content: piece })
  } else {
    deltas.push({ role: 'assistant', content: null, refusal: null })
    for (const [index, call] of toolCalls.entries()) {
      deltas.push({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      })
      for (const piece of pieces(JSON.stringify(call.arguments), size)) {
        deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] })
      }
    }
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  // The status line goes out at once, as OpenAI's does; the first chunk may take a while.
  res.flushHeaders()
  const frames: object[] = deltas.map((delta) => chunk(delta))
  frames.push(chunk({}, toolCalls.length > 0 ? 'tool_calls' : 'stop'))
  if (includeUsage) {
    const answered = text ?? toolCalls.map((call) => JSON.stringify(call.arguments)).join('')
    frames.push({ ...chunk(null), usage: usageOf(body, answered) })
  }

  for (const [i, frame] of frames.entries()) {
    if (behaviour.streamErrorAfter !== undefined && i === behaviour.streamErrorAfter) {
      const error = behaviour.error ?? { message: 'The server had an error while processing your request.' }
      await writeFrame(res, JSON.stringify(errorBody(error)))
      res.end()
      return
    }
    if (behaviour.streamDropAfter !== undefined && i === behaviour.streamDropAfter) {
      res.destroy()
      return
    }
    if (behaviour.streamEndAfter !== undefined && i === behaviour.streamEndAfter) {
      res.end()
      return
    }
    if (i === 0 && behaviour.firstChunkDelayMs) await sleep(behaviour.firstChunkDelayMs, res)
    if (i > 0 && behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs, res)
    if (res.destroyed) return
    await writeFrame(res, JSON.stringify(frame))
  }
  if (!behaviour.omitDone) await writeFrame(res, '[DONE]')
  res.end()
}

/** Splits text into pieces of `size` code points (never inside a surrogate pair, as OpenAI never does). */
function pieces(text: string, size: number): string[] {
  const points = Array.from(text)
  const out: string[] = []
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''))
  return out
}

/**
 * One `data:` frame, written in two parts split inside its bytes (possibly
 * mid-character): TCP may deliver a frame in any number of pieces, and the
 * gateway's reader must not depend on frame-aligned reads.
 */
async function writeFrame(res: ServerResponse, data: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return
  const bytes = Buffer.from(`data: ${data}\n\n`, 'utf8')
  const cut = Math.floor(bytes.length / 2) + 1
  res.write(bytes.subarray(0, cut))
  await new Promise((resolve) => setImmediate(resolve))
  // Resolves once the bytes are handed to the socket, so a drop right after cannot lose them.
  if (!res.destroyed) await new Promise((resolve) => res.write(bytes.subarray(cut), resolve))
}

// --- Embeddings ---------------------------------------------------------------------------------------------------

interface EmbeddingsBody {
  model: string
  input: string | string[] | number[] | number[][]
  encoding_format?: 'float' | 'base64'
  dimensions?: number
}

function embeddingsResponse(body: EmbeddingsBody, behaviour: Behaviour) {
  const inputs = typeof body.input === 'string' || typeof body.input[0] === 'number' ? [body.input] : body.input
  const dimensions = body.dimensions ?? behaviour.dimensions ?? DEFAULT_DIMENSIONS
  const texts = (inputs as Array<string | number[]>).map((input) =>
    typeof input === 'string' ? input : input.join(' '),
  )
  const tokens = texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0)
  return {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = (behaviour.embedding ?? embeddingFor)(text, dimensions)
      return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? toBase64(vector) : vector }
    }),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  }
}

/** A deterministic unit-ish vector per text; every value is a float32, like OpenAI's. */
function embeddingFor(input: string, dimensions = DEFAULT_DIMENSIONS): number[] {
  let seed = 2166136261
  for (const char of input) seed = Math.imul(seed ^ (char.codePointAt(0) as number), 16777619) >>> 0
  return Array.from({ length: dimensions }, (_, i) => {
    seed = Math.imul(seed ^ (i + 1), 2654435761) >>> 0
    return Math.fround((seed / 0xffffffff) * 2 - 1)
  })
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32. */
function toBase64(values: readonly number[]): string {
  const buffer = Buffer.alloc(values.length * 4)
  for (const [i, value] of values.entries()) buffer.writeFloatLE(value, i * 4)
  return buffer.toString('base64')
}

// --- Plumbing -----------------------------------------------------------------------------------------------------

function errorBody(error: OpenAIErrorInit) {
  return {
    error: {
      message: error.message,
      type: error.type ?? 'server_error',
      param: error.param ?? null,
      code: error.code ?? null,
    },
  }
}

function sendError(res: ServerResponse, status: number, error: OpenAIErrorInit, headers: Record<string, string> = {}) {
  sendJson(res, status, errorBody(error), headers)
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Waits, but stops early when the client has gone (so a slow answer notices an abort promptly). */
function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    res.once('close', done)
    function done() {
      clearTimeout(timer)
      res.off('close', done)
      resolve()
    }
  })
}
