/**
 * The context plugins and policies see for one request.
 *
 * A class, not an object literal, because of its lazy `logger`: a getter in
 * an object literal gives each request's object a hidden class (map) of its
 * own, and V8 allocates maps in the old generation. Until the next full GC
 * that dead map keeps the getter's closure, and through it the request's
 * whole object graph, alive in every scavenge, so every finished request was
 * promoted: 2.5-4 MB per scavenge at 500 req/s, 7-12 ms pauses, and the RSS
 * that came with them (bench/PROFILE.md). On the prototype the getter costs
 * nothing per request.
 */
import type { Logger } from 'pino'
import type { Abort } from '../abort.js'
import type { Caller, RequestContext } from '../plugins/types.js'

export class ExchangeContext implements RequestContext {
  readonly requestId: string
  readonly surface: RequestContext['surface']
  readonly endpoint: RequestContext['endpoint']
  body: RequestContext['body']
  readonly headers: RequestContext['headers']
  readonly caller: Caller = { key: null, team: null, org: null, metadata: {} }
  readonly metadata: Record<string, string> = {}
  readonly tags: Record<string, string> = {}
  route: string | null = null
  readonly responseHeaders: Record<string, string> = {}
  readonly verdicts: RequestContext['verdicts'] = {}
  readonly required = new Set<string>()
  readonly #abort: Abort
  readonly #parentLogger: Logger
  #logger: Logger | undefined

  constructor(
    init: Pick<RequestContext, 'requestId' | 'surface' | 'endpoint' | 'body' | 'headers'>,
    abort: Abort,
    logger: Logger,
  ) {
    this.requestId = init.requestId
    this.surface = init.surface
    this.endpoint = init.endpoint
    this.body = init.body
    this.headers = init.headers
    this.#abort = abort
    this.#parentLogger = logger
  }

  /** A real AbortSignal for plugins, made on first use; the gateway's own code uses the exchange's `Abort`. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** Made on first use: most requests log nothing but their end line, which may be below the level. */
  get logger(): Logger {
    this.#logger ??= this.#parentLogger.child({ requestId: this.requestId })
    return this.#logger
  }
}
