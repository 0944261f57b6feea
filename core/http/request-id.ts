import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'

/** A caller's own id is kept when it is a reasonable token, so traces join up across services. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/

declare global {
  namespace Express {
    interface Request {
      /** Set for every request before any route runs; echoed as `x-request-id`. */
      id: string
    }
  }
}

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id']
  req.id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID()
  res.setHeader('x-request-id', req.id)
  next()
}
