/**
 * The bar cache: TTL + LRU bounded by bytes and entries, single-flight misses, values stored as
 * Arrow IPC stream bytes, lz4-block compressed above a threshold, behind a 16-byte header (format
 * tag + CRC-32) so a corrupt or unknown blob is detected, logged once and replaced.
 *
 * Format, from `bench/cache-formats.ts` (20,000 one-minute bars, random walk on a 0.25 tick grid;
 * median of 200 runs; Node 24, 2-core EPYC). JSON response: 1,716,839 B.
 *
 * | format                      | bytes   | ×JSON | enc ms | dec ms            |
 * |-----------------------------|---------|-------|--------|-------------------|
 * | IPC raw                     | 960,808 | 0.560 | 0.21   | 0.07              |
 * | IPC + lz4 block   (chosen)  | 411,400 | 0.240 | 1.83   | 0.72              |
 * | IPC + lz4 frame             | 411,411 | 0.240 | 2.0–7.6| 1.0–6.7 (bimodal) |
 * | Arrow native LZ4_FRAME      | 412,992 | 0.241 | 2.1    | 6.5–6.7           |
 * | IPC + zstd (reference)      | 188,490 | 0.110 | 3.3    | 1.7–2.2           |
 *
 * lz4 block is the only format under both goals (stored ≤ 0.30× JSON, hit ≤ 1 ms median): with the
 * header and CRC it stores 411,416 B (0.240×), decodes in 0.83 ms, and a 20k-bar hit through `get`
 * takes 0.85 ms median. zstd is 2.2× smaller but misses the latency goal; the frame formats
 * (including Arrow's own body compression) are the same size and decode slower.
 *
 * A hot tier keeps the most recently used decoded tables (`hotBytes` of them, default 16 MiB): a
 * repeated hit then skips the lz4 decode, the CRC and Arrow's IPC read, and hands back the same
 * immutable table. A hot copy lives no longer than its stored blob, and a table larger than the
 * whole budget (a million bars) is never kept decoded, so the cache's heap stays near its blobs.
 *
 * Hybrid of Effect's `Cache` and a hand-written LRU: Effect's `Cache` bounds by entry count only,
 * evicts silently (no hook, so neither bytes nor evictions can be counted) and cannot tell a hit
 * from a miss. Blobs therefore live in `internal/barCacheStore.ts` (byte + count LRU, TTL per
 * entry), and Effect's `Cache` with a zero TTL only coalesces in-flight lookups: N concurrent
 * misses of a key share one lookup, which is interrupted only when every waiter is.
 *
 * @since 0.1.0
 */
import * as Cache from "effect/Cache"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import type * as Bars from "./Bars.ts"
import * as Metrics from "../observability/Metrics.ts"
import { HotTables } from "./internal/barCacheHot.ts"
import type { SharedTier } from "./internal/barCacheRedis.ts"
import { barsAccessOf, BlobLru, type SlotKey, storeOf } from "./internal/barCacheStore.ts"
import { DEFAULT_TIME_ZONE } from "./internal/arrowTimeZone.ts"
import { type BarsKit, barsKit } from "./internal/barsLoader.ts"
import { freeNow } from "../internal/freeNow.ts"

// -----------------------------------------------------------------------------
// Keys
// -----------------------------------------------------------------------------

/**
 * Everything that changes a `History/retrieveBars` answer.
 *
 * @since 0.1.0
 */
export interface KeyInput {
  readonly contractId: string
  /** 1 Second, 2 Minute, 3 Hour, 4 Day, 5 Week, 6 Month. */
  readonly unit: number
  readonly unitNumber: number
  /** Range start (`Date` or epoch ms). */
  readonly start: Date | number
  /** Range end (`Date` or epoch ms). */
  readonly end: Date | number
  readonly limit: number
  readonly includePartialBar: boolean
  /** The Gateway's `live` flag (live vs simulated data feed). */
  readonly live: boolean
  /** Zone of the cached table's timestamps. Default `Bars.DEFAULT_TIME_ZONE`. */
  readonly timeZone?: string | undefined
}

/**
 * A normalised cache key; `id` is its stable string form (also the log annotation).
 *
 * @since 0.1.0
 */
export interface Key {
  readonly contractId: string
  readonly unit: number
  readonly unitNumber: number
  readonly start: number
  readonly end: number
  readonly limit: number
  readonly includePartialBar: boolean
  readonly live: boolean
  readonly timeZone: string
  readonly id: string
}

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms))

// The last key built, returned again for equal fields: a bot asking for the same bars again then gets
// the same `id` string, whose hash the cache's Maps already hold, instead of a new 100-character string
// to build (two `toISOString`, two `encodeURIComponent`) and hash (together ~15 % of a warm hot hit).
let lastKey: Key | undefined

/**
 * Builds a key. `id` looks like
 * `bars/1|CON.F.US.MGC.Z25|2x5|2025-01-01T15:30:00.000Z|2025-01-05T22:00:00.000Z|20000|partial=1|live=0|America/Chicago`.
 *
 * @since 0.1.0
 */
export const key = (input: KeyInput): Key => {
  const start = typeof input.start === "number" ? input.start : input.start.getTime()
  const end = typeof input.end === "number" ? input.end : input.end.getTime()
  const timeZone = input.timeZone ?? DEFAULT_TIME_ZONE
  const last = lastKey
  if (
    last !== undefined &&
    last.start === start &&
    last.end === end &&
    last.contractId === input.contractId &&
    last.unit === input.unit &&
    last.unitNumber === input.unitNumber &&
    last.limit === input.limit &&
    last.includePartialBar === input.includePartialBar &&
    last.live === input.live &&
    last.timeZone === timeZone
  ) {
    return last
  }
  const id = [
    "bars/1",
    encodeURIComponent(input.contractId),
    `${input.unit}x${input.unitNumber}`,
    iso(start),
    iso(end),
    String(input.limit),
    `partial=${input.includePartialBar ? 1 : 0}`,
    `live=${input.live ? 1 : 0}`,
    encodeURIComponent(timeZone)
  ].join("|")
  lastKey = {
    contractId: input.contractId,
    unit: input.unit,
    unitNumber: input.unitNumber,
    start,
    end,
    limit: input.limit,
    includePartialBar: input.includePartialBar,
    live: input.live,
    timeZone,
    id
  }
  return lastKey
}

// -----------------------------------------------------------------------------
// Options, stats, metrics
// -----------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface Options {
  /** How long an entry lives. Default 5 minutes. */
  readonly timeToLive?: Duration.Input | undefined
  /**
   * TTL for ranges whose end is within `recentWindow` of now (or later): their last bars may
   * still change. Default 30 seconds.
   */
  readonly recentTimeToLive?: Duration.Input | undefined
  /** Default 15 minutes. */
  readonly recentWindow?: Duration.Input | undefined
  /** Bound on the total stored (compressed) bytes. Default 64 MiB. */
  readonly maxBytes?: number | undefined
  /** Bound on the number of entries. Default 1,024. */
  readonly maxEntries?: number | undefined
  /** IPC payloads longer than this many bytes are lz4-compressed. Default 1,024. */
  readonly compressionThreshold?: number | undefined
  /**
   * Bound on the decoded bytes of the hot tier: the most recently hit tables, kept decoded so a
   * repeated hit costs no decompression. A table larger than this is not kept. Default 16 MiB; 0
   * turns the tier off.
   */
  readonly hotBytes?: number | undefined
  /**
   * A tier shared between processes under this one (`ProjectX.layer({ shared })` sets it up on Redis):
   * a miss here asks it before running the lookup, and every stored blob is written to it too.
   */
  readonly shared?: SharedTier | undefined
}

/**
 * A snapshot of the cache's counters. `hits + misses` counts `get` calls; concurrent misses of
 * one key count one miss each but run one lookup (`lookups`). Counters survive `clear`.
 *
 * @since 0.1.0
 */
export interface Stats {
  /** Every hit, hot-tier hits included. */
  readonly hits: number
  /** Hits answered by the hot tier (no decode). */
  readonly hotHits: number
  /** Misses here answered by the shared tier (no lookup ran). */
  readonly sharedHits: number
  readonly misses: number
  /** hits / (hits + misses); 0 before the first call. */
  readonly hitRatio: number
  /** Lookups actually run. */
  readonly lookups: number
  readonly entries: number
  /** Stored blob bytes, headers included. */
  readonly bytesStored: number
  /** The same entries' IPC bytes before compression. */
  readonly bytesUncompressed: number
  /** bytesUncompressed / bytesStored (higher is better); 1 when empty. */
  readonly compressionRatio: number
  /** Live entries dropped to respect maxBytes or maxEntries. */
  readonly evictions: number
  /** Entries dropped because their TTL passed. */
  readonly expirations: number
  /** Stored entries that failed to decode (each was treated as a miss and replaced). */
  readonly corruptEntries: number
  readonly maxBytes: number
  readonly maxEntries: number
  /** Tables held decoded in the hot tier, and their bytes. */
  readonly hotEntries: number
  readonly hotBytes: number
  readonly maxHotBytes: number
}

const attributes = { cache: "bars" }

/**
 * The cache's metrics (attribute `cache="bars"`), for telemetry exporters.
 *
 * @since 0.1.0
 */
export const metrics = {
  // The SDK-wide instruments of Metrics.ts, labelled for this cache.
  hits: Metric.withAttributes(Metrics.cacheHitsTotal, attributes),
  misses: Metric.withAttributes(Metrics.cacheMissesTotal, attributes),
  evictions: Metric.counter("projectx_cache_evictions_total", {
    description: "Bar cache entries evicted by the byte or entry bound",
    incremental: true,
    attributes
  }),
  corrupt: Metric.counter("projectx_cache_corrupt_entries_total", {
    description: "Bar cache entries that failed to decode",
    incremental: true,
    attributes
  }),
  bytes: Metric.gauge("projectx_cache_bytes", { description: "Bar cache stored bytes", attributes })
} as const

// -----------------------------------------------------------------------------
// Service
// -----------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface Service {
  /**
   * The bars for `key`: on a hit, decoded from the stored bytes (no lookup runs), or the table an
   * earlier hit decoded while it is still in the hot tier (hits share it: treat tables as
   * immutable, as Arrow does); on a miss, from `lookup`, which runs once for all concurrent
   * callers of the key and whose result, empty included, is stored. A failed lookup is not stored. Concurrent callers share the first
   * caller's lookup, so give one key one lookup.
   */
  readonly get: <E, R>(key: Key, lookup: Effect.Effect<Bars.BarTable, E, R>) => Effect.Effect<Bars.BarTable, E, R>
  readonly invalidate: (key: Key) => Effect.Effect<void>
  /** Drops every entry (counters keep counting). */
  readonly clear: Effect.Effect<void>
  readonly stats: Effect.Effect<Stats>
}

/**
 * The service tag, with the SDK's one layer vocabulary as statics: `make(options?)`,
 * `layer(options?)`, `layerDisabled`. (`key(...)` stays a module function: a tag's `key` is its id.)
 *
 * @since 0.1.0
 */
export class BarCache extends Context.Service<BarCache, Service>()("@projectx-effect/sdk/BarCache") {
  /** Builds a cache (what `layer` provides). */
  static readonly make = (options?: Options) => make(options)
  /**
   * A cache with `options` (defaults: 5 min TTL, 30 s for ranges ending within 15 min of now,
   * 64 MiB, 1,024 entries, lz4 above 1 KiB, 16 MiB of hot decoded tables).
   */
  static readonly layer = (options?: Options): Layer.Layer<BarCache> => Layer.effect(BarCache, make(options))
  /**
   * Pass-through: every `get` runs its lookup and nothing is stored (for benchmarks and for turning
   * caching off).
   */
  static readonly layerDisabled: Layer.Layer<BarCache> = Layer.sync(BarCache, () => makeDisabled())
}

/** The Effect `Cache` key of an in-flight lookup: equal by key id, carrying the caller's lookup. */
class Flight implements Equal.Equal {
  readonly key: SlotKey
  readonly lookup: Effect.Effect<Bars.BarTable, unknown>
  constructor(key: SlotKey, lookup: Effect.Effect<Bars.BarTable, unknown>) {
    this.key = key
    this.lookup = lookup
  }
  [Equal.symbol](that: Equal.Equal): boolean {
    return that instanceof Flight && that.key.id === this.key.id
  }
  [Hash.symbol](): number {
    return Hash.string(this.key.id)
  }
}

type Probe =
  | { readonly _tag: "Hit"; readonly table: Bars.BarTable; readonly hot: boolean }
  | { readonly _tag: "Corrupt"; readonly reason: string; readonly message: string }
  | { readonly _tag: "Expired" }
  | { readonly _tag: "Absent" }

const absent: Probe = { _tag: "Absent" }
const expired: Probe = { _tag: "Expired" }

/** Builds a cache (`BarCache.make`). */
const make = Effect.fnUntraced(function* (options?: Options) {
  const ttl = Duration.toMillis(options?.timeToLive ?? Duration.minutes(5))
  const recentTtl = Duration.toMillis(options?.recentTimeToLive ?? Duration.seconds(30))
  const recentWindow = Duration.toMillis(options?.recentWindow ?? Duration.minutes(15))
  const threshold = options?.compressionThreshold ?? 1024
  const hotBudget = options?.hotBytes ?? 16 * 1024 * 1024
  const hot = new HotTables(Math.max(hotBudget, 0) || 0) // NaN or negative: off
  const store = new BlobLru({
    maxBytes: options?.maxBytes ?? 64 * 1024 * 1024,
    maxEntries: options?.maxEntries ?? 1024,
    // The hot copy goes with its blob, however the blob leaves.
    onDrop: (id) => hot.delete(id)
  })
  const counts = {
    hits: 0,
    hotHits: 0,
    sharedHits: 0,
    misses: 0,
    lookups: 0,
    evictions: 0,
    expirations: 0,
    corrupt: 0
  }
  const shared = options?.shared
  const lifeOf = (k: SlotKey, now: number) => (k.end >= now - recentWindow ? recentTtl : ttl)

  /** The hot table of a fresh entry, marked most recently used in both tiers. */
  const hotTable = (id: string): Bars.BarTable | undefined => {
    const decoded = hot.get(id)
    if (decoded !== undefined) store.touch(id)
    return decoded
  }

  const countHit = (fromHot: boolean) => {
    counts.hits++
    if (fromHot) counts.hotHits++
  }

  /** Reads and decodes the entry in one synchronous step, so concurrent fibers see one outcome. */
  const probe = ({ Bars, Codec }: BarsKit, id: string, now: number): Probe => {
    const entry = store.peek(id)
    if (entry === undefined) return absent
    if (entry.expiresAt <= now) {
      store.delete(id)
      counts.expirations++
      return expired
    }
    const decoded = hotTable(id)
    if (decoded !== undefined) return { _tag: "Hit", table: decoded, hot: true }
    const ipc = Codec.decode(entry.blob)
    let failure: { readonly reason: string; readonly message: string }
    if (Codec.isDecodeFailure(ipc)) {
      failure = ipc
    } else {
      try {
        const table = Bars.fromIPC(ipc)
        store.touch(id)
        // The table views `ipc` (a fresh buffer), so those are the bytes it holds.
        hot.set(id, table, ipc.byteLength)
        return { _tag: "Hit", table, hot: false }
      } catch (cause) {
        failure = { reason: "ArrowDecode", message: cause instanceof Error ? cause.message : String(cause) }
      }
    }
    store.delete(id)
    counts.corrupt++
    return { _tag: "Corrupt", ...failure }
  }

  const save = ({ Bars, Codec }: BarsKit, k: SlotKey, table: Bars.BarTable) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const stored = yield* Effect.try(() => {
        const ipc = Bars.toIPC(table)
        const encoded = Codec.encode(ipc, threshold)
        // The IPC bytes were copied into the blob (or compressed) and are ours alone.
        freeNow(ipc)
        return encoded
      })
      const life = lifeOf(k, now)
      if (life <= 0) return
      const kept = yield* keep(k, stored.blob, stored.rawBytes, now, life)
      // The miss already holds the decoded table: keep it hot, so the first hit does no decode either.
      if (kept) hot.set(k.id, table, stored.rawBytes)
      if (shared !== undefined) yield* shared.set(k.id, stored.blob, life)
    }).pipe(
      Effect.catch((error) =>
        Effect.logWarning("BarCache: could not store bars; returning them uncached", error).pipe(
          Effect.annotateLogs({ key: k.id })
        )
      )
    )

  /** Puts a blob in the in-process store (from a lookup, or from the shared tier). */
  const keep = (k: SlotKey, blob: Uint8Array, rawBytes: number, now: number, life: number) =>
    Effect.gen(function* () {
      const result = store.set(k.id, { blob, rawBytes, expiresAt: now + life }, now)
      counts.evictions += result.evicted
      counts.expirations += result.expired
      if (result.evicted > 0) yield* Metric.update(metrics.evictions, result.evicted)
      if (!result.stored) {
        yield* Effect.logDebug("BarCache: entry larger than maxBytes, not stored").pipe(
          Effect.annotateLogs({ key: k.id, bytes: blob.byteLength })
        )
      }
      yield* Metric.update(metrics.bytes, store.bytesStored)
      return result.stored
    })

  /** The shared tier's blob for `k`, decoded; undefined when it has none or it does not decode. */
  const fromShared = ({ Bars, Codec }: BarsKit, tier: SharedTier, k: SlotKey) =>
    Effect.gen(function* () {
      const blob = yield* tier.get(k.id)
      if (blob === undefined) return undefined
      const ipc = Codec.decode(blob)
      if (Codec.isDecodeFailure(ipc)) return undefined
      let table: Bars.BarTable
      try {
        table = Bars.fromIPC(ipc)
      } catch {
        return undefined
      }
      const now = yield* Clock.currentTimeMillis
      const life = lifeOf(k, now)
      if (life > 0) yield* keep(k, blob, ipc.byteLength, now, life)
      return table
    })

  const runFlight = (flight: Flight): Effect.Effect<Bars.BarTable, unknown> =>
    Effect.gen(function* () {
      // A caller that missed just before another flight stored the value reuses it.
      const kit = yield* barsKit
      const again = probe(kit, flight.key.id, yield* Clock.currentTimeMillis)
      if (again._tag === "Hit") return again.table
      if (shared !== undefined) {
        const found = yield* fromShared(kit, shared, flight.key)
        if (found !== undefined) {
          counts.sharedHits++
          return found
        }
      }
      counts.lookups++
      const table = yield* flight.lookup
      yield* save(kit, flight.key, table)
      return table
    })

  const flights = yield* Cache.makeWith(runFlight, {
    capacity: Number.POSITIVE_INFINITY,
    timeToLive: () => Duration.zero
  })

  /** `get` without a span of its own: `annotate` says whether to mark the current span hit/miss. */
  const serve = Effect.fnUntraced(function* <E, R>(
    k: SlotKey,
    lookup: Effect.Effect<Bars.BarTable, E, R>,
    annotate: boolean
  ): Effect.fn.Return<Bars.BarTable, E, R> {
    const outcome = probe(yield* barsKit, k.id, yield* Clock.currentTimeMillis)
    if (outcome._tag === "Hit") {
      countHit(outcome.hot)
      if (annotate) yield* Effect.annotateCurrentSpan("cache.hit", true)
      yield* Metric.update(metrics.hits, 1)
      return outcome.table
    }
    if (annotate) yield* Effect.annotateCurrentSpan("cache.hit", false)
    if (outcome._tag === "Corrupt") {
      yield* Metric.update(metrics.corrupt, 1)
      yield* Effect.logWarning("BarCache: corrupt entry treated as a miss").pipe(
        Effect.annotateLogs({ key: k.id, reason: outcome.reason, detail: outcome.message })
      )
    }
    counts.misses++
    yield* Metric.update(metrics.misses, 1)
    const context = yield* Effect.context<R>()
    return yield* Cache.get(flights, new Flight(k, Effect.provideContext(lookup, context))) as Effect.Effect<
      Bars.BarTable,
      E
    >
  })

  const get = Effect.fn("BarCache.get")(function* <E, R>(
    k: Key,
    lookup: Effect.Effect<Bars.BarTable, E, R>
  ): Effect.fn.Return<Bars.BarTable, E, R> {
    return yield* serve(k, lookup, true)
  })

  const invalidate = Effect.fn("BarCache.invalidate")(function* (k: Key) {
    store.delete(k.id)
    yield* Metric.update(metrics.bytes, store.bytesStored)
  })

  const clear = Effect.sync(() => store.clear()).pipe(
    Effect.andThen(Metric.update(metrics.bytes, 0)),
    Effect.withSpan("BarCache.clear")
  )

  const stats = Effect.gen(function* () {
    counts.expirations += store.purgeExpired(yield* Clock.currentTimeMillis)
    return {
      hits: counts.hits,
      hotHits: counts.hotHits,
      sharedHits: counts.sharedHits,
      misses: counts.misses,
      hitRatio: counts.hits + counts.misses === 0 ? 0 : counts.hits / (counts.hits + counts.misses),
      lookups: counts.lookups,
      entries: store.size,
      bytesStored: store.bytesStored,
      bytesUncompressed: store.bytesUncompressed,
      compressionRatio: store.bytesStored === 0 ? 1 : store.bytesUncompressed / store.bytesStored,
      evictions: counts.evictions,
      expirations: counts.expirations,
      corruptEntries: counts.corrupt,
      maxBytes: store.maxBytes,
      maxEntries: store.maxEntries,
      hotEntries: hot.size,
      hotBytes: hot.bytes,
      maxHotBytes: hot.maxBytes
    } satisfies Stats
  })

  const service = BarCache.of({ get, invalidate, clear, stats })
  storeOf.set(service, store)
  barsAccessOf.set(service, {
    get: (k, lookup) => serve(k, lookup, false),
    hotTable: (id, now, context) => {
      const entry = store.peek(id)
      // Stale, absent or not decoded: `get` deals with it (and counts it).
      const table = entry === undefined || entry.expiresAt <= now ? undefined : hotTable(id)
      if (table !== undefined) {
        countHit(true)
        metrics.hits.updateUnsafe(1, context)
      }
      return table
    }
  })
  return service
})

function makeDisabled(): Service {
  let misses = 0
  return BarCache.of({
    get: (_key, lookup) =>
      Effect.suspend(() => {
        misses++
        return lookup
      }).pipe(Effect.withSpan("BarCache.get")),
    invalidate: () => Effect.void,
    clear: Effect.void,
    stats: Effect.sync(() => ({
      hits: 0,
      hotHits: 0,
      sharedHits: 0,
      misses,
      hitRatio: 0,
      lookups: misses,
      entries: 0,
      bytesStored: 0,
      bytesUncompressed: 0,
      compressionRatio: 1,
      evictions: 0,
      expirations: 0,
      corruptEntries: 0,
      maxBytes: 0,
      maxEntries: 0,
      hotEntries: 0,
      hotBytes: 0,
      maxHotBytes: 0
    }))
  })
}
