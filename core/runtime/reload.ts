/**
 * Load -> check -> compile -> swap, for the first load and for every reload
 * (file save, SIGHUP, POST /admin/reload). Reloads run one at a time; saves
 * that arrive during one are folded into a single follow-up. A config that
 * fails leaves the running runtime untouched.
 */
import path from 'node:path'
import { type FSWatcher, watch } from 'chokidar'
import type { Logger } from 'pino'
import { loadConfigFile } from '../config/load.js'
import { localImports } from '../config/local-imports.js'
import { ConfigError, ConfigLoadError, type ConfigProblem } from '../config/problems.js'
import { type CheckedConfig, checkConfig } from '../config/validate.js'
import { compileRuntime } from './compile.js'
import { type ConfigDiff, diffConfigs, isEmptyDiff, summarizeDiff } from './diff.js'
import type { RuntimeHolder } from './holder.js'
import type { ProcessState } from './process-state.js'
import type { Runtime } from './runtime.js'

export type ReloadTrigger = 'start' | 'file' | 'signal' | 'admin'

export type ReloadOutcome =
  | { ok: true; version: number; diff: ConfigDiff | null }
  | { ok: false; error: string; problems: ConfigProblem[] }

export interface ReloaderOptions {
  holder: RuntimeHolder
  process: ProcessState
  logger: Logger
  configPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Told about every outcome, e.g. to count reloads by result. */
  onOutcome?: (trigger: ReloadTrigger, outcome: ReloadOutcome) => void
}

const WATCH_DEBOUNCE_MS = 25

export class Reloader {
  readonly #options: ReloaderOptions
  #version = 0
  #configPath: string | undefined
  #running: Promise<ReloadOutcome> | undefined
  #queued: Promise<ReloadOutcome> | undefined
  #watcher: FSWatcher | undefined
  #watched = new Set<string>()
  #debounce: NodeJS.Timeout | undefined

  constructor(options: ReloaderOptions) {
    this.#options = options
    this.#configPath = options.configPath
  }

  /** The first load: throws ConfigLoadError or ConfigError, since there is nothing to keep serving. */
  async start(): Promise<Runtime> {
    const outcome = await this.#reloadOnce('start')
    if (!outcome.ok) {
      throw outcome.problems.length > 0
        ? new ConfigError(outcome.problems, this.#configPath)
        : new ConfigLoadError(outcome.error)
    }
    return this.#options.holder.current as Runtime
  }

  /** Reloads now, or right after the reload in progress. Never throws. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!this.#running) return this.#run(trigger)
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined
      return this.#run(trigger)
    })
    return this.#queued
  }

  /** Watches the config file, the local modules it imports, local plugin files and policy files. */
  async watch(): Promise<void> {
    this.#watcher = watch([], { ignoreInitial: true })
    this.#watcher.on('all', (_event, file) => {
      if (!this.#watched.has(path.resolve(file))) return
      clearTimeout(this.#debounce)
      this.#debounce = setTimeout(() => void this.reload('file'), WATCH_DEBOUNCE_MS)
    })
    this.#watcher.on('error', (error) => this.#options.logger.error({ err: error }, 'config watcher failed'))
    this.#updateWatchList()
    await new Promise<void>((resolve) => this.#watcher?.once('ready', () => resolve()))
  }

  async close(): Promise<void> {
    clearTimeout(this.#debounce)
    await this.#watcher?.close()
    this.#watcher = undefined
  }

  #run(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    this.#running = this.#reloadOnce(trigger).finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #reloadOnce(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { holder, logger } = this.#options
    const started = performance.now()
    let outcome: ReloadOutcome
    try {
      const checked = await this.#check()
      const previous = holder.current
      this.#options.process.scrubber.add(checked.secrets)
      const runtime = await compileRuntime(checked, {
        process: this.#options.process,
        logger,
        version: ++this.#version,
      })
      holder.swap(runtime)
      const diff = previous ? diffConfigs(previous.checked.source, checked.source) : null
      outcome = { ok: true, version: runtime.version, diff }
      logger.info(
        {
          trigger,
          version: runtime.version,
          config: checked.configPath,
          ms: Math.round(performance.now() - started),
          changes: diff ? (isEmptyDiff(diff) ? 'none' : summarizeDiff(diff)) : 'initial load',
        },
        trigger === 'start' ? 'config loaded' : 'config reloaded',
      )
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : []
      outcome = { ok: false, error: (error as Error).message, problems }
      logger.error(
        { trigger, problems: problems.length > 0 ? problems : undefined, err: problems.length > 0 ? undefined : error },
        trigger === 'start' ? 'config rejected' : 'config reload rejected; the previous config keeps serving',
      )
    }
    this.#updateWatchList()
    this.#options.onOutcome?.(trigger, outcome)
    return outcome
  }

  async #check(): Promise<CheckedConfig> {
    const loaded = await loadConfigFile({ configPath: this.#configPath, cwd: this.#options.cwd })
    this.#configPath = loaded.configPath
    const result = await checkConfig(loaded.raw, {
      configPath: loaded.configPath,
      configDir: loaded.configDir,
      env: this.#options.env,
    })
    if (!result.ok) throw new ConfigError(result.problems, loaded.configPath)
    return result.checked
  }

  #updateWatchList(): void {
    if (!this.#watcher || !this.#configPath) return
    const next = new Set(
      [
        this.#configPath,
        ...localImports(this.#configPath),
        ...this.#localPluginFiles(),
        ...(this.#options.holder.current?.checked.policyFiles ?? []),
      ].map((f) => path.resolve(f)),
    )
    const removed = [...this.#watched].filter((file) => !next.has(file))
    const added = [...next].filter((file) => !this.#watched.has(file))
    if (removed.length > 0) this.#watcher.unwatch(removed)
    if (added.length > 0) this.#watcher.add(added)
    this.#watched = next
  }

  /** Plugins referenced by a relative path, and what they import. */
  #localPluginFiles(): string[] {
    const runtime = this.#options.holder.current
    if (!runtime) return []
    return runtime.checked.plugins
      .filter((plugin) => plugin.source.startsWith('.'))
      .flatMap((plugin) => {
        const file = path.resolve(runtime.checked.configDir, plugin.source)
        return [file, ...localImports(file)]
      })
  }
}
