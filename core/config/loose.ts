/** Defensive readers for a config whose shape may be wrong: checks after the schema must not crash on it. */
export type Loose = Record<string, unknown>

export const asRecord = (value: unknown): Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : {}

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
