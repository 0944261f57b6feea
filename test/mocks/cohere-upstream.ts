/**
 * A stand-in for Cohere's v2 API speaking its real wire format:
 * `POST /v2/chat` answered as a JSON chat response, or as SSE with `event:`
 * lines and a `type` in each data (message-start, content-start/delta/end,
 * tool-plan-delta, tool-call-start/delta/end, message-end with the finish
 * reason and usage); `POST /v2/embed` answered with `embeddings_by_type`.
 * Errors are an HTTP status with `{ id, message }`. The Bearer key is
 * checked, every request recorded, and behaviour set per model.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface CohereMockToolCall {
  id: string
  name: string
  arguments: unknown
}

export interface CohereMockUsage {
  billed_units: { input_tokens: number; output_tokens: number }
  tokens: { input_tokens: number; output_tokens: number }
  cached_tokens?: number
}

export interface CohereBehaviour {
  /** Answer with this status and a Cohere error body carrying `errorMessage`. */
  status?: number
  errorMessage?: string
  retryAfter?: string
  /** Text of the answer (default COHERE_TEXT; none by default when there are tool calls). */
  text?: string
  toolPlan?: string
  toolCalls?: CohereMockToolCall[]
  finishReason?: string
  usage?: CohereMockUsage
  /** Characters per streamed text or argument piece (default 5). */
  pieceSize?: number
  /** Milliseconds between stream events (default 0). */
  eventDelayMs?: number
  /** In a stream: after this many deltas, end with `finish_reason: ERROR` and this error text. */
  streamErrorAfter?: number
}

export interface CohereRecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface CohereMockUpstream {
  /** `http://127.0.0.1:<port>`, the `baseUrl` of a `cohere` provider. */
  readonly origin: string
  readonly requests: CohereRecordedRequest[]
  /** Streams whose client went away before the stream was complete. */
  readonly abandonedStreams: number
  when(model: string, behaviour: CohereBehaviour): void
  reset(): void
  close(): Promise<void>
}

export const COHERE_TEXT = 'Hello from the Cohere mock, "quoted" and ünïcödé — 你好.'
export const COHERE_STREAM_ERROR = 'internal error while generating'
/** `tokens` counts template tokens that `billed_units` leaves out, so the two differ on purpose. */
export const COHERE_USAGE: CohereMockUsage = {
  billed_units: { input_tokens: 1000, output_tokens: 200 },
  tokens: { input_tokens: 1130, output_tokens: 215 },
  cached_tokens: 512,
}

/** A deterministic vector for a text; quarters are exact in float32, so base64 round-trips exactly. */
export function mockVector(text: string, dimensions = 4): number[] {
  const codes = [...text].map((char) => char.codePointAt(0) ?? 0)
  return Array.from({ length: dimensions }, (_, i) => ((codes[i % Math.max(codes.length, 1)] ?? 0) % 64) / 4 - i)
}

export async function startCohereUpstream(apiKey: string): Promise<CohereMockUpstream> {
  const requests: CohereRecordedRequest[] = []
  const behaviours = new Map<string, CohereBehaviour>()
  const sockets = new Set<Socket>()
  let counter = 0
  let abandonedStreams = 0

  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>
      } catch {
        // Recorded as empty; answered as invalid below.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return sendError(res, 401, 'invalid api token')
      }
      if (req.method !== 'POST' || (req.url !== '/v2/chat' && req.url !== '/v2/embed')) {
        return sendError(res, 404, `no route ${req.method} ${req.url}`)
      }
      if (typeof body.model !== 'string') return sendError(res, 400, 'invalid request: model is required')
      const behaviour = behaviours.get(body.model) ?? {}
      if (behaviour.status) {
        return sendError(res, behaviour.status, behaviour.errorMessage ?? 'failed', behaviour.retryAfter)
      }
      counter += 1
      const id = `c0h3r3-${counter}`
      if (req.url === '/v2/embed') return embed(res, id, body)
      if (!Array.isArray(body.messages)) return sendError(res, 400, 'invalid request: messages is required')
      if (body.stream === true) {
        stream(res, id, behaviour).then(
          (complete) => {
            if (!complete) abandonedStreams += 1
          },
          () => {
            abandonedStreams += 1
          },
        )
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chatResponse(id, behaviour)))
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get abandonedStreams() {
      return abandonedStreams
    },
    when: (model, behaviour) => behaviours.set(model, behaviour),
    reset: () => {
      requests.length = 0
      behaviours.clear()
      abandonedStreams = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function textOf(behaviour: CohereBehaviour): string {
  return behaviour.text ?? (behaviour.toolCalls ? '' : COHERE_TEXT)
}

function finishReasonOf(behaviour: CohereBehaviour): string {
  return behaviour.finishReason ?? (behaviour.toolCalls?.length ? 'TOOL_CALL' : 'COMPLETE')
}

function chatResponse(id: string, behaviour: CohereBehaviour): Record<string, unknown> {
  const text = textOf(behaviour)
  return {
    id,
    finish_reason: finishReasonOf(behaviour),
    message: {
      role: 'assistant',
      ...(text && { content: [{ type: 'text', text }] }),
      ...(behaviour.toolPlan && { tool_plan: behaviour.toolPlan }),
      ...(behaviour.toolCalls && {
        tool_calls: behaviour.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      }),
    },
    usage: behaviour.usage ?? COHERE_USAGE,
  }
}

function pieces(text: string, size: number): string[] {
  const out: string[] = []
  const chars = [...text]
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''))
  return out
}

/** Resolves true when the whole stream was written, false when the client went away first. */
async function stream(res: ServerResponse, id: string, behaviour: CohereBehaviour): Promise<boolean> {
  const size = behaviour.pieceSize ?? 5
  const delay = behaviour.eventDelayMs ?? 0
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  let deltas = 0
  const send = async (type: string, data: Record<string, unknown>): Promise<boolean> => {
    if (res.destroyed || res.writableEnded) return false
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    return !res.destroyed
  }
  const failNow = async (): Promise<boolean> => {
    if (behaviour.streamErrorAfter === undefined || deltas < behaviour.streamErrorAfter) return false
    await send('message-end', { delta: { error: COHERE_STREAM_ERROR, finish_reason: 'ERROR' } })
    res.end()
    return true
  }

  if (
    !(await send('message-start', {
      id,
      delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } },
    }))
  ) {
    return false
  }
  for (const piece of pieces(behaviour.toolPlan ?? '', size)) {
    if (await failNow()) return true
    if (!(await send('tool-plan-delta', { delta: { message: { tool_plan: piece } } }))) return false
    deltas += 1
  }
  for (const [index, call] of (behaviour.toolCalls ?? []).entries()) {
    const [first = '', ...rest] = pieces(JSON.stringify(call.arguments), size)
    const start = { id: call.id, type: 'function', function: { name: call.name, arguments: first } }
    if (!(await send('tool-call-start', { index, delta: { message: { tool_calls: start } } }))) return false
    for (const piece of rest) {
      if (await failNow()) return true
      const delta = { message: { tool_calls: { function: { arguments: piece } } } }
      if (!(await send('tool-call-delta', { index, delta }))) return false
      deltas += 1
    }
    if (!(await send('tool-call-end', { index }))) return false
  }
  const text = textOf(behaviour)
  if (text) {
    if (!(await send('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } }))) {
      return false
    }
    for (const piece of pieces(text, size)) {
      if (await failNow()) return true
      if (!(await send('content-delta', { index: 0, delta: { message: { content: { text: piece } } } }))) return false
      deltas += 1
    }
    if (!(await send('content-end', { index: 0 }))) return false
  }
  if (await failNow()) return true
  const usage = behaviour.usage ?? COHERE_USAGE
  if (!(await send('message-end', { delta: { finish_reason: finishReasonOf(behaviour), usage } }))) return false
  res.end()
  return true
}

function embed(res: ServerResponse, id: string, body: Record<string, unknown>): void {
  const texts = body.texts
  if (!Array.isArray(texts) || texts.some((text) => typeof text !== 'string')) {
    sendError(res, 400, 'invalid request: texts must be a list of strings')
    return
  }
  if (typeof body.input_type !== 'string') {
    sendError(res, 400, 'invalid request: valid input_type must be provided with the provided model')
    return
  }
  const types = Array.isArray(body.embedding_types) ? body.embedding_types : []
  const dimensions = typeof body.output_dimension === 'number' ? body.output_dimension : 4
  const embeddings: Record<string, unknown> = {}
  if (types.includes('float')) embeddings.float = texts.map((text: string) => mockVector(text, dimensions))
  const tokens = texts.reduce((sum: number, text: string) => sum + text.length, 0)
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id,
      embeddings,
      texts,
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } },
      response_type: 'embeddings_by_type',
    }),
  )
}

function sendError(res: ServerResponse, status: number, message: string, retryAfter?: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...(retryAfter && { 'retry-after': retryAfter }) })
    .end(JSON.stringify({ id: 'err-mock-0001', message }))
}
