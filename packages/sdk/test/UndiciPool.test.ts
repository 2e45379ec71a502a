// The transport's pool path (ProjectX.layerHttp: undici dispatched directly) against a real loopback
// server that misbehaves on purpose: endless and oversized bodies, a reply that never comes, an
// interrupted call, a port nobody listens on. The same rules the HttpClient path keeps (ResponseCap.test.ts).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { type Duration, Effect, Fiber, Layer } from "effect"
import { CircuitBreaker } from "../src/client/CircuitBreaker.ts"
import type { GatewayError } from "../src/client/Errors.ts"
import { GatewayTransport } from "../src/client/internal/GatewayTransport.ts"
import { ProjectXConfig } from "../src/client/ProjectXConfig.ts"
import { RateLimiter } from "../src/client/RateLimiter.ts"
import { layerHttp } from "../src/ProjectX.ts"

const LIMIT = 64 * 1024

/** A loopback server: `handle` answers; `closed` counts requests whose connection went away unanswered. */
const serve = (handle: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ url: string; seen: { requests: number; closed: number; written: number; close: () => void } }>(
          (resolve) => {
            const seen = { requests: 0, closed: 0, written: 0, close: () => {} }
            const server = createServer((req, res) => {
              seen.requests++
              res.on("close", () => {
                if (!res.writableFinished) seen.closed++
              })
              handle(req, res)
            })
            seen.close = () => {
              server.closeAllConnections()
              server.close()
            }
            server.listen(0, "127.0.0.1", () =>
              resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })
            )
          }
        )
    ),
    ({ seen }) => Effect.sync(() => seen.close())
  )

const transport = (apiUrl: string, requestTimeout: Duration.Input = "30 seconds") =>
  GatewayTransport.layer.pipe(
    Layer.provide(Layer.mergeAll(RateLimiter.layer(), CircuitBreaker.layer, layerHttp)),
    Layer.provide(
      ProjectXConfig.layer({
        apiUrl,
        username: "u",
        apiKey: "0123456789-key",
        maxResponseBytes: LIMIT,
        requestTimeout,
        retry: { times: 0, base: "1 millis", cap: "2 millis" }
      })
    )
  )

const searchOrders = GatewayTransport.use((t) =>
  t.send(Endpoints.searchOrders, { accountId: 1, startTimestamp: new Date(0), endTimestamp: new Date(1000) })
)
const accounts = GatewayTransport.use((t) => t.send(Endpoints.searchAccounts, { onlyActiveAccounts: true }))

const eventually = (check: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  })

describe("GatewayTransport over the undici pool", () => {
  it.live("a reply is read, with its JSON decoded by the endpoint's Schema; the request carries trace context", () =>
    Effect.gen(function* () {
      const received: Array<IncomingMessage["headers"]> = []
      const { url } = yield* serve((req, res) => {
        received.push(req.headers)
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify({ accounts: [], success: true, errorCode: 0, errorMessage: null }))
      })
      const reply = yield* accounts.pipe(Effect.provide(transport(url)))
      expect(reply.accounts).toEqual([])
      expect(received[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      expect(received[0]?.accept).toBe("application/json")
      expect(received[0]?.["content-type"]).toBe("application/json")
    }).pipe(Effect.scoped)
  )

  it.live("a body decoder gets the reply's bytes before any text; the joined buffer is freed once read", () =>
    Effect.gen(function* () {
      const accountsOf = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          id: i + 1,
          name: `Compte-${i}-€é`,
          balance: 1,
          canTrade: true,
          isVisible: true
        }))
      const text = JSON.stringify({ accounts: accountsOf(300), success: true, errorCode: 0, errorMessage: null })
      const bytes = new TextEncoder().encode(text)
      const { url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes.length) })
        // In three writes with pauses (a 3-byte character split between two): several chunks, which the
        // transport joins into a buffer of its own.
        const cuts = [0, 7001, 14_002, bytes.length]
        const write = (k: number) => {
          if (k === 3) return void res.end()
          res.write(bytes.subarray(cuts[k], cuts[k + 1]))
          setTimeout(() => write(k + 1), 30)
        }
        write(0)
      })
      const seen: Array<Uint8Array> = []
      const call = (accept: boolean) =>
        GatewayTransport.use((t) =>
          t.send<typeof Endpoints.searchAccounts, unknown>(
            Endpoints.searchAccounts,
            { onlyActiveAccounts: true },
            {
              decodeBytes: (body) => {
                seen.push(body)
                // Read now, as the contract says: the buffer is freed once this returns.
                const decoded = new TextDecoder().decode(body)
                return accept ? Effect.succeed({ fromBytes: decoded === text }) : undefined
              }
            }
          )
        )
      const layer = transport(url)
      expect(yield* call(true).pipe(Effect.provide(layer))).toEqual({ fromBytes: true })
      expect(seen[0]!.byteLength).toBe(0) // the transport's joined copy, detached
      // Declined: the text path (JSON.parse and the endpoint's Schema) reads the same bytes.
      const reply = (yield* call(false).pipe(Effect.provide(layer))) as { accounts: ReadonlyArray<{ name: string }> }
      expect(reply.accounts.map((a) => a.name)).toEqual(accountsOf(300).map((a) => a.name))
      expect(seen[1]!.byteLength).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.live("an endless body fails with TooLarge near the cap and the connection is dropped", () =>
    Effect.gen(function* () {
      const chunk = `{"orders":[${'{"id":1},'.repeat(1000)}`
      const { url, seen } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        const pump = () => {
          while (!res.destroyed && seen.written < LIMIT * 100) {
            seen.written += chunk.length
            if (!res.write(chunk)) return void res.once("drain", pump)
          }
        }
        pump()
      })
      const error = (yield* Effect.flip(searchOrders.pipe(Effect.provide(transport(url))))) as GatewayError
      expect(error.reason).toEqual({ _tag: "TooLarge", limitBytes: LIMIT })
      yield* eventually(() => seen.closed === 1)
      expect(seen.closed).toBe(1)
      expect(seen.written).toBeLessThan(LIMIT * 100)
    }).pipe(Effect.scoped)
  )

  it.live("a declared oversized body is refused from its headers; on an order it is ambiguous", () =>
    Effect.gen(function* () {
      const { url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(110 * 1024 * 1024) })
        res.write("{")
      })
      const error = (yield* Effect.flip(
        GatewayTransport.use((t) =>
          t.send(Endpoints.placeOrder, { accountId: 1, contractId: "CON.F.US.MNQ.Z26", type: 2, side: 0, size: 1 })
        ).pipe(Effect.provide(transport(url)))
      )) as GatewayError
      expect(error.reason).toMatchObject({ _tag: "TooLarge", limitBytes: LIMIT, ambiguous: true })
      expect(error.ambiguous).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.live("a reply that never comes fails with Timeout once the deadline passes", () =>
    Effect.gen(function* () {
      const { url, seen } = yield* serve(() => {})
      const error = (yield* Effect.flip(accounts.pipe(Effect.provide(transport(url, "300 millis"))))) as GatewayError
      expect(error.reason).toEqual({ _tag: "Timeout", timeoutMs: 300 })
      yield* eventually(() => seen.closed === 1)
      expect(seen.closed).toBe(1)
    }).pipe(Effect.scoped)
  )

  it.live("interrupting a call aborts its request: the server sees the connection close", () =>
    Effect.gen(function* () {
      const { url, seen } = yield* serve(() => {})
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(accounts)
        yield* eventually(() => seen.requests === 1)
        yield* Fiber.interrupt(fiber)
        yield* eventually(() => seen.closed === 1)
        expect(seen.closed).toBe(1)
      }).pipe(Effect.provide(transport(url)))
    }).pipe(Effect.scoped)
  )

  it.live("a refused connection is a Transport failure that never reached the Gateway", () =>
    Effect.gen(function* () {
      // Bind a port, then free it: nobody listens there any more.
      const { url, seen } = yield* serve(() => {})
      seen.close()
      const error = (yield* Effect.flip(accounts.pipe(Effect.provide(transport(url))))) as GatewayError
      expect(error.reason).toMatchObject({ _tag: "Transport", sent: false })
      expect(String((error.reason as { message: string }).message)).toContain("ECONNREFUSED")
    }).pipe(Effect.scoped)
  )
})
