import { describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { Array as Arr, Effect, Layer } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { GatewayTransport } from "../src/client/internal/GatewayTransport.ts"
import { CircuitBreaker } from "../src/client/CircuitBreaker.ts"
import { ProjectXConfig } from "../src/client/ProjectXConfig.ts"
import { RateLimiter } from "../src/client/RateLimiter.ts"

// A fake Gateway that counts how many requests of each path are in flight at once.
const fakeGateway = (delayMs: number) => {
  const inFlight = new Map<string, number>()
  const peak = new Map<string, number>()
  const client = HttpClient.make((request, url) =>
    Effect.gen(function* () {
      const path = url.pathname
      const now = (inFlight.get(path) ?? 0) + 1
      inFlight.set(path, now)
      peak.set(path, Math.max(peak.get(path) ?? 0, now))
      yield* Effect.sleep(delayMs)
      inFlight.set(path, (inFlight.get(path) ?? 1) - 1)
      const body = path.endsWith("/History/retrieveBars")
        ? { bars: [], success: true, errorCode: 0, errorMessage: null }
        : { accounts: [], success: true, errorCode: 0, errorMessage: null }
      return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(body), { status: 200 }))
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), peak }
}

// The raw transport is internal (ProjectX does not expose it), so the test wires its layer itself.
const sdk = (http: Layer.Layer<HttpClient.HttpClient>, generalLimit: number) =>
  GatewayTransport.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        RateLimiter.layer({ buckets: { general: { limit: generalLimit, window: "1 minute" } } }),
        CircuitBreaker.layer
      )
    ),
    Layer.provide(
      ProjectXConfig.layer({
        apiUrl: "http://127.0.0.1:9",
        username: "u",
        apiKey: "0123456789-key",
        pool: { connections: 4 }
      })
    ),
    Layer.provide(http)
  )

const token = { token: undefined }
const accounts = GatewayTransport.use((t) => t.send(Endpoints.searchAccounts, { onlyActiveAccounts: true }, token))
const bars = GatewayTransport.use((t) =>
  t.send(Endpoints.retrieveBars, {
    contractId: "CON.F.US.MNQ.Z26",
    live: false,
    startTime: new Date(0),
    endTime: new Date(60_000),
    unit: 2,
    unitNumber: 1,
    limit: 10,
    includePartialBar: false
  })
)

describe("GatewayTransport in flight", () => {
  it.live("a bucket never has more than half the pool in flight, so a granted request is sent at once", () =>
    Effect.gen(function* () {
      const fake = fakeGateway(20)
      yield* Effect.forEach(Arr.range(1, 20), () => accounts, { concurrency: "unbounded" }).pipe(
        Effect.provide(sdk(fake.layer, 200))
      )
      expect(fake.peak.get("/api/Account/search")).toBe(2)
    })
  )

  it.live("one bucket's backlog does not hold the other bucket's connections", () =>
    Effect.gen(function* () {
      const fake = fakeGateway(5)
      const layer = sdk(fake.layer, 2) // two general requests a minute: the rest wait in the limiter
      yield* Effect.gen(function* () {
        yield* Effect.forkChild(Effect.forEach(Arr.range(1, 6), () => accounts, { concurrency: "unbounded" }))
        yield* Effect.sleep("50 millis")
        // history requests go through while general ones wait for their window
        const started = Date.now()
        yield* Effect.forEach(Arr.range(1, 4), () => bars, { concurrency: "unbounded" })
        expect(Date.now() - started).toBeLessThan(2_000)
      }).pipe(Effect.provide(layer))
    })
  )
})
