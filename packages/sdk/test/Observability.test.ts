import { assert, describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Endpoints } from "@projectx-effect/gateway"
import { Effect, Layer } from "effect"
import * as BarCache from "../src/market/BarCache.ts"
import { GatewayClient } from "../src/client/GatewayClient.ts"
import { Health } from "../src/observability/Health.ts"
import { MarketData } from "../src/market/MarketData.ts"
import * as Telemetry from "../src/observability/Telemetry.ts"
import { startOtlpReceiver } from "../src/testing/OtlpReceiver.ts"
import { admin, promise, withSdk } from "./support/core.ts"

const barsRequest = { symbol: "MNQ", unit: "minute" as const, unitNumber: 5, days: 1 }

describe("traces and metrics", () => {
  it.live(
    "one bars call reaches a local OTLP/HTTP receiver as method → Gateway call → HTTP attempt, with metrics",
    () =>
      Effect.gen(function* () {
        const receiver = yield* Effect.acquireRelease(
          promise(() => startOtlpReceiver()),
          (r) => promise(() => r.close())
        )
        yield* MarketData.use((m) => m.bars(barsRequest)).pipe(
          Effect.withSpan("app.root"),
          Effect.provide(
            Layer.mergeAll(withSdk(), Telemetry.layerOtlp({ url: receiver.url, exportInterval: "100 millis" }))
          )
        )
        const spans = receiver.spans()
        const byId = new Map(spans.map((s) => [s.spanId, s]))
        const method = spans.find((s) => s.name === "MarketData.bars")
        assert(method !== undefined, `spans: ${spans.map((s) => s.name).join(", ")}`)
        expect(byId.get(method.parentSpanId ?? "")?.name).toBe("app.root")
        const call = spans.find((s) => s.name === "ProjectX RetrieveBars")
        assert(call !== undefined)
        const ancestors = (span: (typeof spans)[number]) => {
          const names: Array<string> = []
          for (let p = byId.get(span.parentSpanId ?? ""); p !== undefined; p = byId.get(p.parentSpanId ?? "")) {
            names.push(p.name)
          }
          return names
        }
        expect(ancestors(call)).toContain("MarketData.bars")
        expect(call.attributes["projectx.endpoint"]).toBe("RetrieveBars")
        expect(call.attributes["projectx.attempts"]).toBe(1)
        const attempt = spans.find((s) => s.parentSpanId === call.spanId && s.kind === "client")
        assert(attempt !== undefined)
        expect(attempt.attributes["http.request.method"]).toBe("POST")
        expect(attempt.attributes["http.response.status_code"]).toBe(200)
        expect(String(attempt.attributes["url.full"])).toMatch(/\/api\/History\/retrieveBars$/)
        // the symbol was resolved, and the login happened, under the same root
        expect(spans.some((s) => s.name === "ProjectX LoginKey" && s.traceId === method.traceId)).toBe(true)
        // no token anywhere
        expect(JSON.stringify(spans)).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./)
        const names = new Set(receiver.metrics().map((m) => m.name))
        for (const name of [
          "projectx_requests_total",
          "projectx_request_duration_seconds",
          "projectx_cache_misses_total"
        ]) {
          expect(names, name).toContain(name)
        }
      }).pipe(Effect.scoped)
  )

  it.live("with layerNodeSdk, the SDK's spans join the application's own trace", () =>
    Effect.gen(function* () {
      const exporter = new InMemorySpanExporter()
      const names = yield* Effect.gen(function* () {
        yield* MarketData.use((m) => m.bars(barsRequest)).pipe(Effect.withSpan("application.request"))
        return exporter.getFinishedSpans().map((s) => ({
          name: s.name,
          trace: s.spanContext().traceId,
          parent: s.parentSpanContext?.spanId,
          id: s.spanContext().spanId
        }))
      }).pipe(
        Effect.provide(
          Layer.mergeAll(withSdk(), Telemetry.layerNodeSdk({ spanProcessor: new SimpleSpanProcessor(exporter) }))
        )
      )
      const root = names.find((s) => s.name === "application.request")
      assert(root !== undefined)
      const bars = names.find((s) => s.name === "MarketData.bars")
      expect(bars?.parent).toBe(root.id)
      expect(names.filter((s) => s.trace === root.trace).length).toBeGreaterThanOrEqual(4)
    })
  )
})

describe("Health", () => {
  it.live("reflects a breaker opened by an outage and a cache with known hits", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      const market = yield* MarketData
      yield* market.bars(barsRequest)
      yield* market.bars(barsRequest)
      yield* market.bars(barsRequest)
      yield* promise(() => sim.setFaults([{ endpoint: "availableContracts", kind: "status", status: 503 }]))
      const available = Effect.flip(GatewayClient.use((c) => c.call(Endpoints.availableContracts, { live: true })))
      for (let i = 0; i < 3; i++) yield* available
      const report = yield* Health.use((h) => h.check)
      expect(report.healthy).toBe(false)
      expect(report.breakers.Contract?._tag).toBe("Open")
      expect(report.breakers.History?._tag).toBe("Closed")
      expect(report.cache.hits).toBe(2)
      expect(report.cache.misses).toBe(1)
      expect(report.cache.entries).toBe(1)
      expect(report.session.state).toBe("valid")
      expect(report.rateLimits.history.used).toBe(1)
      expect(report.rateLimits.general.limit).toBe(200)
      expect(report.requests.failures.HttpStatus).toBeGreaterThanOrEqual(3)
      expect(report.http.pools.length).toBe(1)
      expect(report.http.pools[0]!.connected).toBeGreaterThan(0)
      expect(JSON.stringify(report)).not.toMatch(/eyJ/)
      const stats = yield* BarCache.BarCache.use((c) => c.stats)
      expect(stats.hitRatio).toBeCloseTo(2 / 3)
      const probe = yield* Health.use((h) => h.probe)
      expect(probe.ping.ok).toBe(true)
      yield* promise(() => sim.setFaults([{ endpoint: "ping", kind: "drop" }]))
      const down = yield* Health.use((h) => h.probe)
      expect(down.ping.ok).toBe(false)
    }).pipe(Effect.provide(withSdk({ retry: { times: 0 }, breaker: { failures: 3, openDuration: "1 minute" } })))
  )
})
