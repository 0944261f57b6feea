/**
 * The plugin chain of one runtime. Compile flattens every plugin's hooks into
 * one array per phase, so the hot path walks plain arrays and skips plugins
 * that have no hook there. Request-phase hooks run in declared order; the
 * response phase (onResponse, onChunk, onComplete) runs in reverse, like
 * unwinding middleware.
 *
 * Each hook runs within its plugin's time budget. A hook that throws a
 * GatewayError rejects the request on purpose; any other failure, or running
 * out of time, is the plugin failing: it is logged and counted, and refuses
 * the request (fail closed) unless the plugin is set to fail open.
 */
import type { Logger } from 'pino'
import type { ChatChunk, ChatCompletion } from '../canonical/chat.js'
import { GatewayError, isGatewayError } from '../errors.js'
import type { LoadedPlugin } from './load.js'
import type { AttemptTarget, CompletionRecord, DirectAnswer, PluginApi, PluginHooks, RequestContext } from './types.js'

type HookName = 'onRequest' | 'onAttempt' | 'onResponse' | 'onChunk' | 'onComplete'

interface Placed {
  plugin: string
  failOpen: boolean
  timeoutMs: number
  /** Null: runs for every request. */
  applies: ((ctx: RequestContext) => boolean) | null
}

type Hook<K extends keyof PluginHooks> = Placed & { run: NonNullable<PluginHooks[K]> }

/** Told about every plugin failure, to count it. */
export type PluginFailureListener = (plugin: string, hook: HookName | 'close', reason: 'error' | 'timeout') => void

export class PluginChain {
  readonly names: readonly string[]
  readonly #placed: readonly Placed[]
  readonly #onRequest: Hook<'onRequest'>[]
  readonly #onAttempt: Hook<'onAttempt'>[]
  readonly #onResponse: Hook<'onResponse'>[]
  readonly #onChunk: Hook<'onChunk'>[]
  readonly #onComplete: Hook<'onComplete'>[]
  readonly #close: Hook<'close'>[]
  readonly #onFailure: PluginFailureListener

  private constructor(instances: ReadonlyArray<Placed & { hooks: PluginHooks }>, onFailure: PluginFailureListener) {
    this.names = instances.map((i) => i.plugin)
    this.#placed = instances.map(({ hooks: _hooks, ...placed }) => placed)
    this.#onFailure = onFailure
    const collect = <K extends keyof PluginHooks>(key: K, order: 'declared' | 'reverse'): Hook<K>[] => {
      const list = instances.flatMap(({ hooks, ...placed }) => {
        const fn = hooks[key]
        return fn ? [{ ...placed, run: fn.bind(hooks) as NonNullable<PluginHooks[K]> }] : []
      })
      return order === 'reverse' ? list.reverse() : list
    }
    this.#onRequest = collect('onRequest', 'declared')
    this.#onAttempt = collect('onAttempt', 'declared')
    this.#onResponse = collect('onResponse', 'reverse')
    this.#onChunk = collect('onChunk', 'reverse')
    this.#onComplete = collect('onComplete', 'reverse')
    this.#close = collect('close', 'reverse')
  }

  static async create(
    plugins: readonly LoadedPlugin[],
    apiFor: (plugin: LoadedPlugin) => PluginApi,
    onFailure: PluginFailureListener = () => {},
  ): Promise<PluginChain> {
    const instances: Array<Placed & { hooks: PluginHooks }> = []
    for (const plugin of plugins) {
      instances.push({
        plugin: plugin.definition.name,
        failOpen: plugin.failOpen,
        timeoutMs: plugin.timeoutMs,
        applies: scopeTest(plugin),
        hooks: await plugin.definition.setup(plugin.options, apiFor(plugin)),
      })
    }
    return new PluginChain(instances, onFailure)
  }

  /** The plugins whose scope takes in this request, in declared order. */
  applicable(ctx: RequestContext): string[] {
    return this.#placed.filter((p) => !p.applies || p.applies(ctx)).map((p) => p.plugin)
  }

  get hasChunkHooks(): boolean {
    return this.#onChunk.length > 0
  }

  async runRequest(ctx: RequestContext): Promise<DirectAnswer | undefined> {
    for (const hook of this.#onRequest) {
      if (hook.applies && !hook.applies(ctx)) continue
      const answer = await this.#guard(hook, 'onRequest', ctx, () => hook.run(ctx))
      if (answer && 'respond' in answer) return answer
    }
    return undefined
  }

  async runAttempt(ctx: RequestContext, target: AttemptTarget): Promise<void> {
    for (const hook of this.#onAttempt) {
      if (hook.applies && !hook.applies(ctx)) continue
      await this.#guard(hook, 'onAttempt', ctx, () => hook.run(ctx, target))
    }
  }

  async runResponse(ctx: RequestContext, response: ChatCompletion): Promise<ChatCompletion> {
    let current = response
    for (const hook of this.#onResponse) {
      if (hook.applies && !hook.applies(ctx)) continue
      current = (await this.#guard(hook, 'onResponse', ctx, () => hook.run(ctx, current))) ?? current
    }
    return current
  }

  /** Returns the chunk to send, or null to drop it. Synchronous: it is on the stream's hot path. */
  runChunk(ctx: RequestContext, chunk: ChatChunk): ChatChunk | null {
    let current: ChatChunk = chunk
    for (const hook of this.#onChunk) {
      if (hook.applies && !hook.applies(ctx)) continue
      let next: ChatChunk | null | undefined
      try {
        next = hook.run(ctx, current) as ChatChunk | null | undefined
      } catch (error) {
        const failure = this.#failure(hook, 'onChunk', ctx.logger, error, 'error')
        if (failure) throw failure
        continue
      }
      if (next === null) return null
      if (next) current = next
    }
    return current
  }

  /** After the answer is sent: failures are logged and counted, never surfaced. */
  async runComplete(record: CompletionRecord, ctx: RequestContext): Promise<void> {
    for (const hook of this.#onComplete) {
      if (hook.applies && !hook.applies(ctx)) continue
      try {
        await withinBudget(hook.timeoutMs, () => hook.run(record, ctx))
      } catch (error) {
        this.#onFailure(hook.plugin, 'onComplete', error instanceof HookTimeout ? 'timeout' : 'error')
        ctx.logger.error({ plugin: hook.plugin, err: error }, 'plugin onComplete failed')
      }
    }
  }

  async close(logger: Logger): Promise<void> {
    for (const hook of this.#close) {
      try {
        await hook.run()
      } catch (error) {
        this.#onFailure(hook.plugin, 'close', 'error')
        logger.error({ plugin: hook.plugin, err: error }, 'plugin close failed')
      }
    }
  }

  /** Runs a hook within its budget; failures refuse the request unless the plugin fails open. */
  async #guard<T>(
    hook: Placed,
    name: HookName,
    ctx: RequestContext,
    run: () => T | Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await withinBudget(hook.timeoutMs, run)
    } catch (error) {
      if (isGatewayError(error)) throw error
      const failure = this.#failure(hook, name, ctx.logger, error, error instanceof HookTimeout ? 'timeout' : 'error')
      if (failure) throw failure
      return undefined
    }
  }

  /** Logs and counts a failure; returns the error to refuse with, or null when the plugin fails open. */
  #failure(
    hook: Placed,
    name: HookName,
    logger: Logger,
    error: unknown,
    reason: 'error' | 'timeout',
  ): GatewayError | null {
    this.#onFailure(hook.plugin, name, reason)
    logger.error(
      { plugin: hook.plugin, hook: name, reason, err: error, failOpen: hook.failOpen },
      hook.failOpen ? 'plugin failed; continuing without it (fail open)' : 'plugin failed; refusing the request',
    )
    if (hook.failOpen) return null
    return new GatewayError({
      status: 503,
      type: 'api_error',
      code: 'plugin_error',
      message:
        reason === 'timeout'
          ? `plugin '${hook.plugin}' did not finish within ${hook.timeoutMs} ms; the request was refused`
          : `plugin '${hook.plugin}' failed; the request was refused`,
    })
  }
}

class HookTimeout extends Error {
  constructor(ms: number) {
    super(`hook exceeded its ${ms} ms budget`)
    this.name = 'HookTimeout'
  }
}

async function withinBudget<T>(ms: number, run: () => T | Promise<T>): Promise<T> {
  const result = run()
  if (!(result instanceof Promise)) return result
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HookTimeout(ms)), ms)
  })
  try {
    return await Promise.race([result, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The scope as a predicate, or null for "every request" so the hot path skips the call. */
function scopeTest(plugin: LoadedPlugin): Placed['applies'] {
  const scope = plugin.scope
  if (!scope) return null
  const name = plugin.definition.name
  return (ctx) => {
    // A policy that requires the plugin has the last word, whatever its scope.
    if (ctx.required.has(name)) return true
    if (scope.required) return false
    return (
      (!scope.routes || (ctx.route !== null && scope.routes.includes(ctx.route))) &&
      (!scope.teams || (ctx.caller.team !== null && scope.teams.includes(ctx.caller.team))) &&
      (!scope.keys || (ctx.caller.key !== null && scope.keys.includes(ctx.caller.key)))
    )
  }
}
