/**
 * A vector index per namespace, by cosine similarity: USearch (HNSW, native,
 * prebuilt binaries in the npm package) when it loads, else an exact scan
 * over the (bounded) vectors in memory. Both answer the same question; the
 * scan is exact, USearch approximate (on the small, bounded sets a cache
 * keeps, in practice exact too).
 */
import { createRequire } from 'node:module'

export interface Neighbour {
  id: bigint
  /** Cosine similarity, 1 = same direction. */
  similarity: number
}

export interface VectorIndex {
  readonly kind: 'usearch' | 'scan'
  readonly dimensions: number
  add(id: bigint, vector: Float32Array): void
  remove(id: bigint): void
  /** Up to `k` nearest, most similar first. */
  search(vector: Float32Array, k: number): Neighbour[]
  size(): number
}

interface UsearchIndex {
  add(keys: bigint, vectors: Float32Array): void
  remove(keys: bigint): number
  search(vector: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array }
  size(): number
}
interface UsearchModule {
  Index: new (config: { dimensions: number; metric: string; connectivity?: number }) => UsearchIndex
}

let usearch: UsearchModule | null | undefined
let loadError: string | undefined

/**
 * Loads USearch once. Through require: the package's ESM build cannot find its
 * native binary (it looks for it from `__dirname`, which ESM lacks, and
 * recurses until the stack overflows), its CommonJS build can.
 */
export function loadUsearch(): UsearchModule | null {
  if (usearch !== undefined) return usearch
  try {
    const require = createRequire(import.meta.url)
    const module = require('usearch') as UsearchModule
    // Creating an index loads the native addon: fail here, not on first use.
    new module.Index({ dimensions: 2, metric: 'cos' }).size()
    usearch = module
  } catch (error) {
    loadError = (error as Error).message
    usearch = null
  }
  return usearch
}

export function usearchLoadError(): string | undefined {
  return loadError
}

export function createIndex(kind: 'usearch' | 'scan', dimensions: number): VectorIndex {
  const native = kind === 'usearch' ? loadUsearch() : null
  return native ? new UsearchVectorIndex(native, dimensions) : new ScanIndex(dimensions)
}

class UsearchVectorIndex implements VectorIndex {
  readonly kind = 'usearch' as const
  readonly #index: UsearchIndex
  constructor(
    module: UsearchModule,
    readonly dimensions: number,
  ) {
    this.#index = new module.Index({ dimensions, metric: 'cos', connectivity: 16 })
  }
  add(id: bigint, vector: Float32Array): void {
    this.#index.add(id, vector)
  }
  remove(id: bigint): void {
    this.#index.remove(id)
  }
  search(vector: Float32Array, k: number): Neighbour[] {
    if (this.#index.size() === 0) return []
    const { keys, distances } = this.#index.search(vector, Math.min(k, this.#index.size()))
    return Array.from(keys, (id, i) => ({ id, similarity: 1 - (distances[i] as number) }))
  }
  size(): number {
    return this.#index.size()
  }
}

/** Exact cosine scan: vectors normalised once, similarity by dot product. */
class ScanIndex implements VectorIndex {
  readonly kind = 'scan' as const
  readonly #vectors = new Map<bigint, Float32Array>()
  constructor(readonly dimensions: number) {}
  add(id: bigint, vector: Float32Array): void {
    this.#vectors.set(id, normalised(vector))
  }
  remove(id: bigint): void {
    this.#vectors.delete(id)
  }
  search(vector: Float32Array, k: number): Neighbour[] {
    const query = normalised(vector)
    const out: Neighbour[] = []
    for (const [id, stored] of this.#vectors) {
      let dot = 0
      for (let i = 0; i < query.length; i++) dot += (query[i] as number) * (stored[i] as number)
      out.push({ id, similarity: dot })
    }
    return out.sort((a, b) => b.similarity - a.similarity).slice(0, k)
  }
  size(): number {
    return this.#vectors.size
  }
}

function normalised(vector: Float32Array): Float32Array {
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm) || 1
  return vector.map((value) => value / norm)
}
