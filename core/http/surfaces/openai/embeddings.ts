/** `POST /v1/embeddings`, through the same policies, plugins and routing as chat. */
import type { Response } from 'express'
import type { EmbeddingsRequest } from '../../../canonical/embeddings.js'
import { executeRoute } from '../../../routing/execute.js'
import { type Exchange, exchangeHandler, type SurfaceDeps } from '../../exchange.js'
import { prepareRequest, routeOptions } from '../../pipeline.js'
import { sendJson } from '../../send-json.js'
import { sendOpenAIError } from './errors.js'
import { parseEmbeddingsRequest } from './validate-request.js'

export function embeddings(deps: SurfaceDeps) {
  return exchangeHandler(deps, {
    surface: 'openai',
    endpoint: 'embeddings',
    parse: parseEmbeddingsRequest,
    serve: serveEmbeddings,
    sendError: (res, error) => sendOpenAIError(res, error, deps.scrub),
  })
}

async function serveEmbeddings(exchange: Exchange, res: Response): Promise<void> {
  const { runtime, ctx } = exchange
  const { route } = await prepareRequest(exchange)
  const request = ctx.body as EmbeddingsRequest
  const served = await executeRoute(
    route,
    runtime.routes,
    async (provider, model, signal, attempt) => {
      await runtime.plugins.runAttempt(ctx, { provider: provider.name, model, attempt })
      const response = await provider.embeddings(request, {
        model,
        signal,
        requestId: ctx.requestId,
        traceparent: exchange.trace?.startAttempt(provider, model, attempt),
      })
      exchange.trace?.answered(response)
      return response
    },
    routeOptions(exchange, route, false),
  )
  exchange.served({ route: route.name, provider: served.provider, model: served.model, attempts: served.attempts })
  const { usage } = served.result
  exchange.usage({ prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens })
  await exchange.settle()
  sendJson(res, 200, served.result)
}
