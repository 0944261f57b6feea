/**
 * Reports whether the bundled price data is current: the installed version of
 * @pydantic/genai-prices against the latest on npm (`npm view`), and the
 * command that updates it. Prices are refreshed by updating the package (its
 * data ships inside it), never fetched at run time. See core/governance/PRICES.md.
 *
 *   npm run prices:refresh            report
 *   npm run prices:refresh -- --check also exit 1 when an update is available (for CI)
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'

const PACKAGE = '@pydantic/genai-prices'
const root = new URL('../', import.meta.url)

function readJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relative, root), 'utf8')) as Record<string, unknown>
}

function installedVersion(): string | undefined {
  try {
    // The package's `exports` does not expose package.json, so read the file itself.
    return readJson(`node_modules/${PACKAGE}/package.json`).version as string
  } catch {
    return undefined
  }
}

async function latestVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)('npm', ['view', PACKAGE, 'version', '--json'], {
    timeout: 30_000,
    shell: process.platform === 'win32',
  })
  const parsed = JSON.parse(stdout) as unknown
  if (typeof parsed !== 'string') throw new Error(`unexpected answer from npm view: ${stdout.trim()}`)
  return parsed
}

function newer(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0)
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return false
}

const check = process.argv.includes('--check')
const declared = (readJson('package.json').dependencies as Record<string, string> | undefined)?.[PACKAGE]
const installed = installedVersion()
console.log(`${PACKAGE}`)
console.log(`  declared in package.json: ${declared ?? '(missing)'}`)
console.log(`  installed:                ${installed ?? '(not installed: run npm ci)'}`)

let latest: string
try {
  latest = await latestVersion()
} catch (error) {
  console.error(`  latest on npm:            unknown (${error instanceof Error ? error.message : String(error)})`)
  process.exit(2)
}
console.log(`  latest on npm:            ${latest}`)

if (installed && !newer(latest, installed)) {
  console.log('\nThe price data is current.')
} else {
  console.log('\nTo update the price data:')
  console.log(`  npm install --save-exact ${PACKAGE}@${latest}`)
  console.log('  npx vitest run test/unit/pricing.test.ts')
  console.log('The pricing tests assert the table prices of a few models: if a vendor changed a price,')
  console.log('check the change against the vendor, then update the expected numbers.')
  if (check) process.exit(1)
}
