/**
 * Runs one request over a route: tries the candidates in strategy order,
 * moving on when an attempt fails in a way another target may not, and
 * turns the last failure into the error the client sees.
 */
import type { ProviderAdapter } from '../providers/provider.js'
import { shouldFallBack, toClientError, UpstreamError } from '../providers/upstream-error.js'
import type { CompiledRoute, RouteTable } from './route-table.js'
import { candidates } from './strategies.js'

export interface Served<T> {
  result: T
  provider: string
  model: string
  /** How many attempts it took, the successful one included. */
  attempts: number
}

export interface AttemptObserver {
  onAttemptFailed?(info: { provider: string; model: string; error: UpstreamError; willFallBack: boolean }): void
}

export async function executeRoute<T>(
  route: CompiledRoute,
  table: RouteTable,
  attempt: (provider: ProviderAdapter, model: string) => Promise<T>,
  observer: AttemptObserver = {},
): Promise<Served<T>> {
  const iterator = candidates(route, table)
  let next = iterator.next()
  let attempts = 0
  while (!next.done) {
    const { provider, model } = next.value
    attempts++
    try {
      return { result: await attempt(table.provider(provider), model), provider, model, attempts }
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error
      next = iterator.next()
      const willFallBack = shouldFallBack(error) && !next.done
      observer.onAttemptFailed?.({ provider, model, error, willFallBack })
      if (!willFallBack) throw Object.assign(toClientError(error, provider), { attempts, provider, model })
    }
  }
  throw new Error(`route '${route.name}' has no target to try`)
}
