/**
 * The data plane's JSON body reader, with the runtime's `server.bodyLimit`.
 * Nearly every request is uncompressed UTF-8: for those it reads the bytes
 * itself and parses once (express.json costs tens of µs per request in
 * content-type parsing, iconv and stream plumbing). Anything else (a
 * content-encoding, an explicit non-UTF-8 charset) goes to express.json, so
 * rare bodies behave exactly as before. Failures carry body-parser's `type`
 * (`entity.parse.failed`, `entity.too.large`, `request.aborted`), which the
 * app's error handler turns into the client's error.
 */
import type { IncomingMessage } from 'node:http'
import express, { type NextFunction, type Request, type Response } from 'express'
import type { RuntimeHolder } from '../runtime/holder.js'

export const DEFAULT_BODY_LIMIT = '4mb'

type BodyLimit = string | number

export function jsonBody(holder: RuntimeHolder) {
  const fallbacks = new Map<BodyLimit, ReturnType<typeof express.json>>()
  const limits = new Map<BodyLimit, number>()
  return (req: Request, res: Response, next: NextFunction): void => {
    const limit = holder.current?.checked.config.server?.bodyLimit ?? DEFAULT_BODY_LIMIT
    if (!isPlainUtf8(req)) {
      let parser = fallbacks.get(limit)
      if (!parser) {
        // Any content type: some clients omit it, and the body must be JSON regardless.
        parser = express.json({ limit, type: () => true, strict: false })
        fallbacks.set(limit, parser)
      }
      parser(req, res, next)
      return
    }
    // No body at all (neither a length nor chunked): left undefined, as body-parser does.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      next()
      return
    }
    let bytes = limits.get(limit)
    if (bytes === undefined) {
      bytes = limitBytes(limit)
      limits.set(limit, bytes)
    }
    readJson(req, bytes, next)
  }
}

/** No content-encoding and no charset other than UTF-8: the bytes are the JSON text. */
function isPlainUtf8(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding']
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false
  const type = req.headers['content-type']
  if (type === undefined || !type.toLowerCase().includes('charset')) return true
  return /;\s*charset\s*=\s*"?utf-8"?\s*(;|$)/i.test(type)
}

/** `server.bodyLimit` in bytes: a number, or "<n>b" / "<n>kb" / "<n>mb" (1024-based, as body-parser reads it). */
function limitBytes(limit: BodyLimit): number {
  if (typeof limit === 'number') return limit
  const match = /^(\d+)(b|kb|mb)$/i.exec(limit.trim())
  if (!match) throw new Error(`invalid body limit: ${limit}`)
  const unit = (match[2] as string).toLowerCase()
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1)
}

function readJson(req: Request, limit: number, next: NextFunction): void {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) {
    fail(req, tooLarge(limit), next)
    return
  }
  const chunks: Buffer[] = []
  let received = 0
  const cleanup = () => {
    req.off('data', onData)
    req.off('end', onEnd)
    req.off('close', onClose)
    req.off('error', onClose)
  }
  const onData = (chunk: Buffer) => {
    received += chunk.length
    if (received > limit) {
      cleanup()
      fail(req, tooLarge(limit), next)
      return
    }
    chunks.push(chunk)
  }
  const onEnd = () => {
    cleanup()
    let text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received)).toString('utf8')
    // A byte order mark is not JSON; body-parser's decoder drops it too.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    if (text.length === 0) {
      // An empty body is a common client mistake: {} lets validation name what is missing.
      req.body = {}
      next()
      return
    }
    try {
      req.body = JSON.parse(text)
    } catch (error) {
      next(bodyError('entity.parse.failed', (error as Error).message))
      return
    }
    next()
  }
  const onClose = () => {
    cleanup()
    next(bodyError('request.aborted', 'request aborted'))
  }
  req.on('data', onData)
  req.on('end', onEnd)
  req.on('close', onClose)
  req.on('error', onClose)
}

/** Reads off the rest of the body before answering, so the connection stays usable. */
function fail(req: IncomingMessage, error: Error, next: NextFunction): void {
  if (req.complete) {
    next(error)
    return
  }
  let done = false
  const finish = () => {
    if (done) return
    done = true
    next(req.complete ? error : bodyError('request.aborted', 'request aborted'))
  }
  req.once('end', finish)
  req.once('close', finish)
  req.once('error', finish)
  req.resume()
}

function tooLarge(limit: number): Error {
  return Object.assign(bodyError('entity.too.large', 'request entity too large'), { limit })
}

function bodyError(type: string, message: string): Error {
  return Object.assign(new Error(message), { type })
}
