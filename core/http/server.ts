/**
 * The node:http server that runs the Express app.
 *
 * Express gives every request its own request and response methods by
 * changing the prototype of node's objects on arrival
 * (`Object.setPrototypeOf(req, app.request)` in `app.handle`). A prototype
 * change per request gives each object a fresh hidden class, so every
 * property access inside node:http, undici's socket writes and our own code
 * meets shapes it has not seen and falls back to slow lookups. Measured on
 * the bench's bare Express pass-through, that was most of Express's cost:
 * 0.42x of the floor's throughput with it, 0.84x without.
 *
 * So the server builds its request and response objects with Express's
 * prototypes from the start: `app.handle` still runs, and its
 * `setPrototypeOf` finds the prototype already in place and changes nothing.
 * Express stays the engine; it only stops paying for reshaping node's
 * objects.
 */
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http'
import type express from 'express'

const KEEP_ALIVE_MS = 65_000

export function createHttpServer(app: express.Express): Server {
  return createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_MS,
      IncomingMessage: constructorWithPrototype(IncomingMessage, app.request),
      ServerResponse: constructorWithPrototype(ServerResponse, app.response),
    },
    app,
  )
}

/**
 * A constructor that runs node's own (`IncomingMessage` or `ServerResponse`)
 * on objects whose prototype is `prototype`. A subclass cannot do it (it puts
 * one more prototype between the object and Express's). `Reflect.construct`
 * with this function as `new.target` builds the right objects too, but
 * measured no gain at all; the plain function constructor below gets it all.
 * Node 20's constructors are plain functions; were they ever classes, the
 * call would throw, so the server falls back to node's own constructor.
 */
function constructorWithPrototype<T extends typeof IncomingMessage | typeof ServerResponse>(
  base: T,
  prototype: object,
): T {
  if (Function.prototype.toString.call(base).startsWith('class')) return base
  const init = base as unknown as (this: object, ...args: unknown[]) => void
  function Constructed(this: object, ...args: unknown[]) {
    init.apply(this, args)
  }
  Constructed.prototype = prototype
  return Constructed as unknown as T
}
