/**
 * A stand-in for Anthropic's Messages API speaking its real wire format:
 * `POST /v1/messages` answered as a JSON `message`, or as SSE with `event:`
 * lines (message_start, content_block_start/delta/stop with thinking_delta,
 * signature_delta, text_delta and input_json_delta, message_delta with cumulative usage, message_stop, and
 * pings), errors as `{ type: 'error', error: { type, message } }`. Every
 * request is recorded; behaviour is set per model.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface AnthropicToolUse {
  id: string
  name: string
  input: unknown
}

export interface AnthropicMockUsage {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

export interface AnthropicBehaviour {
  /** Answer with this status and an Anthropic error body. */
  status?: number
  errorType?: string
  errorMessage?: string
  /** Text of the answer (default ANTHROPIC_TEXT); empty string for none. */
  text?: string
  toolUses?: AnthropicToolUse[]
  /** Extended thinking before the answer: a thinking block with this text and signature. */
  thinking?: { text: string; signature: string }
  stopReason?: string
  usage?: AnthropicMockUsage
  /** Characters per streamed text or JSON piece (default 5). */
  pieceSize?: number
  /** In a stream: after this many content deltas, send `event: error` with this type and end. */
  streamErrorAfter?: number
  streamErrorType?: string
}

export interface AnthropicRecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface AnthropicMockUpstream {
  /** `http://127.0.0.1:<port>`, the `baseUrl` of an `anthropic` provider. */
  readonly origin: string
  readonly requests: AnthropicRecordedRequest[]
  when(model: string, behaviour: AnthropicBehaviour): void
  reset(): void
  close(): Promise<void>
}

export const ANTHROPIC_TEXT = 'Hello from the Anthropic mock, "quoted" and ünïcödé.'
export const DEFAULT_USAGE: AnthropicMockUsage = {
  input_tokens: 1000,
  output_tokens: 200,
  cache_read_input_tokens: 4000,
  cache_creation_input_tokens: 500,
}

export async function startAnthropicUpstream(): Promise<AnthropicMockUpstream> {
  const requests: AnthropicRecordedRequest[] = []
  const behaviours = new Map<string, AnthropicBehaviour>()
  const sockets = new Set<Socket>()
  let counter = 0

  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8')
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        // Recorded as empty; answered as invalid below.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
      if (req.method !== 'POST' || req.url !== '/v1/messages') {
        return sendError(res, 404, 'not_found_error', `no route ${req.method} ${req.url}`)
      }
      if (!req.headers['x-api-key']) return sendError(res, 401, 'authentication_error', 'x-api-key header is required')
      if (!req.headers['anthropic-version']) {
        return sendError(res, 400, 'invalid_request_error', 'anthropic-version header is required')
      }
      if (typeof body.max_tokens !== 'number') {
        return sendError(res, 400, 'invalid_request_error', 'max_tokens: Field required')
      }
      const model = String(body.model)
      const behaviour = behaviours.get(model) ?? {}
      if (behaviour.status) {
        return sendError(res, behaviour.status, behaviour.errorType ?? 'api_error', behaviour.errorMessage ?? 'failed')
      }
      counter += 1
      const id = `msg_mock_${counter}`
      if (body.stream === true) stream(res, id, model, behaviour)
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message(id, model, behaviour)))
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

function blocksOf(behaviour: AnthropicBehaviour): Array<Record<string, unknown>> {
  const text = behaviour.text ?? (behaviour.toolUses ? '' : ANTHROPIC_TEXT)
  const { thinking } = behaviour
  return [
    ...(thinking ? [{ type: 'thinking', thinking: thinking.text, signature: thinking.signature }] : []),
    ...(text ? [{ type: 'text', text }] : []),
    ...(behaviour.toolUses ?? []).map((use) => ({ type: 'tool_use', id: use.id, name: use.name, input: use.input })),
  ]
}

function stopReasonOf(behaviour: AnthropicBehaviour): string {
  return behaviour.stopReason ?? (behaviour.toolUses?.length ? 'tool_use' : 'end_turn')
}

function message(id: string, model: string, behaviour: AnthropicBehaviour): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: blocksOf(behaviour),
    stop_reason: stopReasonOf(behaviour),
    stop_sequence: null,
    usage: { ...DEFAULT_USAGE, ...behaviour.usage },
  }
}

function pieces(text: string, size: number): string[] {
  const out: string[] = []
  const chars = [...text]
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''))
  return out
}

function stream(res: ServerResponse, id: string, model: string, behaviour: AnthropicBehaviour): void {
  const size = behaviour.pieceSize ?? 5
  const usage = { ...DEFAULT_USAGE, ...behaviour.usage }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const send = (type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
  }
  send('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  })
  send('ping', {})
  let deltas = 0
  const failNow = (): boolean => {
    if (behaviour.streamErrorAfter === undefined || deltas < behaviour.streamErrorAfter) return false
    send('error', {
      error: { type: behaviour.streamErrorType ?? 'overloaded_error', message: 'Overloaded' },
    })
    res.end()
    return true
  }
  const blocks = blocksOf(behaviour)
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'thinking') {
      send('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } })
      for (const piece of pieces(String(block.thinking), size)) {
        send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } })
      }
      send('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } })
    } else if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } })
      for (const piece of pieces(String(block.text), size)) {
        if (failNow()) return
        send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } })
        deltas += 1
      }
    } else {
      send('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      })
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } })
      for (const piece of pieces(JSON.stringify(block.input), size)) {
        if (failNow()) return
        send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } })
        deltas += 1
        if (deltas % 3 === 0) send('ping', {})
      }
    }
    send('content_block_stop', { index })
  }
  if (failNow()) return
  // Cumulative usage: message_delta repeats the final counts.
  send('message_delta', { delta: { stop_reason: stopReasonOf(behaviour), stop_sequence: null }, usage })
  send('message_stop', {})
  res.end()
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_mock' })
    .end(JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_mock' }))
}
