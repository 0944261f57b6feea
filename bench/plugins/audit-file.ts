/**
 * An audit log for the bench: one JSON line per finished request (the
 * completion record: key, team, route, model, status, usage, cost, tags,
 * timing), appended to a file through one fs.createWriteStream, from
 * onComplete, i.e. after the answer has gone out.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { definePlugin } from '../../core/index.js'

type Options = {
  /** The file lines are appended to. */
  path: string
}

export default definePlugin<Options>({
  name: 'bench-audit-file',
  options: {
    type: 'object',
    properties: { path: { type: 'string', minLength: 1 } },
    required: ['path'],
    additionalProperties: false,
  },
  setup({ path }, api) {
    const out: WriteStream = createWriteStream(path, { flags: 'a' })
    out.on('error', (error) => api.logger.error({ err: error, path }, 'audit file write failed'))
    return {
      onComplete(record) {
        out.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`)
      },
      close: () => new Promise<void>((resolve) => out.end(resolve)),
    }
  },
})
