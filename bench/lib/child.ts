/**
 * The child side of the bench's IPC: announce the port once listening, answer
 * the runner's calls, exit cleanly on SIGTERM (so `--cpu-prof` writes its
 * file) and never outlive the runner.
 */

/** What a child does with the runner's IPC calls; replies are sent for it. */
export function serveIpc(handlers: Record<string, (params: never) => unknown>): void {
  process.on('message', async (message: { type?: string; id?: number; method?: string; params?: unknown }) => {
    if (message.type !== 'call' || message.id === undefined || !message.method) return
    const handler = handlers[message.method]
    try {
      if (!handler) throw new Error(`unknown method ${message.method}`)
      const result = await handler(message.params as never)
      process.send?.({ type: 'reply', id: message.id, result })
    } catch (error) {
      process.send?.({ type: 'reply', id: message.id, error: (error as Error).stack ?? String(error) })
    }
  })
  // The runner went away (crash, kill -9): do not outlive it.
  process.on('disconnect', () => process.exit(0))
}

/** In a child: tell the runner the port, and exit cleanly on SIGTERM/SIGINT (so --cpu-prof writes its file). */
export function announceReady(port: number, close: () => Promise<void> | void = () => {}): void {
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    Promise.resolve()
      .then(close)
      .finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 5_000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('disconnect', () => process.exit(0))
  process.send?.({ type: 'ready', port })
}
