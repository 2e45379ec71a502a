import { assert, describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { Simulator } from "@projectx-effect/simulator"
import { Array as Arr, Effect, Layer, Logger, Option, References, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Auth } from "../src/client/Auth.ts"
import { CircuitBreaker } from "../src/client/CircuitBreaker.ts"
import { GatewayError } from "../src/client/Errors.ts"
import { decodeReason, GatewayClient } from "../src/client/GatewayClient.ts"
import * as SpanRecorder from "../src/testing/SpanRecorder.ts"
import { admin, promise, requests, withSdk } from "./support/core.ts"
import { cpuLoad } from "./support/cpuLoad.ts"

const search = GatewayClient.use((c) => c.call(Endpoints.searchAccounts, { onlyActiveAccounts: true }))

describe("Auth against the simulator", () => {
  it.live("100 concurrent calls with no token cause exactly one login", () =>
    Effect.gen(function* () {
      const results = yield* Effect.forEach(Arr.range(1, 100), () => search, { concurrency: "unbounded" })
      expect(results.every((r) => r.accounts.length > 0)).toBe(true)
      const stats = yield* Effect.flatMap(admin, (a) => promise(() => a.stats()))
      expect(stats.logins.attempts).toBe(1)
      expect(stats.endpoints.searchAccounts?.requests).toBe(100)
    }).pipe(Effect.provide(withSdk()))
  )

  // TestClock drives the SDK and the simulator alike (the simulator's token times come from the Clock of
  // the layer it is built in), so the refresh point is reached by adjusting the clock: no real sleep races.
  it.effect(
    "at the refresh point, 100 callers cause exactly one Auth/validate; a failing validate, one new login",
    () =>
      Effect.gen(function* () {
        // The clock starts at TestClock's epoch: jumping it years ahead would make every periodic fiber
        // of the simulator (its hub ticker) run once per period across those years.
        const sim = yield* admin
        yield* promise(() => sim.setTokenLifetime(3600))
        yield* search
        // refreshAt 0.5: the token is due at 30 min and valid until 60 min.
        yield* TestClock.adjust("29 minutes")
        yield* Effect.forEach(Arr.range(1, 100), () => search, { concurrency: "unbounded" })
        let stats = yield* promise(() => sim.stats())
        expect(stats.logins.attempts).toBe(1)
        expect(stats.validations.attempts).toBe(0)
        yield* TestClock.adjust("61 seconds")
        yield* Effect.forEach(Arr.range(1, 100), () => search, { concurrency: "unbounded" })
        stats = yield* promise(() => sim.stats())
        expect(stats.logins.attempts).toBe(1)
        expect(stats.validations.attempts).toBe(1)
        // validate refused (a business failure): one fresh login, still single-flight
        yield* promise(() => sim.setFaults([{ endpoint: "validate", kind: "errorCode", errorCode: 3 }]))
        yield* TestClock.adjust("31 minutes")
        yield* Effect.forEach(Arr.range(1, 50), () => search, { concurrency: "unbounded" })
        stats = yield* promise(() => sim.stats())
        expect(stats.endpoints.validate?.requests).toBe(2)
        expect(stats.logins.attempts).toBe(2)
        const session = yield* Auth.use((a) => a.session)
        assert(Option.isSome(session))
        expect(session.value.logins).toBe(2)
      }).pipe(Effect.provide(withSdk({ refreshAt: 0.5 })))
  )

  it.live("a 401 mid-session invalidates the token and retries once; a persistent 401 is a typed Unauthorized", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 401, times: 1 }]))
      const ok = yield* search
      expect(ok.accounts.length).toBeGreaterThan(0)
      let stats = yield* promise(() => sim.stats())
      expect(stats.logins.attempts).toBe(2)
      expect(stats.endpoints.searchAccounts?.requests).toBe(3)

      yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 401 }]))
      const error = yield* Effect.flip(search)
      assert(error instanceof GatewayError)
      expect(error.reason._tag).toBe("Unauthorized")
      expect(error.message).toMatch(/SearchAccount: Unauthorized/)
      stats = yield* promise(() => sim.stats())
      expect(stats.logins.attempts).toBe(3)
      expect(stats.endpoints.searchAccounts?.requests).toBe(5)
    }).pipe(Effect.provide(withSdk()))
  )

  it.live("a refused login fails at once with the code's name and what to do", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(search)
      assert(error instanceof GatewayError)
      expect(error.operation).toBe("LoginKey")
      assert(error.reason._tag === "Rejected")
      expect(error.reason.name).toBe("InvalidCredentials")
      expect(error.message).toMatch(/LoginKey: InvalidCredentials \(3\).*check PROJECT_X_USERNAME/)
      expect(yield* requests("loginKey")).toBe(1)
    }).pipe(Effect.provide(withSdk({ apiKey: "not-the-right-key" })))
  )
})

describe("rate limiting against the simulator's sliding windows", () => {
  it.live(
    "1,000 calls from 100 fibers with no safety margin while a CPU-burning worker loads the machine: zero 429s",
    () =>
      Effect.gen(function* () {
        yield* search // log in first: login shares the general bucket
        // A spinning thread: requests now wait for the CPU between grant and arrival, the skew that drew
        // 429s from a limiter that stamped permits at their grant.
        yield* cpuLoad(1)
        const started = Date.now()
        let done = 0
        yield* Effect.forEach(
          Arr.range(1, 100),
          () =>
            Effect.forEach(Arr.range(1, 10), () => Effect.tap(search, () => Effect.sync(() => done++)), {
              discard: true
            }),
          { concurrency: "unbounded", discard: true }
        )
        const elapsed = Date.now() - started
        expect(done).toBe(1000)
        const stats = yield* Effect.flatMap(admin, (a) => promise(() => a.stats()))
        expect(stats.endpoints.searchAccounts?.statuses["429"] ?? 0).toBe(0)
        expect(stats.endpoints.searchAccounts?.rateLimited).toBe(0)
        // The simulator allows 200 per 3 s (60 s scaled by 0.05): the login and 1,000 calls need six windows,
        // so no client can finish before five full windows (15 s). A permit also stays in the window for its
        // round trip, so the share lost is round trip / window per window: about 1 % on an idle machine
        // (`npm run bench` reports it against the 90 % goal), while a machine loaded by many other jobs
        // stretches round trips to a second. So this floor only catches a limiter that wastes whole windows.
        const fastestPossible = 5 * 3000
        expect(fastestPossible / elapsed).toBeGreaterThanOrEqual(0.5)
      }).pipe(
        Effect.scoped,
        Effect.provide(
          withSdk(
            { rateLimits: { general: { limit: 200, window: "3 seconds" }, safetyMargin: 0 } },
            { rateLimit: { timeScale: 0.05 } }
          )
        )
      ),
    120_000
  )

  it.live("a 429 with Retry-After pauses the bucket and is honoured before the retry", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() =>
        sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 429, retryAfterSeconds: 1, times: 1 }])
      )
      const started = Date.now()
      yield* search
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
      expect(yield* requests("searchAccounts")).toBe(3)
      // 429 is "not executed": even an order placement is retried after it
      yield* promise(() =>
        sim.setFaults([{ endpoint: "placeOrder", kind: "status", status: 429, retryAfterSeconds: 0, times: 1 }])
      )
      const placed = yield* GatewayClient.use((c) =>
        c.call(Endpoints.placeOrder, {
          accountId: 1001,
          contractId: "CON.F.US.MNQ.Z26",
          type: 2,
          side: 0,
          size: 1
        })
      ).pipe(Effect.exit)
      expect(yield* requests("placeOrder")).toBe(2)
      expect(placed._tag).toBe("Success")
    }).pipe(Effect.provide(withSdk()))
  )
})

describe("retries and the circuit breaker", () => {
  it.live("30 % 5xx and dropped connections on reads: every read succeeds within the retry budget", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() =>
        sim.setFaults(
          [
            { endpoint: "searchAccounts", kind: "status", status: 503, probability: 0.15 },
            { endpoint: "searchAccounts", kind: "drop", probability: 0.15 }
          ],
          { seed: 7 }
        )
      )
      const results = yield* Effect.forEach(Arr.range(1, 60), () => search)
      expect(results).toHaveLength(60)
      const stats = yield* promise(() => sim.stats())
      const faults = Object.values(stats.endpoints.searchAccounts?.faults ?? {}).reduce((a, b) => a + b, 0)
      expect(faults).toBeGreaterThan(5)
      expect(stats.endpoints.searchAccounts?.requests).toBe(61 + faults)
    }).pipe(
      Effect.provide(withSdk({ retry: { times: 6, base: "2 millis", cap: "10 millis" }, breaker: { failures: 50 } }))
    )
  )

  it.live("the same faults on Order/place are never retried", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() =>
        sim.setFaults(
          [
            { endpoint: "placeOrder", kind: "status", status: 503, probability: 0.5 },
            { endpoint: "placeOrder", kind: "drop" }
          ],
          { seed: 3 }
        )
      )
      const outcomes = yield* Effect.forEach(Arr.range(1, 20), (i) =>
        GatewayClient.use((c) =>
          c.call(Endpoints.placeOrder, {
            accountId: 1001,
            contractId: "CON.F.US.MNQ.Z26",
            type: 1,
            side: 0,
            size: 1,
            limitPrice: 1,
            customTag: `t-${i}`
          })
        ).pipe(
          Effect.flip,
          Effect.map((e) => (e instanceof GatewayError ? e.reason._tag : e._tag))
        )
      )
      expect(new Set(outcomes)).toEqual(new Set(["HttpStatus", "Transport"]))
      expect(yield* requests("placeOrder")).toBe(20)
    }).pipe(Effect.provide(withSdk({ breaker: { failures: 100 } })))
  )

  it.live("a read that keeps failing is tried exactly 1 + retry.times times, and says so in its error", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 503 }]))
      const before = yield* requests("searchAccounts")
      const failed = yield* Effect.flip(search)
      assert(failed instanceof GatewayError)
      expect(failed.reason).toMatchObject({ _tag: "HttpStatus", status: 503 })
      expect((yield* requests("searchAccounts")) - before).toBe(4)
      // A success on the second try costs exactly two requests.
      yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 503, times: 1 }]))
      const again = yield* requests("searchAccounts")
      yield* search
      expect((yield* requests("searchAccounts")) - again).toBe(2)
    }).pipe(
      Effect.provide(withSdk({ retry: { times: 3, base: "1 millis", cap: "2 millis" }, breaker: { failures: 100 } }))
    )
  )

  it.live("the breaker opens under an outage, fails fast with no request, and recovers", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* search
      yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 503 }]))
      for (let i = 0; i < 3; i++) yield* Effect.flip(search)
      const before = yield* requests("searchAccounts")
      const rejected = yield* Effect.flip(search)
      assert(rejected instanceof GatewayError)
      expect(rejected.reason._tag).toBe("CircuitOpen")
      expect(rejected.message).toMatch(/SearchAccount: CircuitOpen: "Account" calls are failing; no request sent/)
      expect(yield* requests("searchAccounts")).toBe(before)
      expect((yield* CircuitBreaker.use((b) => b.state("Account")))._tag).toBe("Open")
      // other groups are unaffected
      yield* GatewayClient.use((c) => c.call(Endpoints.availableContracts, { live: false }))
      yield* promise(() => sim.clearFaults())
      yield* Effect.sleep("400 millis")
      const ok = yield* search.pipe(Effect.retry({ times: 50, schedule: Schedule.spaced("50 millis") }))
      expect(ok.accounts.length).toBeGreaterThan(0)
      expect((yield* CircuitBreaker.use((b) => b.state("Account")))._tag).toBe("Closed")
      const transitions = yield* CircuitBreaker.use((b) => b.transitions)
      expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["Closed>Open", "Open>HalfOpen", "HalfOpen>Closed"])
    }).pipe(
      Effect.provide(
        withSdk({ retry: { times: 0 }, breaker: { failures: 3, openDuration: "200 millis", maxOpen: "300 millis" } })
      )
    )
  )

  it.live("a 4xx body is excerpted into the error; a business code is named", () =>
    Effect.gen(function* () {
      const sim = yield* admin
      yield* promise(() => sim.setFaults([{ endpoint: "searchContractById", kind: "status", status: 404, times: 1 }]))
      const notFound = yield* Effect.flip(
        GatewayClient.use((c) => c.call(Endpoints.searchContractById, { contractId: "CON.F.US.MNQ.Z26" }))
      )
      assert(notFound instanceof GatewayError && notFound.reason._tag === "HttpStatus")
      expect(notFound.reason.status).toBe(404)
      const missing = yield* Effect.flip(
        GatewayClient.use((c) => c.call(Endpoints.searchContractById, { contractId: "CON.F.US.NOPE.Z99" }))
      )
      expect(missing.message).toBe("SearchContractById: ContractNotFound (1)")
      const malformed = yield* promise(() =>
        sim.setFaults([{ endpoint: "searchAccounts", kind: "malformed", times: 1 }])
      ).pipe(Effect.andThen(Effect.flip(search)))
      assert(malformed instanceof GatewayError)
      expect(malformed.reason._tag).toBe("Decode")
    }).pipe(Effect.provide(withSdk({ retry: { times: 0 } })))
  )
})

describe("secrets", () => {
  it.live("neither the API key nor any JWT reaches a log line, a span attribute or an error message", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const capture = Logger.make((options) => {
        lines.push(Logger.formatLogFmt.log(options))
      })
      const errors: Array<string> = []
      const program = Effect.gen(function* () {
        const sim = yield* admin
        yield* search
        yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 401, times: 1 }]))
        yield* search
        yield* promise(() => sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 400, times: 1 }]))
        yield* Effect.flip(search).pipe(Effect.tap((e) => Effect.sync(() => errors.push(e.message, String(e)))))
        yield* promise(() => sim.setTokenLifetime(1))
        yield* Auth.use((a) => a.login)
        yield* Effect.sleep("900 millis")
        yield* search
        const spans = yield* SpanRecorder.SpanRecorder.use((r) => r.spans)
        return spans
      })
      const spans = yield* program.pipe(
        Effect.provide(Layer.mergeAll(withSdk({ refreshAt: 0.5 }), SpanRecorder.layerMemory())),
        Effect.provide(Logger.layer([capture])),
        Effect.provideService(References.MinimumLogLevel, "Trace")
      )
      const corpus = [...lines, ...errors, JSON.stringify(spans)].join("\n")
      expect(spans.length).toBeGreaterThan(5)
      expect(corpus).not.toContain(Simulator.credentials.apiKey)
      expect(corpus).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./)
      expect(corpus.toLowerCase()).not.toContain("bearer ey")
    })
  )
})

describe("Status/ping", () => {
  it.live("answers pong without a session", () =>
    Effect.gen(function* () {
      const pong = yield* GatewayClient.use((c) => c.call(Endpoints.ping, {}))
      expect(pong).toBe("pong")
      const stats = yield* Effect.flatMap(admin, (a) => promise(() => a.stats()))
      expect(stats.logins.attempts).toBe(0)
    }).pipe(Effect.provide(withSdk()))
  )
})

describe("decode and encode errors", () => {
  it("name the JSON path and the problem", () => {
    const decoded = Schema.decodeUnknownExit(Endpoints.searchAccounts.response)({
      success: true,
      errorCode: 0,
      accounts: [{ id: 1, name: "A", balance: 1, canTrade: true, isVisible: true }, { id: "x" }]
    })
    assert(decoded._tag === "Failure")
    const error = decoded.cause.reasons[0]
    assert(error?._tag === "Fail")
    const reason = decodeReason(error.error)
    assert(reason._tag === "Decode")
    expect(reason.path).toBe('["accounts"][1]["id"]')
    expect(reason.issue).toMatch(/Expected (an integer|a number|number)/i)
  })

  it.live("a request that does not fit the contract is a ValidationError naming the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        GatewayClient.use((c) => c.call(Endpoints.searchOpenOrders, { accountId: "abc" as never }))
      )
      expect(error._tag).toBe("ValidationError")
      expect(error.message).toMatch(/^SearchOpenOrder: invalid \["accountId"\]; Expected/)
      expect(error.message).not.toContain("[object Object]")
    }).pipe(Effect.provide(withSdk()))
  )
})
