/**
 * The mock upstream every contender calls: OpenAI chat completions on
 * node:http, 127.0.0.1, answers prepared once so the upstream costs the same
 * whoever calls it. `stream: true` gets an SSE stream of `chunks` content
 * frames (plus a usage frame when `stream_options.include_usage` is asked
 * for) and `[DONE]`; anything else a small fixed JSON completion. `latencyMs`
 * delays the answer's first byte (a model's time to first token);
 * `chunkDelayMs` spaces the stream's frames. Both can be changed between
 * measurements over IPC, so one upstream serves the whole run.
 *
 * Run as a child of the bench (`node bench/.tmp/build/bench/upstream.js`, or
 * `node --import tsx bench/upstream.ts` from source), or
 * import `startUpstream`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { announceReady, serveIpc } from './lib/child.js'

export interface UpstreamSettings {
  /** Delay before the first byte of an answer, ms (default 0). */
  latencyMs: number
  /** Content frames in a stream (default 20). */
  chunks: number
  /** Delay between stream frames, ms (default 0: written back to back). */
  chunkDelayMs: number
}

export interface UpstreamStats {
  requests: number
  streams: number
}

export const DEFAULT_UPSTREAM: UpstreamSettings = { latencyMs: 0, chunks: 20, chunkDelayMs: 0 }

const CREATED = 1_700_000_000
const MODEL = 'bench-model'
const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.']

function completionBody(): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: CREATED,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 10, total_tokens: 130 },
      system_fingerprint: 'fp_bench',
    }),
  )
}

function frame(value: unknown): Buffer {
  return Buffer.from(`data: ${JSON.stringify(value)}\n\n`)
}

/** The stream's frames, prepared once: role, `chunks` content pieces, finish, optional usage, [DONE]. */
function streamFrames(chunks: number): { frames: Buffer[]; usage: Buffer; done: Buffer } {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model: MODEL }
  const frames: Buffer[] = []
  for (let i = 0; i < chunks; i++) {
    const delta = i === 0 ? { role: 'assistant', content: WORDS[0] } : { content: WORDS[i % WORDS.length] }
    frames.push(frame({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] }))
  }
  frames.push(frame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }))
  const usage = frame({
    ...base,
    choices: [],
    usage: { prompt_tokens: 120, completion_tokens: chunks, total_tokens: 120 + chunks },
  })
  return { frames, usage, done: Buffer.from('data: [DONE]\n\n') }
}

const STREAM_FLAG = /"stream"\s*:\s*true/
const INCLUDE_USAGE = /"include_usage"\s*:\s*true/

export interface Upstream {
  readonly server: Server
  readonly url: string
  settings: UpstreamSettings
  readonly stats: UpstreamStats
  close(): Promise<void>
}

export async function startUpstream(initial: Partial<UpstreamSettings> = {}, port = 0): Promise<Upstream> {
  let settings: UpstreamSettings = { ...DEFAULT_UPSTREAM, ...initial }
  const json = completionBody()
  let stream = streamFrames(settings.chunks)
  const stats: UpstreamStats = { requests: 0, streams: 0 }

  const answerJson = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length })
    res.end(json)
  }

  const answerStream = (res: ServerResponse, includeUsage: boolean) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const frames = includeUsage ? [...stream.frames, stream.usage, stream.done] : [...stream.frames, stream.done]
    const { chunkDelayMs } = settings
    if (chunkDelayMs <= 0) {
      for (const piece of frames) res.write(piece)
      res.end()
      return
    }
    let next = 0
    const tick = () => {
      if (res.destroyed) return
      res.write(frames[next++])
      if (next === frames.length) res.end()
      else setTimeout(tick, chunkDelayMs)
    }
    tick()
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}')
        return
      }
      stats.requests++
      // No JSON.parse: a regex over the raw body keeps the upstream's cost flat and small.
      const body = parts.length === 1 ? (parts[0] as Buffer).toString() : Buffer.concat(parts).toString()
      const isStream = STREAM_FLAG.test(body)
      if (isStream) stats.streams++
      const answer = () => (isStream ? answerStream(res, INCLUDE_USAGE.test(body)) : answerJson(res))
      if (settings.latencyMs > 0) setTimeout(answer, settings.latencyMs)
      else answer()
    })
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, handle)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    get settings() {
      return settings
    },
    set settings(next: UpstreamSettings) {
      if (next.chunks !== settings.chunks) stream = streamFrames(next.chunks)
      settings = next
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const index = process.argv.indexOf(`--${name}`)
    return index > 0 ? Number(process.argv[index + 1]) : undefined
  }
  const upstream = await startUpstream({
    latencyMs: arg('latency') ?? DEFAULT_UPSTREAM.latencyMs,
    chunks: arg('chunks') ?? DEFAULT_UPSTREAM.chunks,
    chunkDelayMs: arg('chunk-delay') ?? DEFAULT_UPSTREAM.chunkDelayMs,
  })
  serveIpc({
    configure: (changes: Partial<UpstreamSettings>) => {
      upstream.settings = { ...upstream.settings, ...changes }
      return upstream.settings
    },
    stats: () => ({ ...upstream.stats }),
  })
  announceReady(Number(new URL(upstream.url).port), () => upstream.close())
}
