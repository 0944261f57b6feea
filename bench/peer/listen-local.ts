/**
 * Preloaded into the peer gateway's process (`node --import`): its server
 * listens on a port of its own choosing on every interface (@hono/node-server
 * `serve({ port })` has no host option on Portkey's command line). This turns
 * the first `listen` into `listen(0, '127.0.0.1')`: an ephemeral port on
 * loopback only, reported to the bench runner over IPC like the other
 * contenders. The process exits when the runner goes away.
 */
import net from 'node:net'

const listen = net.Server.prototype.listen
let patched = false

net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]): net.Server {
  if (patched) return listen.apply(this, args as never) as net.Server
  patched = true
  const callback = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as () => void) : undefined
  this.once('listening', () => {
    const address = this.address() as net.AddressInfo
    process.send?.({ type: 'ready', port: address.port })
  })
  return listen.apply(this, [0, '127.0.0.1', callback] as never) as net.Server
}

process.on('disconnect', () => process.exit(0))
