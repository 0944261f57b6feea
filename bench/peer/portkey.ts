/**
 * The peer gateway: the published `@portkey-ai/gateway` package, installed
 * only for the benchmark into bench/.peer (gitignored), never a dependency of
 * the project. Its install script (patch-package, with no patches in the
 * published files) is not run.
 *
 * Two of its dependencies are pinned next to it: its range `^1.3.3` for
 * @hono/node-server lets npm pick 1.19.x, whose lightweight Response hands
 * back the upstream fetch Response's immutable Headers, and Portkey's
 * `updateHeaders` then throws `TypeError: immutable` on every streamed chat
 * completion (500 "Something went wrong"; Portkey-AI/gateway issue #1389).
 * 1.14.1 is the last release before that change, and @hono/node-ws 1.2.0 the
 * last whose peer range accepts it.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../lib/proc.js'

export const PORTKEY_PACKAGE = '@portkey-ai/gateway'
export const PORTKEY_VERSION = '1.15.2'
export const PEER_DIR = join(REPO_ROOT, 'bench', '.peer')
export const PORTKEY_INSTALL = [
  'install',
  '--prefix',
  'bench/.peer',
  '--no-save',
  '--ignore-scripts',
  '--no-audit',
  '--no-fund',
  `${PORTKEY_PACKAGE}@${PORTKEY_VERSION}`,
  '@hono/node-server@1.14.1',
  '@hono/node-ws@1.2.0',
]

export type PeerInstall = { ok: true; entry: string; version: string } | { ok: false; reason: string }

function installedVersion(name = PORTKEY_PACKAGE): string | undefined {
  const manifest = join(PEER_DIR, 'node_modules', name, 'package.json')
  if (!existsSync(manifest)) return undefined
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

const installed = () => installedVersion() === PORTKEY_VERSION && installedVersion('@hono/node-server') === '1.14.1'

/** Installs the pinned Portkey gateway into bench/.peer unless it is there already. */
export function ensurePortkey(log: (line: string) => void): PeerInstall {
  if (!installed()) {
    log(`installing ${PORTKEY_PACKAGE}@${PORTKEY_VERSION} into bench/.peer (npm ${PORTKEY_INSTALL.join(' ')})`)
    mkdirSync(PEER_DIR, { recursive: true })
    try {
      execFileSync('npm', PORTKEY_INSTALL, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 })
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
      return { ok: false, reason: `npm ${PORTKEY_INSTALL.join(' ')} failed: ${stderr || (error as Error).message}` }
    }
  }
  const version = installedVersion()
  if (!version) return { ok: false, reason: `${PORTKEY_PACKAGE} is not in bench/.peer after npm install` }
  const entry = join(PEER_DIR, 'node_modules', PORTKEY_PACKAGE, 'build', 'start-server.js')
  if (!existsSync(entry)) return { ok: false, reason: `${entry} is missing (the package layout changed)` }
  return { ok: true, entry, version }
}
