// The response-size cap, with a fake HttpClient that streams a body without end (a unit test: the
// simulator cannot serve 100 MB on demand) and one that declares a huge Content-Length.
import { describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { Effect, Layer } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { CircuitBreaker } from "../src/client/CircuitBreaker.ts"
import type { GatewayError } from "../src/client/Errors.ts"
import { GatewayTransport } from "../src/client/internal/GatewayTransport.ts"
import { ProjectXConfig } from "../src/client/ProjectXConfig.ts"
import { RateLimiter } from "../src/client/RateLimiter.ts"

const LIMIT = 64 * 1024

/** A Gateway whose replies never end: it counts the bytes it was asked for and whether it was cancelled. */
const endless = () => {
  const seen = { pulled: 0, cancelled: false }
  const chunk = new TextEncoder().encode(`{"orders":[${'{"id":1},'.repeat(1000)}`)
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          seen.pulled += chunk.length
          controller.enqueue(chunk)
        },
        cancel() {
          seen.cancelled = true
        }
      })
      return HttpClientResponse.fromWeb(request, new Response(body, { status: 200 }))
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), seen }
}

/** A Gateway that declares a 110 MB body: refused from its headers, before reading. */
const declared = () => {
  const seen = { pulled: 0 }
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          seen.pulled += 1024
          controller.enqueue(new Uint8Array(1024))
        }
      })
      const headers = { "content-length": String(110 * 1024 * 1024), date: new Date().toUTCString() }
      return HttpClientResponse.fromWeb(request, new Response(body, { status: 200, headers }))
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), seen }
}

/** A Gateway whose reply declares its length and arrives in 1,000-byte chunks (multi-byte characters split). */
const chunked = (text: string) => {
  const bytes = new TextEncoder().encode(text)
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      let at = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= bytes.length) return controller.close()
          controller.enqueue(bytes.slice(at, at + 1000))
          at += 1000
        }
      })
      const headers = { "content-length": String(bytes.length), date: new Date().toUTCString() }
      return HttpClientResponse.fromWeb(request, new Response(body, { status: 200, headers }))
    })
  )
  return Layer.succeed(HttpClient.HttpClient, client)
}

const transport = (http: Layer.Layer<HttpClient.HttpClient>, maxResponseBytes = LIMIT) =>
  GatewayTransport.layer.pipe(
    Layer.provide(Layer.mergeAll(RateLimiter.layer(), CircuitBreaker.layer)),
    Layer.provide(
      ProjectXConfig.layer({
        apiUrl: "http://127.0.0.1:9",
        username: "u",
        apiKey: "0123456789-key",
        maxResponseBytes,
        retry: { times: 2, base: "1 millis", cap: "2 millis" }
      })
    ),
    Layer.provide(http)
  )

const send = <E extends (typeof Endpoints)[keyof typeof Endpoints]>(endpoint: E, request: unknown) =>
  GatewayTransport.use((t) => t.send(endpoint, request as never)).pipe(Effect.flip)

describe("GatewayTransport response cap", () => {
  it.live("an endless body fails with TooLarge near the cap and the body is cancelled, not read on", () =>
    Effect.gen(function* () {
      const fake = endless()
      const error = (yield* send(Endpoints.searchOrders, {
        accountId: 1,
        startTimestamp: new Date(0),
        endTimestamp: new Date(1000)
      }).pipe(Effect.provide(transport(fake.layer)))) as GatewayError
      expect(error.reason).toEqual({ _tag: "TooLarge", limitBytes: LIMIT })
      expect(error.ambiguous).toBe(false)
      expect(error.retryable).toBe(false)
      expect(fake.seen.cancelled).toBe(true)
      // Read up to the cap plus what the stream had buffered, nowhere near the endless body.
      expect(fake.seen.pulled).toBeLessThan(LIMIT * 4)
    })
  )

  it.live("a declared 110 MB body is refused from its headers; on an order it is ambiguous", () =>
    Effect.gen(function* () {
      const fake = declared()
      const error = (yield* send(Endpoints.placeOrder, {
        accountId: 1,
        contractId: "CON.F.US.MNQ.Z26",
        type: 2,
        side: 0,
        size: 1
      }).pipe(Effect.provide(transport(fake.layer)))) as GatewayError
      expect(error.reason).toMatchObject({ _tag: "TooLarge", limitBytes: LIMIT, ambiguous: true })
      expect(error.ambiguous).toBe(true)
      expect(error.message).toContain("may have been executed")
      expect(fake.seen.pulled).toBeLessThan(LIMIT)
    })
  )

  it.live("a large reply under the cap (read chunk by chunk, not through text()) arrives whole and decoded", () =>
    Effect.gen(function* () {
      // ~400 KB: above the size from which the transport reads chunks itself; 3-byte characters straddle chunks.
      const accounts = Array.from({ length: 4000 }, (_, i) => ({
        id: i + 1,
        name: `Compte-${i}-€é-${"x".repeat(40)}`,
        balance: 50_000 + i,
        canTrade: true,
        isVisible: true
      }))
      const text = JSON.stringify({ accounts, success: true, errorCode: 0, errorMessage: null })
      expect(new TextEncoder().encode(text).length).toBeGreaterThan(300 * 1024)
      const reply = (yield* GatewayTransport.use((t) =>
        t.send(Endpoints.searchAccounts, { onlyActiveAccounts: true })
      ).pipe(Effect.provide(transport(chunked(text), 8 * 1024 * 1024)))) as {
        readonly accounts: ReadonlyArray<{ readonly name: string }>
      }
      expect(reply.accounts).toHaveLength(4000)
      expect(reply.accounts.map((a) => a.name)).toEqual(accounts.map((a) => a.name))
    })
  )
})
