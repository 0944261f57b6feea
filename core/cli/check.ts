/**
 * `gateway check`: the same load and validation a reload runs, for CI.
 * Exit codes: 0 valid, 1 invalid, 2 could not load.
 */
import { loadConfigFile } from '../config/load.js'
import { ConfigLoadError, type ConfigProblem, formatProblems } from '../config/problems.js'
import { checkConfig } from '../config/validate.js'

export interface CheckReport {
  exitCode: 0 | 1 | 2
  configPath: string | null
  problems: ConfigProblem[]
  /** Set when the file could not be loaded at all. */
  loadError: string | null
}

export async function runCheck(options: {
  configPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}): Promise<CheckReport> {
  let loaded: Awaited<ReturnType<typeof loadConfigFile>>
  try {
    loaded = await loadConfigFile(options)
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error
    return { exitCode: 2, configPath: options.configPath ?? null, problems: [], loadError: error.message }
  }
  const result = await checkConfig(loaded.raw, {
    configPath: loaded.configPath,
    configDir: loaded.configDir,
    env: options.env,
  })
  return {
    exitCode: result.ok ? 0 : 1,
    configPath: loaded.configPath,
    problems: result.ok ? [] : result.problems,
    loadError: null,
  }
}

export function formatCheckReport(report: CheckReport, format: 'text' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify(
      {
        valid: report.exitCode === 0,
        configPath: report.configPath,
        loadError: report.loadError,
        problems: report.problems,
      },
      null,
      2,
    )
  }
  if (report.loadError) return `✗ ${report.loadError}`
  if (report.exitCode === 0) return `✓ ${report.configPath} is valid`
  const count = report.problems.length
  return `✗ ${report.configPath}: ${count} problem${count === 1 ? '' : 's'}\n${formatProblems(report.problems)}`
}
