/**
 * The plugin chain of one runtime. Compile flattens every plugin's hooks into
 * one array per phase, so the hot path walks plain arrays and skips plugins
 * that have no hook there. Request-phase hooks run in declared order; the
 * response phase (onResponse, onChunk, onComplete) runs in reverse, like
 * unwinding middleware.
 */
import type { Logger } from 'pino'
import type { ChatChunk, ChatCompletion } from '../canonical/chat.js'
import { GatewayError, isGatewayError } from '../errors.js'
import type { LoadedPlugin } from './load.js'
import type { CompletionRecord, DirectAnswer, PluginHooks, RequestContext } from './types.js'

type Hook<K extends keyof PluginHooks> = { plugin: string; run: NonNullable<PluginHooks[K]> }

export class PluginChain {
  readonly names: readonly string[]
  readonly #onRequest: Hook<'onRequest'>[]
  readonly #onResponse: Hook<'onResponse'>[]
  readonly #onChunk: Hook<'onChunk'>[]
  readonly #onComplete: Hook<'onComplete'>[]
  readonly #close: Hook<'close'>[]

  private constructor(instances: ReadonlyArray<{ plugin: string; hooks: PluginHooks }>) {
    this.names = instances.map((i) => i.plugin)
    const collect = <K extends keyof PluginHooks>(key: K, order: 'declared' | 'reverse'): Hook<K>[] => {
      const list = instances.flatMap(({ plugin, hooks }) => {
        const fn = hooks[key]
        return fn ? [{ plugin, run: fn.bind(hooks) as NonNullable<PluginHooks[K]> }] : []
      })
      return order === 'reverse' ? list.reverse() : list
    }
    this.#onRequest = collect('onRequest', 'declared')
    this.#onResponse = collect('onResponse', 'reverse')
    this.#onChunk = collect('onChunk', 'reverse')
    this.#onComplete = collect('onComplete', 'reverse')
    this.#close = collect('close', 'reverse')
  }

  static async create(
    plugins: readonly LoadedPlugin[],
    apiFor: (plugin: LoadedPlugin) => Parameters<LoadedPlugin['definition']['setup']>[1],
  ): Promise<PluginChain> {
    const instances: Array<{ plugin: string; hooks: PluginHooks }> = []
    for (const plugin of plugins) {
      instances.push({
        plugin: plugin.definition.name,
        hooks: await plugin.definition.setup(plugin.options, apiFor(plugin)),
      })
    }
    return new PluginChain(instances)
  }

  get hasChunkHooks(): boolean {
    return this.#onChunk.length > 0
  }

  async runRequest(ctx: RequestContext): Promise<DirectAnswer | undefined> {
    for (const hook of this.#onRequest) {
      const answer = await guard(hook.plugin, ctx.logger, () => hook.run(ctx))
      if (answer && 'respond' in answer) return answer
    }
    return undefined
  }

  async runResponse(ctx: RequestContext, response: ChatCompletion): Promise<ChatCompletion> {
    let current = response
    for (const hook of this.#onResponse)
      current = (await guard(hook.plugin, ctx.logger, () => hook.run(ctx, current))) ?? current
    return current
  }

  /** Returns the chunk to send, or null to drop it. */
  runChunk(ctx: RequestContext, chunk: ChatChunk): ChatChunk | null {
    let current: ChatChunk = chunk
    for (const hook of this.#onChunk) {
      let next: ChatChunk | null | void
      try {
        next = hook.run(ctx, current)
      } catch (error) {
        throw pluginFailure(hook.plugin, ctx.logger, error)
      }
      if (next === null) return null
      if (next) current = next
    }
    return current
  }

  /** After the answer is sent: failures are logged, never surfaced. */
  async runComplete(record: CompletionRecord, ctx: RequestContext): Promise<void> {
    for (const hook of this.#onComplete) {
      try {
        await hook.run(record, ctx)
      } catch (error) {
        ctx.logger.error({ plugin: hook.plugin, err: error }, 'plugin onComplete failed')
      }
    }
  }

  async close(logger: Logger): Promise<void> {
    for (const hook of this.#close) {
      try {
        await hook.run()
      } catch (error) {
        logger.error({ plugin: hook.plugin, err: error }, 'plugin close failed')
      }
    }
  }
}

/** A GatewayError from a plugin is a deliberate rejection; anything else is the plugin failing, which fails closed. */
async function guard<T>(plugin: string, logger: Logger, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw pluginFailure(plugin, logger, error)
  }
}

function pluginFailure(plugin: string, logger: Logger, error: unknown): GatewayError {
  if (isGatewayError(error)) return error
  logger.error({ plugin, err: error }, 'plugin hook failed; refusing the request')
  return new GatewayError({
    status: 503,
    type: 'api_error',
    code: 'plugin_error',
    message: `plugin '${plugin}' failed; the request was refused`,
  })
}
