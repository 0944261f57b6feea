/**
 * The whole check of a config, as `gateway check` and every reload run it:
 * shape (ajv), cross-references, environment, JSONata, plugins. All problems
 * are collected and returned together; on success the result carries what
 * the compiler needs (resolved values, compiled policies, loaded plugins).
 */

import { type LoadedPlugin, loadPlugins } from '../plugins/load.js'
import { type CompiledPolicy, compilePolicies } from '../policy/compile.js'
import { parseServiceAccount, ServiceAccountError } from '../providers/gemini/service-account.js'
import { OPENAI_FAMILY_PRESETS } from '../providers/openai/presets.js'
import { parseTargetRef } from '../routing/target-ref.js'
import { checkCrossReferences } from './cross-references.js'
import type { UserConfig } from './define.js'
import { checkGovernanceReferences } from './governance-references.js'
import { type ConfigProblem, didYouMean, pointer } from './problems.js'
import { type Resolved, resolveEnv } from './resolve-env.js'
import { checkShape } from './shape.js'

export type ResolvedConfig = Resolved<UserConfig>

export interface CheckedConfig {
  config: ResolvedConfig
  /** The config as written, env references unresolved: what `print-config` and diffs show. */
  source: UserConfig
  configPath: string
  configDir: string
  /** Every secret value in the config, for scrubbing logs and upstream errors. */
  secrets: string[]
  policies: CompiledPolicy[]
  /** Policy files the config uses: a save reloads like a save of the config. */
  policyFiles: string[]
  plugins: LoadedPlugin[]
}

export type CheckResult = { ok: true; checked: CheckedConfig } | { ok: false; problems: ConfigProblem[] }

export interface CheckOptions {
  configPath: string
  configDir: string
  env?: NodeJS.ProcessEnv
}

export async function checkConfig(raw: unknown, options: CheckOptions): Promise<CheckResult> {
  const shapeProblems = checkShape(raw)
  const problems = [...shapeProblems, ...checkCrossReferences(raw), ...checkGovernanceReferences(raw)]
  const env = resolveEnv(raw as UserConfig, options.env ?? process.env)
  problems.push(...withoutFollowOns(env.problems, problems))
  const config = env.value
  // The rest reads the config defensively, so one run reports every problem even when the shape is off.
  if (shapeProblems.length === 0) problems.push(...withoutFollowOns(checkProviderKeys(config), problems))
  problems.push(...withoutFollowOns(checkTracing(config), problems))
  const policies = compilePolicies(Array.isArray(config.policies) ? config.policies : [], options.configDir)
  problems.push(...withoutFollowOns(policies.problems, problems))
  const plugins = await loadPlugins(Array.isArray(config.plugins) ? config.plugins : [], options.configDir)
  problems.push(...withoutFollowOns(plugins.problems, problems))
  problems.push(
    ...policyReferenceProblems(
      config,
      plugins.plugins.map((p) => p.definition.name),
    ),
  )
  if (problems.length > 0) return { ok: false, problems }

  return {
    ok: true,
    checked: {
      config,
      source: raw as UserConfig,
      configPath: options.configPath,
      configDir: options.configDir,
      secrets: literalSecrets(config).concat(env.secrets),
      policies: policies.policies,
      policyFiles: policies.files,
      plugins: plugins.plugins,
    },
  }
}

/**
 * A later stage's problem at a value an earlier one already rejected (at its
 * path or inside it) is a follow-on, not a second mistake: "has no key" after
 * "environment variable X is not set" in that key, or "environment variable
 * bad-name is not set" after "$env must match pattern". Reporting it would
 * send the reader after a problem that goes away with the first fix.
 */
function withoutFollowOns(later: ConfigProblem[], earlier: readonly ConfigProblem[]): ConfigProblem[] {
  return later.filter(
    (problem) => !earlier.some((first) => first.path === problem.path || first.path.startsWith(`${problem.path}/`)),
  )
}

/** `route` actions must name something servable; `require` actions a plugin the config loads. */
function policyReferenceProblems(config: ResolvedConfig, pluginNames: readonly string[]): ConfigProblem[] {
  const routes = new Set(Object.keys(config.routes ?? {}))
  const providers = new Set(Object.keys(config.providers ?? {}))
  const problems: ConfigProblem[] = []
  ;(Array.isArray(config.policies) ? config.policies : []).forEach((policy, i) => {
    if (!policy || typeof policy !== 'object' || 'file' in policy) return
    if (typeof policy.route === 'string' && parseTargetRef(policy.route, routes, providers).kind !== 'route') {
      const ref = parseTargetRef(policy.route, routes, providers)
      if (ref.kind !== 'model') {
        problems.push({
          path: `/policies/${i}/route`,
          message: `'${policy.route}' is neither a route nor "provider/model"`,
          hint: didYouMean(policy.route, routes) ?? `routes: ${[...routes].join(', ')}`,
        })
      }
    }
    ;(policy.require ?? []).forEach((name, j) => {
      if (!pluginNames.includes(name)) {
        problems.push({
          path: `/policies/${i}/require/${j}`,
          message: `no plugin named '${name}' is loaded`,
          hint:
            didYouMean(name, pluginNames) ??
            'add the plugin to `plugins` (scoped with { required: true } to run only when required)',
        })
      }
    })
  })
  return problems
}

/** A hosted provider with no usable key would fail every request: say so now. */
function checkProviderKeys(config: ResolvedConfig): ConfigProblem[] {
  return Object.entries(config.providers).flatMap(([name, provider]) => {
    if (provider.type === 'mock') return []
    if (provider.type === 'bedrock') return checkBedrockAuth(name, provider)
    if (provider.type === 'vertex') return checkServiceAccount(name, provider.serviceAccount)
    const keyRequired =
      provider.type === 'azure-openai' ||
      provider.type === 'anthropic' ||
      provider.type === 'cohere' ||
      provider.type === 'gemini' ||
      OPENAI_FAMILY_PRESETS[provider.type].keyRequired
    const usable = (provider.keys ?? []).filter((key) => typeof key.value === 'string')
    if (!keyRequired || usable.length > 0) return []
    return [
      {
        path: pointer('providers', name, 'keys'),
        message: `provider '${name}' (${provider.type}) has no key`,
        hint: `keys: [{ value: env('${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY') }]`,
      },
    ]
  })
}

/** Bedrock signs with AWS credentials or sends a Bedrock API key: exactly one of the two must be usable. */
function checkBedrockAuth(
  name: string,
  provider: Extract<ResolvedConfig['providers'][string], { type: 'bedrock' }>,
): ConfigProblem[] {
  const usableKeys = (provider.keys ?? []).filter((key) => typeof key.value === 'string')
  if (provider.credentials && usableKeys.length > 0) {
    return [
      {
        path: pointer('providers', name, 'keys'),
        message: `provider '${name}' (bedrock) has both credentials and keys; only one way to authenticate can be used`,
        hint: 'keep `credentials` for SigV4 signing, or `keys` for Bedrock API keys',
      },
    ]
  }
  if (provider.credentials || usableKeys.length > 0) return []
  const prefix = name.toUpperCase().replace(/[^A-Z0-9]/g, '_')
  return [
    {
      path: pointer('providers', name, 'credentials'),
      message: `provider '${name}' (bedrock) has neither credentials nor keys`,
      hint: `credentials: { accessKeyId: env('${prefix}_ACCESS_KEY_ID'), secretAccessKey: env('${prefix}_SECRET_ACCESS_KEY') }, or keys: [{ value: env('${prefix}_API_KEY') }]`,
    },
  ]
}

/** Vertex authenticates with a service-account key file: a broken one is reported here, not on the first request. */
function checkServiceAccount(name: string, serviceAccount: string | undefined): ConfigProblem[] {
  // Unset: the env resolution already reported it.
  if (typeof serviceAccount !== 'string') return []
  try {
    parseServiceAccount(serviceAccount)
    return []
  } catch (error) {
    if (!(error instanceof ServiceAccountError)) throw error
    return [
      {
        path: pointer('providers', name, 'serviceAccount'),
        // The message never echoes the value: it holds a private key.
        message: error.message,
        hint: `serviceAccount: env('${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SERVICE_ACCOUNT_JSON'), holding the whole JSON key file`,
      },
    ]
  }
}

/** The collector's URL, once env references are resolved: a typo would only show as spans that never arrive. */
function checkTracing(config: ResolvedConfig): ConfigProblem[] {
  const endpoint = config.telemetry?.tracing?.endpoint
  if (typeof endpoint !== 'string') return []
  let protocol = ''
  try {
    protocol = new URL(endpoint).protocol
  } catch {
    // Not a URL at all: reported below.
  }
  if (protocol === 'http:' || protocol === 'https:') return []
  return [
    {
      path: pointer('telemetry', 'tracing', 'endpoint'),
      // The value may have come from the environment: not echoed.
      message: 'is not an http(s) URL',
      hint: "the collector's OTLP/HTTP traces URL, e.g. 'http://127.0.0.1:4318/v1/traces'",
    },
  ]
}

/** The private key inside a service-account file, scrubbed on its own too: it could be logged without the rest. */
function privateKeyOf(serviceAccount: string | undefined): string[] {
  if (typeof serviceAccount !== 'string') return []
  try {
    return [parseServiceAccount(serviceAccount).privateKey]
  } catch {
    return []
  }
}

/** Secrets written literally in the config (discouraged, but still never printed). */
function literalSecrets(config: ResolvedConfig): string[] {
  const values: Array<string | undefined> = [
    config.admin?.token,
    ...Object.values(config.telemetry?.tracing?.headers ?? {}),
  ]
  for (const provider of Object.values(config.providers)) {
    if (provider.type === 'mock') continue
    if (provider.type === 'vertex') values.push(provider.serviceAccount, ...privateKeyOf(provider.serviceAccount))
    else for (const key of provider.keys ?? []) values.push(key.value)
    for (const value of Object.values(provider.headers ?? {})) values.push(value)
    if (provider.type === 'bedrock' && provider.credentials) {
      const { accessKeyId, secretAccessKey, sessionToken } = provider.credentials
      values.push(accessKeyId, secretAccessKey, sessionToken)
    }
  }
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0)
}
