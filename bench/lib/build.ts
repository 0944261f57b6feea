/**
 * The bench runs every process on plain JavaScript, as production runs the
 * gateway (node on compiled output, not through tsx): tsx's loader costs
 * each process ~30-40 MB of RSS and would blur the memory comparison. Before
 * a run, core/, plugins/ and bench/ are transpiled file by file with TypeScript's
 * `transpileModule` (what tsc emits under `isolatedModules`, without the
 * type check: `npm run typecheck` does that) into bench/.tmp/build, which
 * keeps the repository's layout so package imports resolve from the root.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'
import { REPO_ROOT } from './proc.js'

export const BUILD_DIR = join(REPO_ROOT, 'bench', '.tmp', 'build')

/** Path of a built file, relative to the repository root (for command lines run from there). */
export const built = (source: string): string => relative(REPO_ROOT, join(BUILD_DIR, source.replace(/\.ts$/, '.js')))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name.startsWith('.') || entry.name === 'node_modules' ? [] : sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Transpiles core/, plugins/ and bench/ into bench/.tmp/build; returns how many files. */
export function buildForBench(): number {
  rmSync(BUILD_DIR, { recursive: true, force: true })
  const files = [
    ...sources(join(REPO_ROOT, 'core')),
    ...sources(join(REPO_ROOT, 'plugins')),
    ...sources(join(REPO_ROOT, 'bench')),
  ]
  for (const file of files) {
    const output = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        sourceMap: false,
      },
    })
    const out = join(BUILD_DIR, relative(REPO_ROOT, file).replace(/\.ts$/, '.js'))
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, output.outputText)
  }
  return files.length
}
