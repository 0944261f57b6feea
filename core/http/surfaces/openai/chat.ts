/**
 * `POST /v1/chat/completions`: policies, plugins, routing, then the answer as
 * JSON or as an SSE stream relayed chunk by chunk. Before the first byte is
 * sent a stream can still fall back; after it, a failure becomes an error
 * frame in the stream, which the OpenAI SDKs raise as an exception.
 */
import type { Response } from 'express'
import { type ChatChunk, type ChatCompletion, type ChatRequest, messageText } from '../../../canonical/chat.js'
import type { DirectAnswer } from '../../../plugins/types.js'
import { toClientError, UpstreamError } from '../../../providers/upstream-error.js'
import { executeRoute } from '../../../routing/execute.js'
import { asGatewayError, type Exchange, exchangeHandler, type SurfaceDeps } from '../../exchange.js'
import { prepareRequest, respondPolicies, routeOptions } from '../../pipeline.js'
import { SseWriter } from '../../sse.js'
import { openAIErrorBody, sendOpenAIError } from './errors.js'
import { chunkText, forClient, withUsageRequested } from './stream-usage.js'
import { parseChatRequest } from './validate-request.js'

export function chatCompletions(deps: SurfaceDeps) {
  return exchangeHandler(
    deps,
    'chat',
    parseChatRequest,
    (exchange, res) => serveChat(exchange, res),
    (res, error) => sendOpenAIError(res, error, deps.scrub),
  )
}

async function serveChat(exchange: Exchange, res: Response): Promise<void> {
  const { runtime, ctx } = exchange
  const { route, direct } = await prepareRequest(exchange)
  const request = ctx.body as ChatRequest
  if (direct) {
    res.setHeader('x-gateway-answered-by', 'plugin')
    // Settled before the answer goes out: nothing was bought (cost 0), unless the plugin asks to charge it.
    if (direct.charge) exchange.chargeAs(direct.charge)
    await exchange.settle()
    exchange.sendPluginHeaders()
    exchange.answered(answerText(direct.respond))
    if (request.stream) await streamDirectAnswer(res, direct, request.stream_options?.include_usage === true)
    else res.json(direct.respond)
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
    res.json(completion)
    return
  }

  // Stream: an attempt counts as served once its first chunk has arrived, so
  // failures before any byte reaches the client can still retry or fall back.
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
  await relayStream(exchange, res, served.result, served.provider)
}

async function relayStream(
  exchange: Exchange,
  res: Response,
  { chunks, first }: { chunks: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> },
  provider: string,
): Promise<void> {
  const { runtime, ctx } = exchange
  const clientWantsUsage = (ctx.body as ChatRequest).stream_options?.include_usage === true
  const sse = new SseWriter(res)
  exchange.sendPluginHeaders()
  sse.open()
  let next = first
  try {
    while (!next.done) {
      if (next.value.usage) exchange.usage(next.value.usage)
      exchange.trace?.chunk(next.value)
      exchange.streamed(chunkText(next.value))
      const visible = forClient(next.value, clientWantsUsage)
      const chunk = visible && runtime.plugins.hasChunkHooks ? runtime.plugins.runChunk(ctx, visible) : visible
      if (chunk) {
        await sse.send(JSON.stringify(chunk))
        exchange.chunkSent()
      }
      if (ctx.signal.aborted) return
      next = await chunks.next()
    }
    await respondPolicies(exchange, null)
    await exchange.settle()
    await sse.send('[DONE]')
  } catch (error) {
    if (ctx.signal.aborted) return
    const failure = error instanceof UpstreamError ? toClientError(error, provider) : asGatewayError(error, ctx.logger)
    exchange.failed(failure)
    ctx.logger.warn({ provider, err: error }, 'stream failed after it started; sent an error frame')
    // The 200 is already sent: the error travels as a frame, which the OpenAI SDKs raise.
    await sse.send(JSON.stringify(openAIErrorBody(failure, exchange.scrub)))
  } finally {
    await chunks.return?.()
    sse.end()
  }
}

/**
 * A plugin's direct answer to a stream request goes out as a stream (a JSON
 * body reads as an empty stream to an SDK): the recorded chunks when the
 * plugin kept them (a cache replaying a stream), otherwise each choice's
 * message as one delta, the finish reasons, the usage if asked for, [DONE].
 */
async function streamDirectAnswer(res: Response, direct: DirectAnswer, clientWantsUsage: boolean): Promise<void> {
  if (direct.chunks) {
    const sse = new SseWriter(res)
    sse.open()
    for (const recorded of direct.chunks) {
      const chunk = forClient(recorded, clientWantsUsage)
      if (chunk) await sse.send(JSON.stringify(chunk))
    }
    await sse.send('[DONE]')
    sse.end()
    return
  }
  const answer = direct.respond
  const frame = (choices: ChatChunk['choices'], extra: Partial<ChatChunk> = {}): string =>
    JSON.stringify({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      choices,
      ...extra,
    } satisfies ChatChunk)
  const sse = new SseWriter(res)
  sse.open()
  for (const { index, message } of answer.choices) {
    const delta = {
      role: message.role,
      content: message.content == null ? null : messageText(message),
      ...(message.tool_calls && { tool_calls: message.tool_calls.map((call, i) => ({ index: i, ...call })) }),
    }
    await sse.send(frame([{ index, delta, finish_reason: null }]))
  }
  await sse.send(frame(answer.choices.map(({ index, finish_reason }) => ({ index, delta: {}, finish_reason }))))
  if (clientWantsUsage && answer.usage) await sse.send(frame([], { usage: answer.usage }))
  await sse.send('[DONE]')
  sse.end()
}

/** The text of an answer for the audit record: the first choice's content, or its tool calls as JSON. */
function answerText(completion: ChatCompletion): string | null {
  const message = completion.choices[0]?.message
  if (!message) return null
  return message.tool_calls ? JSON.stringify(message.tool_calls) : messageText(message)
}
