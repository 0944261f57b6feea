/**
 * A runtime compiled from a config for the offline commands (`test`,
 * `explain`): the same load, check and compile as the server, with no
 * listener and nothing that calls a provider.
 */
import pino from 'pino'
import { loadConfigFile } from '../config/load.js'
import { ConfigError } from '../config/problems.js'
import { checkConfig } from '../config/validate.js'
import { compileRuntime } from '../runtime/compile.js'
import { ProcessState } from '../runtime/process-state.js'
import type { Runtime } from '../runtime/runtime.js'

export interface OfflineRuntime {
  runtime: Runtime
  close(): Promise<void>
}

/** Throws ConfigLoadError (exit 2) or ConfigError (exit 1) like `gateway check`. */
export async function offlineRuntime(configPath?: string): Promise<OfflineRuntime> {
  const loaded = await loadConfigFile({ configPath })
  const result = await checkConfig(loaded.raw, { configPath: loaded.configPath, configDir: loaded.configDir })
  if (!result.ok) throw new ConfigError(result.problems, loaded.configPath)
  const state = new ProcessState()
  const runtime = await compileRuntime(result.checked, {
    process: state,
    logger: pino({ level: 'silent' }),
    version: 1,
  })
  return {
    runtime,
    close: async () => {
      await runtime.close()
      await state.close()
    },
  }
}
