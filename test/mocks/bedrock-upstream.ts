/**
 * A stand-in for the Bedrock runtime speaking its real wire format:
 * `POST /model/{modelId}/converse` answered as JSON, `/converse-stream` as a
 * binary AWS event stream (messageStart, contentBlockStart/Delta/Stop,
 * messageStop, metadata; exceptions as `exception` frames), `/invoke` for
 * Titan text embeddings, errors as `{ message }` with `x-amzn-errortype`.
 *
 * Authentication is checked, not assumed: a SigV4 request is re-signed here
 * from what arrived (method, path, the signed headers, the body) with the
 * secret of the access key it names, and rejected with 403 unless the
 * signatures match; a Bearer request needs one of the known API keys. Every
 * request is recorded; behaviour is set per model.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Hash } from '@smithy/core/serde'
import { SignatureV4 } from '@smithy/signature-v4'
import { type EventStreamOutgoing, encodeEventStreamMessage } from '../../core/providers/bedrock/event-stream.js'

export interface BedrockToolUse {
  toolUseId: string
  name: string
  input: unknown
}

export interface BedrockMockUsage {
  inputTokens: number
  outputTokens: number
  cacheReadInputTokens?: number
  cacheWriteInputTokens?: number
}

export interface BedrockBehaviour {
  /** Answer with this status and a Bedrock error (`errorType` in x-amzn-errortype, `{ message }` body). */
  status?: number
  errorType?: string
  errorMessage?: string
  /** Text of the answer (default BEDROCK_TEXT); empty string for none. */
  text?: string
  /** Reasoning text, sent as a `reasoningContent` block before the text. */
  reasoning?: string
  toolUses?: BedrockToolUse[]
  stopReason?: string
  usage?: BedrockMockUsage
  /** Characters per streamed text or JSON piece (default 5). */
  pieceSize?: number
  /** In a stream: after this many content deltas, send an exception frame of this type and end. */
  streamExceptionAfter?: number
  streamExceptionType?: string
}

export interface BedrockRecordedRequest {
  method: string
  /** The path as received (model ids percent-encoded). */
  path: string
  /** The model id, decoded from the path. */
  modelId: string
  operation: 'converse' | 'converse-stream' | 'invoke' | 'unknown'
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
  /** How the request authenticated, once verified. */
  auth: 'sigv4' | 'bearer' | 'rejected'
}

export interface BedrockMockCredentials {
  accessKeyId: string
  secretAccessKey: string
}

export interface BedrockMockUpstream {
  /** `http://127.0.0.1:<port>`, the `baseUrl` of a `bedrock` provider. */
  readonly origin: string
  readonly requests: BedrockRecordedRequest[]
  when(model: string, behaviour: BedrockBehaviour): void
  reset(): void
  close(): Promise<void>
}

export const BEDROCK_TEXT = 'Hello from the Bedrock mock, "quoted" and ünïcödé — 你好.'
export const BEDROCK_DEFAULT_USAGE: Required<BedrockMockUsage> = {
  inputTokens: 1000,
  outputTokens: 200,
  cacheReadInputTokens: 4000,
  cacheWriteInputTokens: 500,
}
/** Dimensions of the mock's Titan embeddings. */
export const TITAN_DIMENSIONS = 8

const PATH = /^\/model\/([^/?]+)\/(converse|converse-stream|invoke)$/

class Sha256 extends Hash {
  constructor(secret?: ConstructorParameters<typeof Hash>[1]) {
    super('sha256', secret)
  }
}

export async function startBedrockUpstream(options: {
  credentials?: BedrockMockCredentials[]
  apiKeys?: string[]
}): Promise<BedrockMockUpstream> {
  const requests: BedrockRecordedRequest[] = []
  const behaviours = new Map<string, BedrockBehaviour>()
  const sockets = new Set<Socket>()
  const secrets = new Map((options.credentials ?? []).map((c) => [c.accessKeyId, c.secretAccessKey]))
  const apiKeys = new Set(options.apiKeys ?? [])
  let counter = 0

  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(parts).toString('utf8')
        let body: Record<string, unknown> = {}
        try {
          body = JSON.parse(raw) as Record<string, unknown>
        } catch {
          // Recorded as empty; answered as invalid below.
        }
        const url = req.url ?? ''
        const match = PATH.exec(url)
        const record: BedrockRecordedRequest = {
          method: req.method ?? '',
          path: url,
          modelId: match ? decodeURIComponent(match[1] ?? '') : '',
          operation: (match?.[2] as BedrockRecordedRequest['operation'] | undefined) ?? 'unknown',
          headers: req.headers,
          body,
          auth: 'rejected',
        }
        requests.push(record)
        const denied = await authenticate(req.method ?? '', url, req.headers, raw, secrets, apiKeys)
        if (denied) return sendError(res, 403, denied.type, denied.message)
        record.auth = req.headers.authorization?.startsWith('Bearer ') ? 'bearer' : 'sigv4'
        if (req.method !== 'POST' || !match) {
          return sendError(res, 404, 'UnknownOperationException', `no route ${req.method} ${url}`)
        }
        const behaviour = behaviours.get(record.modelId) ?? {}
        if (behaviour.status) {
          return sendError(
            res,
            behaviour.status,
            behaviour.errorType ?? 'InternalServerException',
            behaviour.errorMessage ?? 'failed',
          )
        }
        counter += 1
        const requestId = `req-bedrock-${counter}`
        if (record.operation === 'invoke') return sendJson(res, 200, titanEmbedding(body), requestId)
        if (!Array.isArray(body.messages) || body.messages.length === 0) {
          return sendError(res, 400, 'ValidationException', 'A conversation must start with a user message.')
        }
        if (record.operation === 'converse-stream') await stream(res, behaviour, requestId)
        else sendJson(res, 200, converseAnswer(behaviour), requestId)
      })().catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerException', String(error))
        else res.destroy()
      })
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

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/

/** Undefined when the request may pass; otherwise the exception AWS would answer with. */
async function authenticate(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: string,
  secrets: ReadonlyMap<string, string>,
  apiKeys: ReadonlySet<string>,
): Promise<{ type: string; message: string } | undefined> {
  const authorization = headers.authorization ?? ''
  if (authorization.startsWith('Bearer ')) {
    return apiKeys.has(authorization.slice('Bearer '.length))
      ? undefined
      : { type: 'UnrecognizedClientException', message: 'Invalid API Key format: Must start with pre-defined prefix' }
  }
  const parsed = AUTHORIZATION.exec(authorization)
  if (!parsed) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' }
  const [, accessKeyId = '', , region = '', service = '', signedHeaderList = ''] = parsed
  const secret = secrets.get(accessKeyId)
  if (!secret)
    return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }
  const amzDate = String(headers['x-amz-date'] ?? '')
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  if (!date) return { type: 'IncompleteSignatureException', message: 'X-Amz-Date is missing or malformed' }
  const declaredHash = headers['x-amz-content-sha256']
  if (typeof declaredHash === 'string' && declaredHash !== createHash('sha256').update(body).digest('hex')) {
    return { type: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 does not match the body.' }
  }
  const signedNames = signedHeaderList.split(';')
  if (!signedNames.includes('host'))
    return { type: 'InvalidSignatureException', message: "'Host' must be a signed header." }
  const signedHeaders: Record<string, string> = {}
  for (const name of signedNames) {
    const value = headers[name]
    if (value === undefined) return { type: 'InvalidSignatureException', message: `signed header '${name}' is missing` }
    signedHeaders[name] = Array.isArray(value) ? value.join(',') : value
  }
  const [path = '', search = ''] = url.split('?')
  const query = Object.fromEntries(new URLSearchParams(search))
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: secret,
      ...(typeof headers['x-amz-security-token'] === 'string' && { sessionToken: headers['x-amz-security-token'] }),
    },
    region,
    service,
    sha256: Sha256,
    // The payload hash header counts only if the client sent (and signed) it; never add one here.
    applyChecksum: false,
  })
  const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!))
  const host = signedHeaders.host ?? ''
  const expected = await signer.sign(
    { method, protocol: 'http:', hostname: host.split(':')[0] ?? '', path, query, headers: signedHeaders, body },
    { signingDate, unsignableHeaders: new Set(), signableHeaders: new Set(signedNames) },
  )
  // Only the headers the client signed may be signed here too; any other header the signer adds
  // (the session token) is part of what the client had to sign as well.
  if (expected.headers.authorization !== authorization && expected.headers.Authorization !== authorization) {
    return {
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    }
  }
  return undefined
}

function pieces(text: string, size: number): string[] {
  const chars = Array.from(text)
  const out: string[] = []
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''))
  return out
}

function stopReasonOf(behaviour: BedrockBehaviour): string {
  return behaviour.stopReason ?? (behaviour.toolUses?.length ? 'tool_use' : 'end_turn')
}

function usageOf(behaviour: BedrockBehaviour): Record<string, number> {
  const usage = { ...BEDROCK_DEFAULT_USAGE, ...behaviour.usage }
  return {
    ...usage,
    totalTokens:
      usage.inputTokens + usage.outputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0),
  }
}

function textOf(behaviour: BedrockBehaviour): string {
  return behaviour.text ?? (behaviour.toolUses ? '' : BEDROCK_TEXT)
}

function converseAnswer(behaviour: BedrockBehaviour): Record<string, unknown> {
  const text = textOf(behaviour)
  const content: Array<Record<string, unknown>> = [
    ...(behaviour.reasoning
      ? [{ reasoningContent: { reasoningText: { text: behaviour.reasoning, signature: 'sig-mock' } } }]
      : []),
    ...(text ? [{ text }] : []),
    ...(behaviour.toolUses ?? []).map((use) => ({
      toolUse: { toolUseId: use.toolUseId, name: use.name, input: use.input },
    })),
  ]
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: stopReasonOf(behaviour),
    usage: usageOf(behaviour),
    metrics: { latencyMs: 42 },
  }
}

async function stream(res: ServerResponse, behaviour: BedrockBehaviour, requestId: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId })
  const size = behaviour.pieceSize ?? 5
  let deltas = 0
  let block = 0
  const send = async (message: EventStreamOutgoing): Promise<void> => {
    // Each frame goes out in two writes a tick apart, so readers meet frames split across reads.
    const frame = encodeEventStreamMessage(message)
    const cut = Math.min(7, frame.length - 1)
    res.write(frame.subarray(0, cut))
    await new Promise((resolve) => setImmediate(resolve))
    res.write(frame.subarray(cut))
  }
  /** True when the configured exception was sent and the stream must end. */
  const delta = async (payload: Record<string, unknown>): Promise<boolean> => {
    if (behaviour.streamExceptionAfter !== undefined && deltas >= behaviour.streamExceptionAfter) {
      await send({
        messageType: 'exception',
        exceptionType: behaviour.streamExceptionType ?? 'modelStreamErrorException',
        payload: { message: 'The model stream failed mid-answer.' },
      })
      res.end()
      return true
    }
    deltas += 1
    await send({
      messageType: 'event',
      eventType: 'contentBlockDelta',
      payload: { contentBlockIndex: block, delta: payload },
    })
    return false
  }

  await send({ messageType: 'event', eventType: 'messageStart', payload: { role: 'assistant' } })
  if (behaviour.reasoning) {
    for (const piece of pieces(behaviour.reasoning, size))
      if (await delta({ reasoningContent: { text: piece } })) return
    await send({ messageType: 'event', eventType: 'contentBlockStop', payload: { contentBlockIndex: block } })
    block += 1
  }
  const text = textOf(behaviour)
  if (text) {
    for (const piece of pieces(text, size)) if (await delta({ text: piece })) return
    await send({ messageType: 'event', eventType: 'contentBlockStop', payload: { contentBlockIndex: block } })
    block += 1
  }
  for (const use of behaviour.toolUses ?? []) {
    await send({
      messageType: 'event',
      eventType: 'contentBlockStart',
      payload: { contentBlockIndex: block, start: { toolUse: { toolUseId: use.toolUseId, name: use.name } } },
    })
    for (const piece of pieces(JSON.stringify(use.input), size)) if (await delta({ toolUse: { input: piece } })) return
    await send({ messageType: 'event', eventType: 'contentBlockStop', payload: { contentBlockIndex: block } })
    block += 1
  }
  await send({ messageType: 'event', eventType: 'messageStop', payload: { stopReason: stopReasonOf(behaviour) } })
  await send({
    messageType: 'event',
    eventType: 'metadata',
    payload: { usage: usageOf(behaviour), metrics: { latencyMs: 42 } },
  })
  res.end()
}

/** A deterministic vector from the text, so tests can tell inputs apart. */
function titanEmbedding(body: Record<string, unknown>): Record<string, unknown> {
  const text = String(body.inputText ?? '')
  const digest = createHash('sha256').update(text).digest()
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : TITAN_DIMENSIONS
  const embedding = Array.from({ length: dimensions }, (_, i) => ((digest[i % digest.length] ?? 0) - 128) / 128)
  return { embedding, inputTextTokenCount: text.split(/\s+/).filter(Boolean).length }
}

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }).end(JSON.stringify(body))
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': 'req-bedrock-error',
    })
    .end(JSON.stringify({ message }))
}
