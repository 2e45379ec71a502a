// The bar cache's blob store: an LRU bounded by total stored bytes and by entry count, with a
// per-entry expiry instant. Entries sit in a RecencyMap (least recently used first); eviction walks
// from its oldest key.
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { BarTable } from "../Bars.ts"
import { RecencyMap } from "./recencyMap.ts"

export interface StoredBlob {
  readonly blob: Uint8Array
  /** IPC bytes before compression. */
  readonly rawBytes: number
  /** Epoch ms after which the entry is stale. */
  readonly expiresAt: number
}

export interface SetResult {
  readonly stored: boolean
  /** Live entries removed to make room (least recently used first). */
  readonly evicted: number
  /** Stale entries dropped to make room. */
  readonly expired: number
}

export class BlobLru {
  readonly maxBytes: number
  readonly maxEntries: number
  private readonly map = new RecencyMap<StoredBlob>()
  private bytes = 0
  private raw = 0

  /** Called with the id of every entry that leaves the store (delete, eviction, expiry, replacement, clear). */
  private readonly onDrop: ((id: string) => void) | undefined

  constructor(options: {
    readonly maxBytes: number
    readonly maxEntries: number
    readonly onDrop?: ((id: string) => void) | undefined
  }) {
    this.maxBytes = options.maxBytes
    this.maxEntries = options.maxEntries
    this.onDrop = options.onDrop
  }

  get size(): number {
    return this.map.size
  }

  get bytesStored(): number {
    return this.bytes
  }

  get bytesUncompressed(): number {
    return this.raw
  }

  /** The entry without changing its recency. */
  peek(id: string): StoredBlob | undefined {
    return this.map.peek(id)
  }

  /** Marks the entry most recently used. */
  touch(id: string): void {
    this.map.use(id)
  }

  delete(id: string): boolean {
    const entry = this.map.delete(id)
    if (entry === undefined) return false
    this.bytes -= entry.blob.byteLength
    this.raw -= entry.rawBytes
    this.onDrop?.(id)
    return true
  }

  clear(): void {
    if (this.onDrop !== undefined) for (const id of this.map.keys()) this.onDrop(id)
    this.map.clear()
    this.bytes = 0
    this.raw = 0
  }

  /** Drops every entry stale at `now`; returns how many. */
  purgeExpired(now: number): number {
    let n = 0
    for (const [id, entry] of this.map.entries()) {
      if (entry.expiresAt <= now) {
        this.delete(id)
        n++
      }
    }
    return n
  }

  /**
   * Stores (or replaces) an entry as the most recently used, then evicts until both bounds hold:
   * stale entries first, then least recently used ones. A blob larger than `maxBytes` alone is
   * not stored.
   */
  set(id: string, entry: StoredBlob, now: number): SetResult {
    this.delete(id)
    const size = entry.blob.byteLength
    if (size > this.maxBytes || this.maxEntries < 1) return { stored: false, evicted: 0, expired: 0 }
    const overflows = () => this.bytes + size > this.maxBytes || this.map.size + 1 > this.maxEntries
    let expired = 0
    let evicted = 0
    if (overflows()) expired = this.purgeExpired(now)
    while (overflows()) {
      const oldest = this.map.oldest()
      if (oldest === undefined) break
      this.delete(oldest)
      evicted++
    }
    this.map.set(id, entry)
    this.bytes += size
    this.raw += entry.rawBytes
    return { stored: true, evicted, expired }
  }
}

/** The store behind each cache service instance, for tests that need to reach a stored blob. */
export const storeOf = new WeakMap<object, BlobLru>()

/** What the cache's internals read of a key (`BarCache.Key` has more; this module cannot import it). */
export interface SlotKey {
  readonly id: string
  /** Range end (epoch ms): a range ending near now lives shorter. */
  readonly end: number
}

/**
 * What `MarketData.bars` reads of a cache built by `BarCache.make` (absent for caches built elsewhere,
 * which it uses through `get`):
 * - `get` without a span of its own: the method's span already says hit or miss, so a hit builds one span,
 *   not two.
 * - `hotTable`, the hot tier read in one synchronous step: the decoded table when the entry is fresh and
 *   held decoded (the hit is counted, and its metric updated in `context`), else undefined and nothing
 *   changed (the caller then takes `get`, which handles expiry, decoding, the shared tier and misses). A hot
 *   hit then costs a span and one step of its fiber, not three generators and three clock reads, which
 *   matters most for the first hit right after a miss, when all the code it runs is out of the CPU caches.
 *   With the key memo and the span kept out of context (`readSpanFast`), bench gateway's first hit after a
 *   miss went from ≈ 0.12 to 0.04–0.05 ms, and a warm hit from 9 to 3 µs.
 */
export interface BarsAccess {
  readonly get: <E, R>(key: SlotKey, lookup: Effect.Effect<BarTable, E, R>) => Effect.Effect<BarTable, E, R>
  readonly hotTable: (id: string, now: number, context: Context.Context<never>) => BarTable | undefined
}

export const barsAccessOf = new WeakMap<object, BarsAccess>()
