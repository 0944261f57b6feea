/**
 * Health, readiness and the admin API. Admin endpoints answer only to the
 * configured admin token and do not exist at all when none is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { GatewayError } from '../errors.js'
import { StoreUnavailableError } from '../governance/store/store.js'
import { usageReport } from '../governance/usage-report.js'
import type { GatewayMetrics } from '../obs/metrics.js'
import type { RuntimeHolder } from '../runtime/holder.js'
import type { Reloader } from '../runtime/reload.js'

export function health(_req: Request, res: Response): void {
  res.json({ status: 'ok' })
}

export function ready(holder: RuntimeHolder) {
  return (_req: Request, res: Response): void => {
    const runtime = holder.current
    if (!runtime) {
      res.status(503).json({ status: 'starting' })
      return
    }
    res.json({ status: 'ready', configVersion: runtime.version, loadedAt: runtime.loadedAt.toISOString() })
  }
}

/** Guards admin routes: 404 when admin is off (nothing to discover), 401 without the right token. */
export function requireAdmin(holder: RuntimeHolder) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const expected = holder.current?.adminToken
    if (!expected)
      throw new GatewayError({
        status: 404,
        type: 'not_found_error',
        code: 'admin_disabled',
        message: 'Admin endpoints are off: set admin.token in the config.',
      })
    const presented = bearer(req.headers.authorization) ?? header(req.headers['x-admin-token'])
    if (!presented || !sameSecret(presented, expected)) {
      throw new GatewayError({
        status: 401,
        type: 'authentication_error',
        code: 'invalid_admin_token',
        message: 'A valid admin token is required.',
      })
    }
    next()
  }
}

export function reloadNow(reloader: Reloader) {
  return async (_req: Request, res: Response): Promise<void> => {
    const outcome = await reloader.reload('admin')
    if (outcome.ok) res.json({ status: 'reloaded', configVersion: outcome.version, changes: outcome.diff })
    else res.status(422).json({ status: 'rejected', error: { message: outcome.error, problems: outcome.problems } })
  }
}

export function usage(holder: RuntimeHolder) {
  return async (_req: Request, res: Response): Promise<void> => {
    const lease = holder.acquire()
    try {
      const { governor } = lease.runtime
      res.json(await usageReport(governor.registry.levels(), governor.store))
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      throw new GatewayError({
        status: 503,
        type: 'api_error',
        code: 'governance_unavailable',
        message: 'The usage store is unreachable.',
      })
    } finally {
      lease.release()
    }
  }
}

/** Breakers per target and keys resting or taken out: what routing has learnt. */
export function routingHealth(holder: RuntimeHolder) {
  return (_req: Request, res: Response): void => {
    const state = holder.current?.routing.state
    const breakers = Object.fromEntries(
      [...(state?.breakers() ?? [])].map(([target, breaker]) => [target, breaker.snapshot()]),
    )
    res.json({ breakers, keys: state?.keys.report() ?? [] })
  }
}

/** Prometheus scrape endpoint. */
export function metricsEndpoint(metrics: GatewayMetrics) {
  return async (_req: Request, res: Response): Promise<void> => {
    res.setHeader('content-type', metrics.registry.contentType)
    res.end(await metrics.registry.metrics())
  }
}

function bearer(value: string | undefined): string | undefined {
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length).trim() : undefined
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Constant time whatever the lengths: compare digests, not the strings. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}
