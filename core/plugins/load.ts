/**
 * Resolves the config's `plugins` entries to plugin definitions and validates
 * each one's options against the plugin's own JSON Schema. `{ use }` entries
 * are resolved from the config's directory, like any dependency of the
 * user's project; local paths are re-read on every reload.
 */
import path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { createJiti } from 'jiti'
import { type ConfigProblem, didYouMean } from '../config/problems.js'
import type { PluginScopeConfig } from '../config/schema.js'
import { toPluginDefinition } from './define.js'
import type { PluginDefinition, PluginInstance } from './types.js'

export interface LoadedPlugin {
  definition: PluginDefinition
  options: Record<string, unknown>
  /** Where it came from, for messages: the `use` specifier or "inline". */
  source: string
  /** Where it runs; undefined: every request. */
  scope: PluginScopeConfig | undefined
  failOpen: boolean
  timeoutMs: number
}

/** A hook that takes longer than this is treated as failed (configurable per plugin). */
export const DEFAULT_HOOK_TIMEOUT_MS = 2000

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true })
const optionValidators = new WeakMap<object, ValidateFunction>()

export async function loadPlugins(
  entries: readonly unknown[],
  configDir: string,
): Promise<{ plugins: LoadedPlugin[]; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = []
  const plugins: LoadedPlugin[] = []
  const importer = createJiti(path.join(configDir, 'gateway.config.ts'), { moduleCache: false, fsCache: false })

  for (const [i, entry] of entries.entries()) {
    const at = `/plugins/${i}`
    const resolved = await resolveEntry(entry, importer, at)
    if ('problem' in resolved) {
      problems.push(resolved.problem)
      continue
    }
    const options = structuredClone(resolved.options ?? {})
    const schemaProblems = checkOptions(resolved.definition, options, `${at}/options`)
    problems.push(...schemaProblems)
    if (schemaProblems.length === 0) problems.push(...pluginOwnProblems(resolved.definition, options, `${at}/options`))
    const placement = entry as { scope?: PluginScopeConfig; failOpen?: boolean; timeoutMs?: number }
    plugins.push({
      definition: resolved.definition,
      options,
      source: resolved.source,
      scope: placement.scope,
      failOpen: placement.failOpen === true,
      timeoutMs: placement.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
    })
  }

  const firstAt = new Map<string, number>()
  plugins.forEach(({ definition }, i) => {
    const first = firstAt.get(definition.name)
    if (first === undefined) firstAt.set(definition.name, i)
    else
      problems.push({
        path: `/plugins/${i}`,
        message: `plugin '${definition.name}' is listed twice (first at /plugins/${first})`,
        hint: 'list each plugin once; give it all its options there',
      })
  })
  return { plugins, problems }
}

type Resolution =
  | { definition: PluginDefinition; options: Record<string, unknown> | undefined; source: string }
  | { problem: ConfigProblem }

async function resolveEntry(entry: unknown, importer: ReturnType<typeof createJiti>, at: string): Promise<Resolution> {
  const asInstance = entry as Partial<PluginInstance>
  if (asInstance && typeof asInstance === 'object' && 'plugin' in asInstance) {
    const definition = toPluginDefinition(asInstance.plugin)
    if (!definition) return { problem: { path: `${at}/plugin`, message: 'is not a plugin (made by definePlugin)' } }
    return { definition, options: asInstance.options as Record<string, unknown>, source: 'inline' }
  }
  const use = (entry as { use?: unknown })?.use
  if (typeof use !== 'string') return { problem: { path: at, message: 'must be { use, options } or a plugin value' } }
  let module: unknown
  try {
    module = await importer.import(use)
  } catch (error) {
    const notFound =
      (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module/.test(String(error))
    return {
      problem: {
        path: `${at}/use`,
        message: notFound
          ? `cannot find plugin '${use}'`
          : `plugin '${use}' failed to load: ${(error as Error).message}`,
        hint: notFound
          ? use.startsWith('.')
            ? 'paths are relative to the config file'
            : `install it next to the config: npm install ${use}`
          : 'fix the error in the plugin module',
      },
    }
  }
  const definition = toPluginDefinition(module)
  if (!definition) {
    return {
      problem: {
        path: `${at}/use`,
        message: `'${use}' does not export a plugin`,
        hint: 'its default export must be the value definePlugin({ name, setup }) returns',
      },
    }
  }
  return { definition, options: (entry as { options?: Record<string, unknown> }).options, source: use }
}

/** What the plugin's own `validate` says, after its schema passed; a throwing validate is a problem too. */
function pluginOwnProblems(
  definition: PluginDefinition,
  options: Record<string, unknown>,
  at: string,
): ConfigProblem[] {
  if (!definition.validate) return []
  try {
    return (definition.validate(options) ?? []).map((message) => ({ path: at, message }))
  } catch (error) {
    return [
      { path: at, message: `plugin '${definition.name}' could not check its options: ${(error as Error).message}` },
    ]
  }
}

function checkOptions(definition: PluginDefinition, options: Record<string, unknown>, at: string): ConfigProblem[] {
  if (!definition.options) return []
  let validate = optionValidators.get(definition.options)
  if (!validate) {
    validate = ajv.compile(definition.options)
    optionValidators.set(definition.options, validate)
  }
  if (validate(options)) return []
  return (validate.errors ?? []).map((error) => {
    if (error.keyword === 'additionalProperties') {
      const property = String(error.params.additionalProperty)
      const known = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {})
      return {
        path: `${at}${error.instancePath}/${property}`,
        message: `unknown option '${property}' for plugin '${definition.name}'`,
        ...(didYouMean(property, known) ? { hint: didYouMean(property, known) } : {}),
      }
    }
    if (error.keyword === 'required') {
      return { path: `${at}${error.instancePath}/${error.params.missingProperty}`, message: 'is required' }
    }
    if (error.keyword === 'enum') {
      const allowed = (error.params.allowedValues as unknown[]).map(String)
      const hint = didYouMean(String(error.data), allowed)
      return {
        path: `${at}${error.instancePath}`,
        message: `must be one of: ${allowed.join(', ')}`,
        ...(hint && { hint }),
      }
    }
    return { path: `${at}${error.instancePath}`, message: error.message ?? `fails ${error.keyword}` }
  })
}
