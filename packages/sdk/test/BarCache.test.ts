import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Logger, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as lz4 from "lz4-napi"
import { vi } from "vitest"
import * as fc from "fast-check"
import * as BarCache from "../src/market/BarCache.ts"
import { allocBarColumns } from "@projectx-effect/gateway"
import * as Bars from "../src/market/Bars.ts"
import { storeOf } from "../src/market/internal/barCacheStore.ts"
import * as Codec from "../src/market/internal/codecBlob.ts"

// Every lz4 block decode goes through this spy, so a test can tell a hot-tier hit (no decode) from a
// decoded one. It calls the real function.
vi.mock("lz4-napi", async (importOriginal) => {
  const original = await importOriginal<typeof import("lz4-napi")>()
  return { ...original, uncompressSync: vi.fn(original.uncompressSync) }
})
const uncompressCalls = () => vi.mocked(lz4.uncompressSync).mock.calls.length

const MINUTE = 60_000
const NOW = Date.UTC(2026, 0, 5, 15, 0)
const T0 = Date.UTC(2025, 6, 1)

/** Ascending bars on a 0.25 tick grid. */
const table = (n: number, seed = 0): Bars.BarTable => {
  const { time, open, high, low, close, volume } = allocBarColumns(n)
  for (let i = 0; i < n; i++) {
    time[i] = T0 + i * MINUTE
    open[i] = 5000 + ((i * 7 + seed) % 31) * 0.25
    high[i] = open[i]! + 1
    low[i] = open[i]! - 1
    close[i] = open[i]! + 0.25
    volume[i] = (i * 13 + seed) % 500
  }
  return Bars.toTable({ time, open, high, low, close, volume })
}

const keyFor = (contractId: string, end = T0 + 10 * 86_400_000) =>
  BarCache.key({
    contractId,
    unit: 2,
    unitNumber: 1,
    start: T0,
    end,
    limit: 20_000,
    includePartialBar: false,
    live: false
  })

/** A lookup that counts its runs. */
const counting = (value: Bars.BarTable) => {
  const runs = { count: 0 }
  const lookup = Effect.sync(() => {
    runs.count++
    return value
  })
  return { runs, lookup }
}

const closes = (t: Bars.BarTable) => Array.from(Bars.toColumns(t).close)

/** The exact blob size the cache stores for a table. */
const blobBytes = (t: Bars.BarTable, threshold = 1024) => Codec.encode(Bars.toIPC(t), threshold).blob.byteLength

const start = TestClock.setTime(NOW)

describe("BarCache.key", () => {
  it("has a stable string form covering every field", () => {
    const base = {
      contractId: "CON.F.US.MGC.Z25",
      unit: 2,
      unitNumber: 5,
      start: new Date("2025-01-01T15:30:00Z"),
      end: Date.parse("2025-01-05T22:00:00Z"),
      limit: 20_000,
      includePartialBar: true,
      live: false
    }
    const k = BarCache.key(base)
    expect(k.id).toBe(
      "bars/1|CON.F.US.MGC.Z25|2x5|2025-01-01T15:30:00.000Z|2025-01-05T22:00:00.000Z|20000|partial=1|live=0|America%2FChicago"
    )
    expect(BarCache.key({ ...base, start: base.start.getTime(), end: new Date(base.end) }).id).toBe(k.id)
    const variants = [
      { contractId: "CON.F.US.GC.Z25" },
      { unit: 3 },
      { unitNumber: 1 },
      { start: 0 },
      { end: 0 },
      { limit: 10 },
      { includePartialBar: false },
      { live: true },
      { timeZone: "UTC" }
    ]
    const ids = new Set([k.id, ...variants.map((v) => BarCache.key({ ...base, ...v }).id)])
    expect(ids.size).toBe(variants.length + 1)
  })

  it("names each range's fields exactly, whatever ranges were keyed before it", () => {
    // The last key is returned again for equal fields; it must never stand in for a key that differs in one.
    // Each step changes one field of the previous input (sometimes to the same value).
    const domains = {
      contractId: ["CON.F.US.MNQ.Z26", "CON.F.US.MES.Z26"],
      unit: [1, 2],
      unitNumber: [1, 5],
      start: [0, 1_735_745_400_000, -8.64e15],
      end: [1_736_114_400_000, 1_736_114_460_000],
      limit: [0, 20_000],
      includePartialBar: [false, true],
      live: [false, true],
      timeZone: [undefined, "UTC", "America/New_York"]
    } as const
    type Field = keyof typeof domains
    const fields = Object.keys(domains) as Array<Field>
    const step = fc
      .constantFrom(...fields)
      .chain((field) => fc.tuple(fc.constant(field), fc.constantFrom(...domains[field]), fc.boolean()))
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        let input: Record<Field, unknown> = Object.fromEntries(fields.map((f) => [f, domains[f][0]])) as never
        for (const [field, value, asDate] of steps) {
          input = { ...input, [field]: value }
          const i = input as unknown as BarCache.KeyInput & { readonly start: number; readonly end: number }
          const k = BarCache.key(asDate ? { ...i, start: new Date(i.start) } : i)
          const zone = i.timeZone ?? "America/Chicago"
          expect(k.id).toBe(
            [
              "bars/1",
              encodeURIComponent(i.contractId),
              `${i.unit}x${i.unitNumber}`,
              new Date(i.start).toISOString(),
              new Date(i.end).toISOString(),
              String(i.limit),
              `partial=${i.includePartialBar ? 1 : 0}`,
              `live=${i.live ? 1 : 0}`,
              encodeURIComponent(zone)
            ].join("|")
          )
          expect(k).toEqual({ ...i, timeZone: zone, id: k.id })
        }
      })
    )
  })
})

describe("BarCache", () => {
  it.effect("a hit runs no lookup and returns the same bars", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const value = table(300)
      const { runs, lookup } = counting(value)
      const k = keyFor("A")
      const first = yield* cache.get(k, lookup)
      const second = yield* cache.get(k, lookup)
      expect(runs.count).toBe(1)
      expect(closes(second)).toEqual(closes(value))
      expect(Bars.timeZone(second)).toBe("America/Chicago")
      expect(first).toBe(value)
    })
  )

  it.effect("20 concurrent identical misses run the lookup once", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const gate = yield* Deferred.make<void>()
      const value = table(50)
      let runs = 0
      const lookup = Effect.sync(() => runs++).pipe(Effect.andThen(Deferred.await(gate)), Effect.as(value))
      const k = keyFor("A")
      const fiber = yield* Effect.all(
        Array.from({ length: 20 }, () => cache.get(k, lookup)),
        {
          concurrency: "unbounded"
        }
      ).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Fiber.join(fiber)
      expect(runs).toBe(1)
      expect(results.every((t) => t === value)).toBe(true)
      const stats = yield* cache.stats
      expect(stats).toMatchObject({ hits: 0, misses: 20, lookups: 1, entries: 1 })
    })
  )

  it.effect("empty results are cached", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const { runs, lookup } = counting(Bars.empty({ timeZone: "UTC" }))
      const k = keyFor("EMPTY")
      yield* cache.get(k, lookup)
      const again = yield* cache.get(k, lookup)
      expect(runs.count).toBe(1)
      expect(again.numRows).toBe(0)
      expect(Bars.timeZone(again)).toBe("UTC")
    })
  )

  it.effect("failed lookups are not cached", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      let runs = 0
      const k = keyFor("A")
      const failing = Effect.suspend(() => {
        runs++
        return Effect.fail("boom" as const)
      })
      const error = yield* Effect.flip(cache.get(k, failing))
      expect(error).toBe("boom")
      const { lookup } = counting(table(5))
      yield* cache.get(k, lookup)
      expect(runs).toBe(1)
      expect((yield* cache.stats).entries).toBe(1)
    })
  )

  it.effect("entries expire after the TTL (TestClock)", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make({ timeToLive: "5 minutes" })
      const { runs, lookup } = counting(table(10))
      const k = keyFor("A")
      yield* cache.get(k, lookup)
      yield* TestClock.adjust("4 minutes")
      yield* cache.get(k, lookup)
      expect(runs.count).toBe(1)
      yield* TestClock.adjust("61 seconds")
      yield* cache.get(k, lookup)
      expect(runs.count).toBe(2)
      expect((yield* cache.stats).expirations).toBe(1)
    })
  )

  it.effect("ranges ending near now get the shorter TTL", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make({ timeToLive: "1 hour", recentTimeToLive: "30 seconds" })
      const { runs, lookup } = counting(table(10))
      const recent = keyFor("A", NOW - MINUTE)
      const old = keyFor("A", NOW - 86_400_000)
      yield* cache.get(recent, lookup)
      yield* cache.get(old, lookup)
      yield* TestClock.adjust("31 seconds")
      yield* cache.get(recent, lookup)
      yield* cache.get(old, lookup)
      expect(runs.count).toBe(3)
    })
  )

  it.effect("evicts by bytes, least recently used first", () =>
    Effect.gen(function* () {
      yield* start
      const value = table(200)
      const size = blobBytes(value)
      const cache = yield* BarCache.BarCache.make({ maxBytes: Math.floor(size * 3.5) })
      const lookups = new Map<string, number>()
      const get = (id: string) =>
        cache.get(
          keyFor(id),
          Effect.sync(() => {
            lookups.set(id, (lookups.get(id) ?? 0) + 1)
            return value
          })
        )
      yield* get("A")
      yield* get("B")
      yield* get("C")
      yield* get("A") // A is now the most recently used; B the least
      yield* get("D") // 4 × size > 3.5 × size: one must go
      const stats = yield* cache.stats
      expect(stats).toMatchObject({ entries: 3, evictions: 1, bytesStored: 3 * size })
      yield* get("A")
      yield* get("C")
      yield* get("D")
      expect([...lookups.values()]).toEqual([1, 1, 1, 1])
      yield* get("B")
      expect(lookups.get("B")).toBe(2)
    })
  )

  it.effect("also bounds the entry count", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make({ maxEntries: 2 })
      const { lookup } = counting(table(3))
      for (const id of ["A", "B", "C"]) yield* cache.get(keyFor(id), lookup)
      expect(yield* cache.stats).toMatchObject({ entries: 2, evictions: 1 })
    })
  )

  it.effect("a corrupt entry is a miss with exactly one warning, and is replaced", () =>
    Effect.gen(function* () {
      yield* start
      const warnings: Array<unknown> = []
      const logger = Logger.make((o) => {
        if (o.logLevel === "Warn") warnings.push(o.message)
      })
      // No hot tier: a hot table would be handed back without reading the (corrupted) blob.
      const cache = yield* BarCache.BarCache.make({ hotBytes: 0 })
      const { runs, lookup } = counting(table(400))
      const k = keyFor("A")
      yield* cache.get(k, lookup)
      const store = storeOf.get(cache)!
      // A flipped payload byte (caught by the CRC), then an unknown encoding tag.
      for (const corrupt of [(b: Uint8Array) => (b[40]! ^= 0xff), (b: Uint8Array) => (b[4] = 9)]) {
        corrupt(store.peek(k.id)!.blob)
        const got = yield* cache.get(k, lookup).pipe(Effect.provide(Logger.layer([logger])))
        expect(closes(got)).toEqual(closes(table(400)))
      }
      expect(warnings).toHaveLength(2)
      expect(runs.count).toBe(3)
      yield* cache.get(k, lookup) // the fresh value replaced the corrupt one
      expect(runs.count).toBe(3)
      expect(yield* cache.stats).toMatchObject({ corruptEntries: 2, hits: 1, misses: 3, entries: 1 })
    })
  )

  it.effect("stats are right", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const small = table(1)
      const large = table(5000, 3)
      yield* cache.get(keyFor("S"), Effect.succeed(small))
      yield* cache.get(keyFor("L"), Effect.succeed(large))
      for (let i = 0; i < 3; i++) yield* cache.get(keyFor("L"), Effect.succeed(large))
      const stored = blobBytes(small) + blobBytes(large)
      const raw = Bars.toIPC(small).byteLength + Bars.toIPC(large).byteLength
      expect(Codec.encode(Bars.toIPC(small), 1024).encoding).toBe(Codec.Encoding.Raw) // under 1 KiB
      expect(blobBytes(small)).toBe(Bars.toIPC(small).byteLength + Codec.HEADER_BYTES)
      expect(yield* cache.stats).toEqual({
        hits: 3,
        hotHits: 3,
        sharedHits: 0,
        misses: 2,
        hitRatio: 0.6,
        lookups: 2,
        entries: 2,
        bytesStored: stored,
        bytesUncompressed: raw,
        compressionRatio: raw / stored,
        evictions: 0,
        expirations: 0,
        corruptEntries: 0,
        maxBytes: 64 * 1024 * 1024,
        maxEntries: 1024,
        hotEntries: 2,
        hotBytes: Bars.toIPC(small).byteLength + Bars.toIPC(large).byteLength,
        maxHotBytes: 16 * 1024 * 1024
      })
      expect(raw / stored).toBeGreaterThan(1.5)
      yield* cache.invalidate(keyFor("L"))
      expect(yield* cache.stats).toMatchObject({
        entries: 1,
        bytesStored: blobBytes(small),
        hotEntries: 1,
        hotBytes: Bars.toIPC(small).byteLength
      })
      yield* cache.clear
      expect(yield* cache.stats).toMatchObject({ entries: 0, bytesStored: 0, bytesUncompressed: 0, hits: 3 })
    })
  )

  it.effect("exports hit and miss counters as metrics", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const { lookup } = counting(table(5))
      yield* cache.get(keyFor("A"), lookup)
      yield* cache.get(keyFor("A"), lookup)
      yield* cache.get(keyFor("A"), lookup)
      expect((yield* Metric.value(BarCache.metrics.hits)).count).toBe(2)
      expect((yield* Metric.value(BarCache.metrics.misses)).count).toBe(1)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect("hot tier: a hit, from the first one after the miss, hands back the table without decompressing", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache.make()
      const value = table(2000)
      const { runs, lookup } = counting(value)
      const k = keyFor("A")
      const before = uncompressCalls()
      yield* cache.get(k, lookup) // miss: the blob is stored and the miss's decoded table kept hot
      const first = yield* cache.get(k, lookup)
      const second = yield* cache.get(k, lookup)
      const third = yield* cache.get(k, lookup)
      expect(uncompressCalls()).toBe(before)
      expect(first).toBe(value)
      expect(second).toBe(first)
      expect(third).toBe(first)
      expect(closes(third)).toEqual(closes(value))
      expect(runs.count).toBe(1)
      expect(yield* cache.stats).toMatchObject({
        hits: 3,
        hotHits: 3,
        misses: 1,
        hotEntries: 1,
        hotBytes: Bars.toIPC(value).byteLength
      })
    })
  )

  it.effect("hot tier: bounded by its byte budget, least recently used out first; 0 turns it off", () =>
    Effect.gen(function* () {
      yield* start
      const value = table(1000)
      const decoded = Bars.toIPC(value).byteLength
      const cache = yield* BarCache.BarCache.make({ hotBytes: Math.floor(decoded * 2.5) })
      const get = (id: string) => cache.get(keyFor(id), Effect.succeed(value))
      for (const id of ["A", "B", "C"]) yield* get(id) // misses
      for (const id of ["A", "B", "A", "C"]) yield* get(id) // A, B decoded; A hot; C decoded, B out
      expect(yield* cache.stats).toMatchObject({ hotEntries: 2, hotBytes: 2 * decoded, hotHits: 1, entries: 3 })
      const before = uncompressCalls()
      yield* get("A")
      yield* get("C")
      expect(uncompressCalls()).toBe(before)
      yield* get("B") // decoded again
      expect(uncompressCalls()).toBe(before + 1)
      expect(yield* cache.stats).toMatchObject({ hotEntries: 2, hotBytes: 2 * decoded, hotHits: 3, hits: 7 })

      // A table larger than the whole budget is not kept decoded.
      const small = yield* BarCache.BarCache.make({ hotBytes: decoded - 1 })
      yield* small.get(keyFor("A"), Effect.succeed(value))
      for (let i = 0; i < 3; i++) yield* small.get(keyFor("A"), Effect.succeed(value))
      expect(yield* small.stats).toMatchObject({ hits: 3, hotHits: 0, hotEntries: 0, hotBytes: 0 })

      const off = yield* BarCache.BarCache.make({ hotBytes: 0 })
      yield* off.get(keyFor("A"), Effect.succeed(value))
      for (let i = 0; i < 3; i++) yield* off.get(keyFor("A"), Effect.succeed(value))
      expect(yield* off.stats).toMatchObject({ hits: 3, hotHits: 0, hotEntries: 0, maxHotBytes: 0 })
    })
  )

  it.effect("hot tier: the hot copy goes with its entry (TTL, invalidate, clear, eviction)", () =>
    Effect.gen(function* () {
      yield* start
      const value = table(300)
      const size = blobBytes(value)
      const cache = yield* BarCache.BarCache.make({ timeToLive: "5 minutes", maxBytes: Math.floor(size * 2.5) })
      const lookups = new Map<string, number>()
      const get = (id: string) =>
        cache.get(
          keyFor(id),
          Effect.sync(() => {
            lookups.set(id, (lookups.get(id) ?? 0) + 1)
            return value
          })
        )
      const heat = (id: string) => Effect.andThen(get(id), get(id)) // stored, then decoded into the hot tier
      const hotEntries = Effect.map(cache.stats, (s) => s.hotEntries)

      // TTL: an expired entry is a miss even though its table is hot; the stale copy goes, the fresh one stays.
      yield* heat("A")
      expect(yield* hotEntries).toBe(1)
      yield* TestClock.adjust("5 minutes")
      const first = yield* cache.stats
      expect(first).toMatchObject({ hotEntries: 0, hotBytes: 0, expirations: 1 })
      yield* get("A")
      expect(lookups.get("A")).toBe(2)
      expect(yield* cache.stats).toMatchObject({ hotEntries: 1, expirations: 1 })

      // invalidate
      yield* get("A")
      expect(yield* hotEntries).toBe(1)
      yield* cache.invalidate(keyFor("A"))
      expect(yield* hotEntries).toBe(0)
      yield* get("A")
      expect(lookups.get("A")).toBe(3)

      // clear
      yield* get("A")
      expect(yield* hotEntries).toBe(1)
      yield* cache.clear
      expect(yield* cache.stats).toMatchObject({ hotEntries: 0, hotBytes: 0, entries: 0 })

      // eviction of the stored blob (room for two blobs)
      yield* heat("A")
      yield* heat("B")
      yield* get("C") // evicts A, the least recently used (its hot copy with it)
      expect(yield* cache.stats).toMatchObject({ entries: 2, hotEntries: 2, evictions: 1 })
      yield* get("A")
      expect(lookups.get("A")).toBe(5)

      // the stats purge of expired entries drops their hot copies too
      yield* get("C")
      expect(yield* hotEntries).toBeGreaterThan(0)
      yield* TestClock.adjust("6 minutes")
      expect(yield* cache.stats).toMatchObject({ entries: 0, hotEntries: 0, hotBytes: 0 })
    })
  )

  it.effect("layerDisabled always runs the lookup", () =>
    Effect.gen(function* () {
      const cache = yield* BarCache.BarCache
      const { runs, lookup } = counting(table(5))
      yield* cache.get(keyFor("A"), lookup)
      yield* cache.get(keyFor("A"), lookup)
      expect(runs.count).toBe(2)
      expect(yield* cache.stats).toMatchObject({ hits: 0, misses: 2, entries: 0 })
    }).pipe(Effect.provide(BarCache.BarCache.layerDisabled))
  )

  it.effect("layer provides the service", () =>
    Effect.gen(function* () {
      yield* start
      const cache = yield* BarCache.BarCache
      const { runs, lookup } = counting(table(5))
      yield* cache.get(keyFor("A"), lookup)
      yield* cache.get(keyFor("A"), lookup)
      expect(runs.count).toBe(1)
    }).pipe(Effect.provide(BarCache.BarCache.layer({ maxEntries: 8 })))
  )
})

describe("cache blob codec", () => {
  const ipc = Bars.toIPC(table(1000))

  it("compresses above the threshold and stores small payloads raw", () => {
    expect(Codec.encode(ipc, 1024).encoding).toBe(Codec.Encoding.Lz4Block)
    expect(Codec.encode(ipc, ipc.byteLength).encoding).toBe(Codec.Encoding.Raw)
  })

  it("detects truncated, foreign, unknown and corrupted blobs", () => {
    const good = Codec.encode(ipc, 0).blob
    const reason = (blob: Uint8Array) => {
      const r = Codec.decode(blob)
      return Codec.isDecodeFailure(r) ? r.reason : "ok"
    }
    const edit = (f: (b: Uint8Array) => void) => {
      const b = good.slice()
      f(b)
      return b
    }
    expect(reason(good)).toBe("ok")
    expect(reason(good.subarray(0, 10))).toBe("Truncated")
    expect(reason(good.subarray(0, good.length - 1))).toBe("ChecksumMismatch")
    expect(reason(new TextEncoder().encode("LZ4corrupted_data_here"))).toBe("BadMagic")
    expect(reason(edit((b) => (b[3] = 2)))).toBe("UnknownVersion")
    expect(reason(edit((b) => (b[4] = 7)))).toBe("UnknownEncoding")
    expect(reason(edit((b) => (b[100]! ^= 1)))).toBe("ChecksumMismatch")
    expect(reason(edit((b) => (b[8]! ^= 1)))).toBe("Corrupt") // raw length no longer matches
  })
})
