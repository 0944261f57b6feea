import type { EnvRef } from './schema.js'

/**
 * `env('NAME')`: a reference to an environment variable, resolved when the
 * config is compiled (so a reload picks up nothing new from the file, but a
 * restart with a new environment does). The reference is plain data, which is
 * why JSON and YAML configs can write it too: `{ "$env": "NAME" }`.
 */
export function env(name: string): EnvRef {
  return { $env: name }
}

/** `env.optional('NAME', 'fallback')`: resolves to the fallback (or nothing) when unset. */
env.optional = (name: string, fallback?: string): EnvRef =>
  fallback === undefined ? { $env: name, optional: true } : { $env: name, optional: true, default: fallback }

export function isEnvRef(value: unknown): value is EnvRef {
  return typeof value === 'object' && value !== null && typeof (value as { $env?: unknown }).$env === 'string'
}
