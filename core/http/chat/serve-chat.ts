/**
 * Serves a chat request on any surface: policies, plugins and routing on the
 * canonical request, then the answer in the surface's format, as JSON or as
 * a stream relayed chunk by chunk. Before the first byte is sent a stream can
 * still fall back; after it, a failure becomes the surface's mid-stream error.
 */
import type { Request, Response } from 'express'
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../canonical/chat.js'
import { messageText } from '../../canonical/chat.js'
import { upstreamTextOf } from '../../canonical/upstream-text.js'
import type { DirectAnswer } from '../../plugins/types.js'
import { toClientError, UpstreamError } from '../../providers/upstream-error.js'
import { executeRoute } from '../../routing/execute.js'
import { asGatewayError, type Exchange, exchangeHandler, type SurfaceDeps } from '../exchange.js'
import { prepareRequest, respondPolicies, routeOptions } from '../pipeline.js'
import { sendJson } from '../send-json.js'
import { StreamWriter } from '../stream-writer.js'
import { completionAsChunks } from './completion-chunks.js'
import type { AnswerContext, ChatSurface, Frame, StreamEncoder } from './surface.js'

/** The Express handler for one chat surface; `parse` validates its body and translates it to the canonical request. */
export function chatHandler(
  deps: SurfaceDeps,
  surface: ChatSurface,
  parse: (body: unknown, req: Request) => ChatRequest,
) {
  return exchangeHandler(deps, {
    surface: surface.name,
    endpoint: 'chat',
    parse,
    serve: (exchange, res) => serveChat(exchange, res, surface),
    sendError: (res, error) => surface.sendError(res, error, deps.scrub),
  })
}

async function serveChat(exchange: Exchange, res: Response, surface: ChatSurface): Promise<void> {
  const { runtime, ctx } = exchange
  const startedAt = performance.now()
  const { route, direct } = await prepareRequest(exchange)
  const request = ctx.body as ChatRequest
  const answer: AnswerContext = { request, elapsedMs: () => performance.now() - startedAt }
  if (direct) {
    await serveDirectAnswer(exchange, res, surface, direct, answer)
    return
  }

  if (!request.stream) {
    const served = await executeRoute(
      route,
      runtime.routes,
      async (provider, model, signal, attempt) => {
        await runtime.plugins.runAttempt(ctx, { provider: provider.name, model, attempt })
        const result = await provider.chat(request, {
          model,
          signal,
          requestId: ctx.requestId,
          traceparent: exchange.trace?.startAttempt(provider, model, attempt),
        })
        if (result.stream)
          throw new Error(`provider '${provider.name}' streamed an answer that was not asked to stream`)
        exchange.trace?.answered(result.completion)
        return result.completion
      },
      routeOptions(exchange, route, false),
    )
    exchange.served({ route: route.name, provider: served.provider, model: served.model, attempts: served.attempts })
    const completion = await runtime.plugins.runResponse(ctx, served.result)
    exchange.usage(completion.usage)
    await respondPolicies(exchange, completion as unknown as Record<string, unknown>)
    await exchange.settle()
    exchange.answered(answerText(completion))
    exchange.sendPluginHeaders()
    sendJson(res, 200, surface.renderCompletion(completion, answer))
    return
  }

  // Stream: an attempt counts as served once its first chunk has arrived, so
  // failures before any byte reaches the client can still retry or fall back.
  // Usage is always asked for upstream: billing needs the real token counts.
  const upstreamRequest = withUsageRequested(request)
  const served = await executeRoute(
    route,
    runtime.routes,
    async (provider, model, signal, attempt) => {
      await runtime.plugins.runAttempt(ctx, { provider: provider.name, model, attempt })
      const result = await provider.chat(upstreamRequest, {
        model,
        signal,
        requestId: ctx.requestId,
        traceparent: exchange.trace?.startAttempt(provider, model, attempt),
      })
      if (!result.stream) throw new Error(`provider '${provider.name}' answered a stream request without streaming`)
      const chunks = result.chunks[Symbol.asyncIterator]()
      try {
        return { chunks, first: await chunks.next() }
      } catch (error) {
        await chunks.return?.()
        throw error
      }
    },
    routeOptions(exchange, route, true),
  )
  exchange.served({ route: route.name, provider: served.provider, model: served.model, attempts: served.attempts })
  await relayStream(exchange, res, surface.streamEncoder(answer), served.result, served.provider)
}

async function relayStream(
  exchange: Exchange,
  res: Response,
  encoder: StreamEncoder,
  { chunks, first }: { chunks: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> },
  provider: string,
): Promise<void> {
  const { runtime, ctx } = exchange
  const writer = new StreamWriter(res)
  exchange.sendPluginHeaders()
  writer.open(encoder.contentType)
  let next = first
  try {
    while (!next.done) {
      if (next.value.usage) exchange.usage(next.value.usage)
      exchange.trace?.chunk(next.value)
      exchange.streamed(chunkText(next.value))
      // Chunk hooks may change a chunk in place: its upstream text is only offered when none ran.
      const frame = runtime.plugins.hasChunkHooks
        ? encodeChanged(encoder, runtime.plugins.runChunk(ctx, next.value))
        : encoder.chunk(next.value, upstreamTextOf(next.value))
      if (frame) {
        const backpressure = writer.write(frame)
        if (backpressure) await backpressure
        exchange.chunkSent()
      }
      if (exchange.signal.aborted) return
      next = await chunks.next()
    }
    await respondPolicies(exchange, null)
    await exchange.settle()
    const last = encoder.end()
    if (last) await writer.write(last)
  } catch (error) {
    if (exchange.signal.aborted) return
    const failure = error instanceof UpstreamError ? toClientError(error, provider) : asGatewayError(error, ctx.logger)
    exchange.failed(failure)
    ctx.logger.warn({ provider, err: error }, 'stream failed after it started; sent an error frame')
    // The 200 is already sent: the error travels in the stream, where the SDKs raise it.
    const frame = encoder.error(failure, exchange.scrub)
    if (frame) await writer.write(frame)
  } finally {
    await chunks.return?.()
    writer.end()
  }
}

function encodeChanged(encoder: StreamEncoder, chunk: ChatChunk | null): Frame | null {
  return chunk && encoder.chunk(chunk)
}

/**
 * A plugin answered (a cache hit, a guardrail's refusal): settled before it
 * goes out, at cost 0 unless the plugin asks to charge it. A stream request
 * gets a stream (a JSON body reads as an empty stream to an SDK): the
 * recorded chunks when the plugin kept them, else the answer replayed.
 */
async function serveDirectAnswer(
  exchange: Exchange,
  res: Response,
  surface: ChatSurface,
  direct: DirectAnswer,
  answer: AnswerContext,
): Promise<void> {
  const request = exchange.ctx.body as ChatRequest
  res.setHeader('x-gateway-answered-by', 'plugin')
  if (direct.charge) exchange.chargeAs(direct.charge)
  await exchange.settle()
  exchange.sendPluginHeaders()
  exchange.answered(answerText(direct.respond))
  if (!request.stream) {
    sendJson(res, 200, surface.renderCompletion(direct.respond, answer))
    return
  }
  const encoder = surface.streamEncoder(answer)
  const writer = new StreamWriter(res)
  writer.open(encoder.contentType)
  for (const chunk of direct.chunks ?? completionAsChunks(direct.respond)) {
    const frame = encoder.chunk(chunk)
    if (frame) await writer.write(frame)
  }
  const last = encoder.end()
  if (last) await writer.write(last)
  writer.end()
}

function withUsageRequested(request: ChatRequest): ChatRequest {
  if (request.stream_options?.include_usage) return request
  return { ...request, stream_options: { ...request.stream_options, include_usage: true } }
}

/** The text a chunk adds (content and tool-call arguments), for counting tokens when no usage arrives. */
function chunkText(chunk: ChatChunk): string {
  let text = ''
  for (const choice of chunk.choices) {
    if (choice.delta.content) text += choice.delta.content
    for (const call of choice.delta.tool_calls ?? []) text += call.function?.arguments ?? ''
  }
  return text
}

/** The text of an answer for the audit record: the first choice's content, or its tool calls as JSON. */
function answerText(completion: ChatCompletion): string | null {
  const message = completion.choices[0]?.message
  if (!message) return null
  return message.tool_calls ? JSON.stringify(message.tool_calls) : messageText(message)
}
