/** Server-sent-events framing: one `data:` line per frame, plus an `event:` line where the surface names events. */

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8'

export function sseFrame(data: string, event?: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`
}
