/**
 * The process logger (pino): asynchronous, structured, one JSON line per
 * event. Known credential fields are redacted by path, and every line is
 * scrubbed of known secret values before it is written, whatever logged it.
 */
import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import pino, { type DestinationStream, type Logger } from 'pino'
import type pinoPretty from 'pino-pretty'
import type { LogLevel } from '../config/schema.js'
import type { SecretScrubber } from './secret-scrubber.js'

export interface LoggerOptions {
  level?: LogLevel
  pretty?: boolean
  /** Where lines go; default stdout. Tests pass a capturing stream. */
  destination?: DestinationStream
  scrubber: SecretScrubber
}

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.token',
]

/** pino-pretty (and its colour and date modules) loads only for a pretty log: production logs JSON. */
const loadPinoPretty = (): typeof pinoPretty =>
  (createRequire(import.meta.url)('pino-pretty') as { default: typeof pinoPretty }).default

export function createLogger(options: LoggerOptions): Logger {
  const target: DestinationStream = options.destination ?? pino.destination({ dest: 1, sync: false })
  const sink = options.pretty ? loadPinoPretty()({ destination: target as NodeJS.WritableStream }) : target
  const scrubbing = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      sink.write(options.scrubber.scrub(chunk.toString()))
      done()
    },
  })
  return pino(
    {
      level: options.level ?? (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    scrubbing,
  )
}
