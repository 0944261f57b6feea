/**
 * The contenders: how each one is started (its own process), where requests
 * go and with which headers. `direct` is no process of its own: requests go
 * straight to the mock upstream (the latency every proxy adds to).
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_KEY } from '../configs/shared.js'
import { ensurePortkey } from '../peer/portkey.js'
import { built } from './build.js'
import { Child, REPO_ROOT } from './proc.js'

export const CONTENDER_IDS = ['direct', 'floor', 'express', 'minimal', 'full', 'portkey'] as const
export type ContenderId = (typeof CONTENDER_IDS)[number]

export const CONTENDER_LABELS: Record<ContenderId, string> = {
  direct: 'direct (no proxy)',
  floor: 'floor: node:http + undici',
  express: 'Express 5 + undici',
  minimal: 'gateway, minimal config',
  full: 'gateway, full chain',
  portkey: 'Portkey gateway (peer)',
}

export interface RunningContender {
  id: ContenderId
  /** Where chat completions are POSTed. */
  url: string
  headers: Record<string, string>
  /** The process whose CPU and memory are the contender's (the upstream's for `direct`). */
  pid: number
  /** Absent for `direct`. */
  child?: Child
  /** The command line, for the report. */
  command: string
  /** Set when the contender could not be started: why. */
  version?: string
  stop(): Promise<void>
}

export interface StartContext {
  upstream: Child
  logLevel: string
  /** Node flags put before the script (e.g. --cpu-prof ...). */
  nodeFlags?: string[]
  tmpDir: string
  log(line: string): void
}

export class ContenderUnavailable extends Error {}

export async function startContender(id: ContenderId, context: StartContext): Promise<RunningContender> {
  const upstreamOrigin = `http://127.0.0.1:${context.upstream.port}`
  const flags = context.nodeFlags ?? []
  const json = { 'content-type': 'application/json' }
  const fromChild = (child: Child, headers: Record<string, string> = json, version?: string): RunningContender => ({
    id,
    url: `http://127.0.0.1:${child.port}/v1/chat/completions`,
    headers,
    pid: child.pid,
    child,
    command: child.command,
    version,
    stop: () => child.stop(),
  })
  const env = { BENCH_UPSTREAM: upstreamOrigin }

  switch (id) {
    case 'direct':
      return {
        id,
        url: `${upstreamOrigin}/v1/chat/completions`,
        headers: json,
        pid: context.upstream.pid,
        command: '(the mock upstream itself)',
        stop: async () => {},
      }
    case 'floor':
    case 'express': {
      const child = await Child.start({
        name: id,
        args: [...flags, built(`bench/contenders/${id}.ts`)],
        env,
      })
      return fromChild(child)
    }
    case 'minimal':
    case 'full': {
      const audit = join(context.tmpDir, 'audit.jsonl')
      rmSync(audit, { force: true })
      const child = await Child.start({
        name: id,
        args: [
          ...flags,
          built('bench/gateway-process.ts'),
          '--config',
          built(`bench/configs/${id}.config.ts`),
          '--log-level',
          context.logLevel,
        ],
        env: { ...env, BENCH_AUDIT_FILE: audit },
      })
      const headers = id === 'full' ? { ...json, authorization: `Bearer ${BENCH_KEY}` } : json
      return fromChild(child, headers)
    }
    case 'portkey': {
      const install = ensurePortkey(context.log)
      if (!install.ok) throw new ContenderUnavailable(install.reason)
      const child = await Child.start({
        name: id,
        args: [
          ...flags,
          '--import',
          `./${built('bench/peer/listen-local.ts')}`,
          install.entry.slice(REPO_ROOT.length),
          '--headless',
        ],
        // production: no web UI and no log stream endpoint.
        env: { NODE_ENV: 'production' },
      })
      return fromChild(
        child,
        {
          ...json,
          authorization: 'Bearer sk-bench-upstream',
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${upstreamOrigin}/v1`,
        },
        install.version,
      )
    }
  }
}

export function makeTmpDir(): string {
  const dir = join(REPO_ROOT, 'bench', '.tmp')
  mkdirSync(dir, { recursive: true })
  return dir
}
