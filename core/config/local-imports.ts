/**
 * The local files a TS/JS config imports, followed transitively, so a reload
 * also fires when one of them is saved. A static scan of import specifiers is
 * enough here: configs import local modules by relative path.
 */
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'

const IMPORT_SPECIFIER =
  /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g
const SCRIPT_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs']

export function localImports(entry: string): string[] {
  const seen = new Set<string>([entry])
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (!SCRIPT_EXTENSIONS.includes(path.extname(file))) continue
    let source: string
    try {
      source = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const match of source.matchAll(IMPORT_SPECIFIER)) {
      const resolved = resolveLocal(path.resolve(path.dirname(file), (match[1] ?? match[2]) as string))
      if (resolved && !seen.has(resolved) && !resolved.includes(`${path.sep}node_modules${path.sep}`)) {
        seen.add(resolved)
        queue.push(resolved)
      }
    }
  }
  seen.delete(entry)
  return [...seen]
}

/** `./x.js` in TS source usually means `./x.ts` on disk. */
function resolveLocal(specifier: string): string | undefined {
  const stem = specifier.replace(/\.(m|c)?js$/, '')
  const candidates = [
    specifier,
    ...SCRIPT_EXTENSIONS.map((ext) => stem + ext),
    ...SCRIPT_EXTENSIONS.map((ext) => path.join(specifier, `index${ext}`)),
  ]
  return candidates.find(isFile)
}

function isFile(candidate: string): boolean {
  return statSync(candidate, { throwIfNoEntry: false })?.isFile() ?? false
}
