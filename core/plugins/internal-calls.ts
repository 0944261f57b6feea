/**
 * The provider layer as a plugin sees it (`api.gateway`): a moderation check
 * or a semantic cache's embeddings go through the config's routes, retries,
 * fallbacks and breakers, but not through governance, policies or plugins,
 * so a plugin cannot recurse into itself.
 */
import { Abort, type AbortLike } from '../abort.js'
import type { ChatCompletion, ChatRequest } from '../canonical/chat.js'
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js'
import type { ProviderAdapter } from '../providers/provider.js'
import { type ExecuteOptions, executeRoute } from '../routing/execute.js'
import type { Runtime } from '../runtime/runtime.js'
import type { InternalCalls } from './types.js'

/** `runtime` is read at call time: plugins are set up before their runtime exists. */
export function internalCalls(runtime: () => Runtime): InternalCalls {
  const call = async <T>(
    model: string,
    signal: AbortSignal | undefined,
    attempt: (provider: ProviderAdapter, model: string, signal: AbortLike) => Promise<T>,
  ): Promise<T> => {
    const current = runtime()
    const route = current.routes.resolve(model)
    const options: ExecuteOptions = {
      signal: signal ?? new Abort(),
      state: current.routing.state,
      breaker: current.routing.breaker,
      stream: false,
      targetKey: (provider, m) => `${provider}/${current.routes.modelLabel(provider, m)}`,
      strategy: {
        latency: (target) => current.routing.state.latency.average(target),
        price: () => undefined,
        conditionInput: () => ({}),
        random: Math.random,
      },
    }
    return (await executeRoute(route, current.routes, (provider, m, s) => attempt(provider, m, s), options)).result
  }
  return {
    chat: (request: ChatRequest, signal?: AbortSignal): Promise<ChatCompletion> =>
      call(request.model, signal, async (provider, model, s) => {
        const result = await provider.chat({ ...request, stream: false }, { model, signal: s, requestId: 'internal' })
        if (result.stream) throw new Error(`provider '${provider.name}' streamed an internal call`)
        return result.completion
      }),
    embeddings: (request: EmbeddingsRequest, signal?: AbortSignal): Promise<EmbeddingsResponse> =>
      call(request.model, signal, (provider, model, s) =>
        provider.embeddings(request, { model, signal: s, requestId: 'internal' }),
      ),
  }
}
