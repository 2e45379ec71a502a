import { assert, describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { Array as Arr, Effect, Layer, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as BarCache from "../src/market/BarCache.ts"
import * as Bars from "../src/market/Bars.ts"
import { GatewayError, ValidationError } from "../src/client/Errors.ts"
import { GatewayClient } from "../src/client/GatewayClient.ts"
import { type BarsProgress, MarketData, plan } from "../src/market/MarketData.ts"
import * as SpanRecorder from "../src/testing/SpanRecorder.ts"
import { admin, promise, requests, withSdk } from "./support/core.ts"

const MINUTE = 60_000
// A fixed simulator clock: the market is deterministic and "now" does not move under the test.
const NOW = Date.parse("2026-11-20T18:00:00Z")
const sim = { clock: { mode: "fixed" as const, start: NOW } }
const contractId = "CON.F.US.MNQ.Z26"

describe("MarketData.plan", () => {
  const defaults = { live: false, timeZone: "America/Chicago" }
  it.effect("bounds a range by consecutive windows of at most 20,000 bar spans", () =>
    Effect.gen(function* () {
      const end = new Date(NOW)
      const start = new Date(NOW - 59_999 * MINUTE)
      const range = yield* plan({ contractId, unit: "minute", start, end }, contractId, NOW, defaults)
      expect(range.chunks).toHaveLength(3)
      // newest first, contiguous, no overlap
      expect(range.chunks[0]![1]).toBe(end.getTime())
      expect(range.chunks[2]![0]).toBe(start.getTime())
      for (let i = 1; i < range.chunks.length; i++) expect(range.chunks[i]![1] + 1).toBe(range.chunks[i - 1]![0])
      const fiveMinute = yield* plan({ contractId, unit: "minute", unitNumber: 5, days: 5 }, contractId, NOW, defaults)
      expect(fiveMinute.chunks).toHaveLength(1)
    })
  )

  it.effect("refuses bad parameters with a typed error naming the field", () =>
    Effect.gen(function* () {
      const bad = [
        [{ unit: "fortnight" as never, days: 1 }, "unit"],
        [{ unit: "minute" as const, unitNumber: 0, days: 1 }, "unitNumber"],
        [{ unit: "minute" as const, unitNumber: 1.5, days: 1 }, "unitNumber"],
        [{ unit: "minute" as const, limit: 0, days: 1 }, "limit"],
        [{ unit: "minute" as const, days: -1 }, "days"],
        [{ unit: "minute" as const, start: new Date(NOW), end: new Date(NOW - MINUTE) }, "end"],
        [{ unit: "minute" as const }, "start"],
        [{ unit: "minute" as const, days: 1, timeZone: "Mars/Olympus" }, "timeZone"]
      ] as const
      for (const [request, field] of bad) {
        const error = yield* Effect.flip(plan({ contractId, ...request }, contractId, NOW, defaults))
        assert(error instanceof ValidationError)
        expect(error.field).toBe(field)
        expect(error.message).toContain(`MarketData.bars: invalid ${field}`)
      }
    })
  )
})

describe("MarketData.plan: bounded work", () => {
  const defaults = { live: false, timeZone: "America/Chicago" }
  it.effect("a 10-year one-second range is refused before any request, naming 15,769 requests and ≈ 2.6 h", () =>
    Effect.gen(function* () {
      const request = { contractId, unit: "second" as const, days: 3652.5 }
      const error = yield* Effect.flip(plan(request, contractId, NOW, defaults))
      assert(error instanceof ValidationError)
      expect(error.field).toBe("maxRequests")
      expect(error.message).toContain("needs 15779")
      expect(error.message).toContain("≈ 2.6 h at 50 requests per 30 s")
      expect(error.message).toContain("maxRequests: 15779")
      // The explicit option allows it.
      const allowed = yield* plan({ ...request, maxRequests: 15_779 }, contractId, NOW, defaults)
      expect(allowed.chunks).toHaveLength(15_779)
    })
  )

  it.effect("days: 1e9 and other absurd ranges fail fast with a typed error, allocating nothing", () =>
    Effect.gen(function* () {
      const absurd = [
        [{ unit: "second" as const, days: 1e9 }, "days"],
        [{ unit: "second" as const, days: 1e6 }, "maxRequests"],
        [{ unit: "minute" as const, days: 1, limit: 1e9 }, "limit"],
        [{ unit: "month" as const, unitNumber: 100_000, days: 1 }, "unitNumber"],
        [{ unit: "minute" as const, days: 1, maxRequests: Number.POSITIVE_INFINITY }, "maxRequests"]
      ] as const
      for (const [request, field] of absurd) {
        const error = yield* Effect.flip(plan({ contractId, ...request }, contractId, NOW, defaults))
        assert(error instanceof ValidationError)
        expect(error.field).toBe(field)
      }
    })
  )
})

describe("MarketData.bars against the simulator", () => {
  it.live("a 60,000-bar 1-minute range takes three requests and matches the simulator's own series", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const progress: Array<BarsProgress> = []
      const end = new Date(NOW - 60 * MINUTE)
      const start = new Date(end.getTime() - 59_999 * MINUTE)
      const table = yield* market.bars({
        contractId,
        unit: "minute",
        start,
        end,
        onProgress: (p) => progress.push(p)
      })
      expect(yield* requests("retrieveBars")).toBe(3)
      expect(progress.map((p) => `${p.requestsDone}/${p.requestsTotal}`)).toEqual(["1/3", "2/3", "3/3"])
      expect(table.numRows).toBe(60_000)
      const { time, close } = Bars.toColumns(table)
      expect(time[0]).toBe(start.getTime())
      expect(time[time.length - 1]).toBe(end.getTime())
      for (let i = 1; i < time.length; i++) {
        if (time[i]! - time[i - 1]! !== MINUTE) assert.fail(`gap or duplicate at row ${i}`)
      }
      // the same bars, straight from the Gateway endpoint, around both window boundaries
      for (const at of [end.getTime() - 20_000 * MINUTE, end.getTime() - 40_000 * MINUTE]) {
        const direct = yield* GatewayClient.use((c) =>
          c.call(Endpoints.retrieveBars, {
            contractId,
            live: false,
            startTime: new Date(at - 2 * MINUTE),
            endTime: new Date(at + 2 * MINUTE),
            unit: 2,
            unitNumber: 1,
            limit: 10,
            includePartialBar: false
          })
        )
        expect(direct.bars).toHaveLength(5)
        for (const bar of direct.bars) {
          const row = (bar.t.getTime() - start.getTime()) / MINUTE
          expect(time[row]).toBe(bar.t.getTime())
          expect(close[row]).toBe(bar.c)
        }
      }
    }).pipe(Effect.provide(withSdk({}, sim)))
  )

  it.live(
    "a cache hit makes no request; 20 concurrent identical misses make one",
    () =>
      Effect.gen(function* () {
        const market = yield* MarketData
        const request = { symbol: "MNQ", unit: "minute" as const, unitNumber: 5, days: 5 }
        const tables = yield* Effect.forEach(Arr.range(1, 20), () => market.bars(request), { concurrency: "unbounded" })
        expect(yield* requests("retrieveBars")).toBe(1)
        expect(new Set(tables.map((t) => t.numRows)).size).toBe(1)
        expect(tables[0]!.numRows).toBeGreaterThan(1000)
        const again = yield* market.bars(request)
        expect(yield* requests("retrieveBars")).toBe(1)
        expect(again.numRows).toBe(tables[0]!.numRows)
        const stats = yield* BarCache.BarCache.use((c) => c.stats)
        expect(stats.hits).toBeGreaterThanOrEqual(1)
        expect(stats.lookups).toBe(1)
        // the table carries the requested zone and is ascending
        expect(Bars.timeZone(again)).toBe("America/Chicago")
        const { time } = Bars.toColumns(again)
        expect(time[1]! - time[0]!).toBe(5 * MINUTE)
      }).pipe(Effect.provide(withSdk())) // a live simulator clock: "5 days back from now" means the same to both
  )

  it.live("the hit right after a miss is the miss's own table, a hot hit, under one MarketData.bars span", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const cache = yield* BarCache.BarCache
      const request = { contractId, unit: "minute" as const, start: new Date(NOW - 3000 * MINUTE), end: new Date(NOW) }
      const miss = yield* market.bars(request)
      const hit = yield* market.bars(request)
      expect(hit).toBe(miss)
      expect(yield* requests("retrieveBars")).toBe(1)
      const stats = yield* cache.stats
      expect(stats).toMatchObject({ hits: 1, hotHits: 1, misses: 1, lookups: 1, entries: 1, hotEntries: 1 })
      // The blob is stored as well: it outlives the hot copy and is what another process would read.
      expect(stats.bytesStored).toBeGreaterThan(0)
      const spans = yield* SpanRecorder.SpanRecorder.use((r) => r.spans)
      const calls = spans.filter((s) => s.name === "MarketData.bars")
      expect(calls.map((s) => s.attributes["projectx.cache.hit"])).toEqual([false, true])
      // The method's span says hit or miss; the cache adds no span of its own under it.
      expect(spans.some((s) => s.name === "BarCache.get")).toBe(false)
      expect(spans.filter((s) => s.parentSpanId === calls[1]!.spanId)).toEqual([])
      expect(spans.some((s) => s.name === "ProjectX RetrieveBars" && s.parentSpanId === calls[0]!.spanId)).toBe(true)
      // Called directly, the cache's get keeps its own span.
      const other = BarCache.key({
        contractId: "other",
        unit: 2,
        unitNumber: 1,
        start: 0,
        end: 60_000,
        limit: 0,
        includePartialBar: false,
        live: false
      })
      yield* cache.get(other, Effect.succeed(miss))
      yield* cache.get(other, Effect.die("a hit runs no lookup"))
      const gets = (yield* SpanRecorder.SpanRecorder.use((r) => r.spans)).filter((s) => s.name === "BarCache.get")
      expect(gets.map((s) => s.attributes["cache.hit"])).toEqual([false, true])
    }).pipe(Effect.provide(Layer.mergeAll(withSdk({}, sim), SpanRecorder.layerMemory())))
  )

  it.effect(
    "a hot hit says what it served, reports progress from the cache, counts once, and never outlives its entry",
    () =>
      Effect.gen(function* () {
        // TestClock stays at its epoch (a jump of years would run the simulator's periodic fibers that often):
        // a range ending after it counts as recent, and is kept 30 seconds.
        const market = yield* MarketData
        const cache = yield* BarCache.BarCache
        const progress: Array<BarsProgress> = []
        const request = {
          contractId,
          unit: "minute" as const,
          unitNumber: 5,
          start: new Date(NOW - 600 * 5 * MINUTE),
          end: new Date(NOW),
          onProgress: (p: BarsProgress) => progress.push(p)
        }
        const miss = yield* market.bars(request)
        progress.length = 0
        const hit = yield* market.bars(request)
        expect(hit).toBe(miss)
        expect(progress).toEqual([{ requestsDone: 0, requestsTotal: 0, bars: miss.numRows, fromCache: true }])
        expect(yield* cache.stats).toMatchObject({ hits: 1, hotHits: 1, misses: 1 })
        expect((yield* Metric.value(BarCache.metrics.hits)).count).toBe(1)
        const spans = (yield* SpanRecorder.SpanRecorder.use((r) => r.spans)).filter((s) => s.name === "MarketData.bars")
        expect(spans[1]!.attributes).toMatchObject({
          "projectx.contract_id": contractId,
          "projectx.bars.unit": 2,
          "projectx.bars.unit_number": 5,
          "projectx.bars.max_requests": 1,
          "projectx.cache.hit": true,
          "projectx.bars.rows": miss.numRows,
          "projectx.bars.requests": 0
        })
        // Past its 30 seconds the entry is stale: fetched again, not served from the hot tier.
        yield* TestClock.adjust("31 seconds")
        const again = yield* market.bars(request)
        expect(again).not.toBe(miss)
        expect(again.numRows).toBe(miss.numRows)
        expect(yield* requests("retrieveBars")).toBe(2)
        expect(yield* cache.stats).toMatchObject({ hits: 1, hotHits: 1, misses: 2, expirations: 1 })
      }).pipe(
        Effect.provide(Layer.mergeAll(withSdk({}, sim), SpanRecorder.layerMemory())),
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
  )

  it.live("a range over weekends takes one request per 20,000 bars held, not per 20,000 calendar minutes", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const progress: Array<BarsProgress> = []
      // Friday 17:00 UTC back over two closed weekends: 25,760 calendar minutes, of which CME Globex hours
      // (weekends, daily halts) leave fewer than 20,000 bars — one request holds them all.
      const end = new Date(NOW - 60 * MINUTE)
      const start = new Date(end.getTime() - (19_999 + 2 * 2_880) * MINUTE)
      const planned = yield* market.plan({ contractId, unit: "minute", start, end })
      expect(planned.chunks).toHaveLength(2) // the calendar bound
      const table = yield* market.bars({ contractId, unit: "minute", start, end, onProgress: (p) => progress.push(p) })
      expect(yield* requests("retrieveBars")).toBe(1)
      expect(progress.map((p) => `${p.requestsDone}/${p.requestsTotal}`)).toEqual(["1/1"])
      expect(table.numRows).toBeGreaterThan(15_000)
      expect(table.numRows).toBeLessThanOrEqual(20_000)
      const { time } = Bars.toColumns(table)
      expect(time[0]).toBeGreaterThanOrEqual(start.getTime())
      expect(time[time.length - 1]).toBeLessThanOrEqual(end.getTime())
      for (let i = 1; i < time.length; i++) {
        if (!(time[i]! > time[i - 1]!)) assert.fail(`duplicate or disorder at row ${i}`)
      }
    }).pipe(Effect.provide(withSdk({}, { ...sim, tradingHours: "cme" })))
  )

  it.live("limit keeps the most recent bars and stops requesting older windows", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const end = new Date(NOW - 60 * MINUTE)
      const table = yield* market.bars({
        contractId,
        unit: "minute",
        start: new Date(end.getTime() - 59_999 * MINUTE),
        end,
        limit: 25_000
      })
      expect(table.numRows).toBe(25_000)
      expect(yield* requests("retrieveBars")).toBe(2)
      expect(Bars.toColumns(table).time[24_999]).toBe(end.getTime())
    }).pipe(Effect.provide(withSdk({}, sim)))
  )

  it.live("a 20,000-bar reply decodes from its bytes; a cut reply or an error envelope fails with a typed error", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const sim = yield* admin
      const end = new Date(NOW - 60 * MINUTE)
      const request = { contractId, unit: "minute" as const, start: new Date(end.getTime() - 19_999 * MINUTE), end }
      // Cut in the middle: the scanner declines, and JSON.parse names what is wrong.
      yield* promise(() => sim.setFaults([{ endpoint: "retrieveBars", kind: "malformed", times: 1 }]))
      const cut = yield* Effect.flip(market.bars(request))
      assert(cut instanceof GatewayError)
      expect(cut.reason).toMatchObject({ _tag: "Decode", path: "" })
      expect(cut.message).toContain("the body is not JSON")
      // success false: the endpoint's error code, by name.
      const code = Endpoints.retrieveBars.errors.ContractNotFound
      yield* promise(() => sim.setFaults([{ endpoint: "retrieveBars", kind: "errorCode", errorCode: code, times: 1 }]))
      const rejected = yield* Effect.flip(market.bars(request))
      assert(rejected instanceof GatewayError)
      expect(rejected.reason).toMatchObject({ _tag: "Rejected", code, name: "ContractNotFound" })
      // Neither failure was cached: the next call reads the whole reply, straight from its bytes.
      const table = yield* market.bars(request)
      expect(table.numRows).toBe(20_000)
      const { time, close } = Bars.toColumns(table)
      expect(time[0]).toBe(request.start.getTime())
      expect(time[19_999]).toBe(end.getTime())
      expect(close.every((x) => Number.isFinite(x) && x > 0)).toBe(true)
      expect(yield* requests("retrieveBars")).toBe(3)
    }).pipe(Effect.provide(withSdk({ retry: { times: 0 } }, sim)))
  )

  it.live("bad parameters and unknown symbols fail before any bars request", () =>
    Effect.gen(function* () {
      const market = yield* MarketData
      const error = yield* Effect.flip(market.bars({ symbol: "MNQ", unit: "minute", limit: -5, days: 1 }))
      expect(error._tag).toBe("ValidationError")
      const stats = yield* Effect.flatMap(admin, (a) => promise(() => a.stats()))
      expect(stats.totalRequests).toBe(0)
      const unknown = yield* Effect.flip(market.bars({ symbol: "NOPE", unit: "minute", days: 1 }))
      expect(unknown._tag).toBe("ContractNotFound")
      expect(yield* requests("retrieveBars")).toBe(0)
    }).pipe(Effect.provide(withSdk({}, sim)))
  )
})
