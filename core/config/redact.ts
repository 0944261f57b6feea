/**
 * The config as `print-config` shows it: resolved, with every secret
 * replaced. Values that came from the environment show which variable they
 * came from instead of their value; literal keys, headers and tokens are
 * masked by position; plugin values print as their name and options.
 */
import { REDACTED, SecretScrubber } from '../obs/secret-scrubber.js'
import { isEnvRef } from './env.js'
import type { CheckedConfig } from './validate.js'

/** Positions that hold secrets even when written literally. */
const SECRET_PATHS = [
  /^providers\.[^.]+\.keys\.\d+\.value$/,
  /^providers\.[^.]+\.headers\.[^.]+$/,
  /^providers\.[^.]+\.credentials\.(accessKeyId|secretAccessKey|sessionToken)$/,
  /^admin\.token$/,
  /^telemetry\.tracing\.headers\.[^.]+$/,
]

export function redactedConfig(checked: CheckedConfig): unknown {
  const walk = (value: unknown, path: string[]): unknown => {
    const dotted = path.join('.')
    if (isEnvRef(value)) return `${REDACTED} (env ${value.$env}${value.optional ? ', optional' : ''})`
    if (typeof value === 'string' && SECRET_PATHS.some((pattern) => pattern.test(dotted))) return REDACTED
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, String(i)]))
    if (typeof value === 'object' && value !== null) {
      if ('plugin' in value && typeof (value as { plugin?: { name?: unknown } }).plugin?.name === 'string') {
        const { plugin, options } = value as { plugin: { name: string }; options: unknown }
        return { plugin: plugin.name, options: walk(options, [...path, 'options']) }
      }
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]))
    }
    return value
  }
  const scrubber = new SecretScrubber()
  scrubber.add(checked.secrets)
  // Belt and braces: a secret that also appears somewhere unexpected is still masked.
  return JSON.parse(scrubber.scrub(JSON.stringify(walk(checked.source, []))))
}
