/**
 * Finds and reads the config with cosmiconfig (module name `gateway`). TS
 * configs go through jiti with its module cache off, and cosmiconfig's own
 * cache is cleared before every load: otherwise a reload sees the old file.
 */
import path from 'node:path'
import { cosmiconfig } from 'cosmiconfig'
import { TypeScriptLoader } from 'cosmiconfig-typescript-loader'
import { ConfigLoadError } from './problems.js'

export const CONFIG_FILE_NAMES = [
  'gateway.config.ts',
  'gateway.config.mts',
  'gateway.config.js',
  'gateway.config.mjs',
  'gateway.config.json',
  'gateway.config.yaml',
  'gateway.config.yml',
  'package.json',
] as const

export interface LoadedConfig {
  raw: unknown
  configPath: string
  configDir: string
}

const typescriptLoader = TypeScriptLoader({ moduleCache: false })

const explorer = cosmiconfig('gateway', {
  searchPlaces: [...CONFIG_FILE_NAMES],
  searchStrategy: 'none',
  loaders: { '.ts': typescriptLoader, '.mts': typescriptLoader },
})

/** Loads `configPath` if given, else searches `cwd` for one of CONFIG_FILE_NAMES. */
export async function loadConfigFile(options: { configPath?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  explorer.clearCaches()
  const cwd = options.cwd ?? process.cwd()
  let result: Awaited<ReturnType<typeof explorer.load>>
  try {
    result = options.configPath
      ? await explorer.load(path.resolve(cwd, options.configPath))
      : await explorer.search(cwd)
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    if (code === 'ENOENT')
      throw new ConfigLoadError(`config file not found: ${path.resolve(cwd, options.configPath ?? '')}`)
    throw new ConfigLoadError(`could not load the config: ${message}`, { cause: error })
  }
  if (!result || result.isEmpty) {
    throw new ConfigLoadError(
      options.configPath
        ? `config file is empty: ${options.configPath}`
        : `no config found in ${cwd} (looked for ${CONFIG_FILE_NAMES.join(', ')}#gateway)`,
    )
  }
  const raw = (result.config as { default?: unknown })?.default ?? result.config
  return { raw, configPath: result.filepath, configDir: path.dirname(result.filepath) }
}
