/** Values the bench runner and its gateway configs share. */

/** The virtual key the full-chain config accepts (its hash is in the config; the runner sends the key). */
export const BENCH_KEY = 'gw-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEF'

/** The upstream's base URL, set by the runner in the gateway's environment. */
export const upstreamBaseUrl = (): string => `${process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:9'}/v1`
