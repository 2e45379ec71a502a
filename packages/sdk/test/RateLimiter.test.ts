import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, DateTime, Duration, Effect, Exit, Fiber, Layer, Metric } from "effect"
import * as EffectRateLimiter from "effect/persistence/RateLimiter"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as Metrics from "../src/observability/Metrics.ts"
import * as RateLimiter from "../src/client/RateLimiter.ts"
import { type RedisServer, skipReason, startRedis } from "./support/redis.ts"

const { RateLimiter: Limiter } = RateLimiter

/** Runs `body` against a fresh limiter (memory store) built from `options`. */
const withLimiter = <A, E>(options: RateLimiter.Options, body: Effect.Effect<A, E, RateLimiter.RateLimiter>) =>
  Effect.provide(body, Limiter.layer(options))

const exact = { safetyMargin: 0 } as const

/** The most grants inside any half-open window (t - window, t]. */
const maxInAnyWindow = (stamps: ReadonlyArray<number>, window: number): number => {
  const sorted = [...stamps].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[lo]! <= sorted[hi]! - window) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

/** Forks `effect` and lets it run until the limiter has queued it, so arrival order is the fork order. */
const forkQueued = <A, E>(bucket: RateLimiter.Bucket, effect: Effect.Effect<A, E, RateLimiter.RateLimiter>) =>
  Effect.gen(function* () {
    const limiter = yield* Limiter
    const before = (yield* limiter.state(bucket)).queued
    const fiber = yield* Effect.forkChild(effect)
    for (let i = 0; i < 100 && (yield* limiter.state(bucket)).queued === before; i++) yield* Effect.yieldNow
    expect((yield* limiter.state(bucket)).queued).toBe(before + 1)
    return fiber
  })

const acquire = (bucket: RateLimiter.Bucket, permits?: number) => Limiter.use((l) => l.acquire(bucket, permits))

describe("RateLimiter", () => {
  describe("sliding window", () => {
    it.effect("the 51st History permit waits until the first one leaves the 30 s window", () =>
      withLimiter(
        exact,
        Effect.gen(function* () {
          for (let i = 0; i < 50; i++) expect(Duration.toMillis(yield* acquire("history"))).toBe(0)
          const fiber = yield* Effect.forkChild(acquire("history"))
          yield* TestClock.adjust(29_999)
          expect(fiber.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(fiber))).toBe(30_000)
        })
      )
    )

    it.effect("permits spread across the boundary leave the window one by one", () =>
      withLimiter(
        exact,
        Effect.gen(function* () {
          const limiter = yield* Limiter
          for (let i = 0; i < 25; i++) yield* limiter.acquire("history")
          yield* TestClock.adjust(20_000)
          for (let i = 0; i < 25; i++) yield* limiter.acquire("history")
          expect((yield* limiter.state("history")).available).toBe(0)
          // At 30 s the first 25 leave; the next 25 fit at once, the 26th waits for the t = 20 s batch.
          yield* TestClock.adjust(10_000)
          for (let i = 0; i < 25; i++) expect(Duration.toMillis(yield* limiter.acquire("history"))).toBe(0)
          const late = yield* Effect.forkChild(limiter.acquire("history"))
          yield* TestClock.adjust(19_999)
          expect(late.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(late))).toBe(20_000)
        })
      )
    )

    it.effect("a safety margin widens the window (500 ms here; the default is 0)", () =>
      withLimiter(
        { safetyMargin: "500 millis" },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          for (let i = 0; i < 50; i++) yield* limiter.acquire("history")
          const fiber = yield* Effect.forkChild(limiter.acquire("history"))
          yield* TestClock.adjust(30_499)
          expect(fiber.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(fiber))).toBe(30_500)
          expect((yield* limiter.state("history")).safetyMargin).toEqual(Duration.millis(500))
        })
      )
    )

    it.effect("a request for several permits waits until all of them fit, and counts as many", () =>
      withLimiter(
        { ...exact, buckets: { general: { limit: 5, window: "10 seconds" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          yield* limiter.acquire("general", 3)
          yield* TestClock.adjust(1_000)
          yield* limiter.acquire("general", 1)
          expect((yield* limiter.state("general")).used).toBe(4)
          // 3 more need the t = 0 batch gone (10 s), not just one free slot.
          const fiber = yield* Effect.forkChild(limiter.acquire("general", 3))
          yield* TestClock.adjust(8_999)
          expect(fiber.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(fiber))).toBe(9_000)
          expect((yield* limiter.state("general")).used).toBe(4)
        })
      )
    )

    it.effect("a held permit stays in the window until its request ends, plus one window", () =>
      withLimiter(
        { buckets: { general: { limit: 2, window: "10 seconds" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          // Two requests take 5 s each: the Gateway may count them at any point of those 5 s.
          const slow = yield* Effect.forkChild(
            Effect.all(
              [
                limiter.withPermit("general", Effect.sleep("5 seconds")),
                limiter.withPermit("general", Effect.sleep("5 seconds"))
              ],
              { concurrency: 2 }
            )
          )
          yield* Effect.yieldNow
          const third = yield* Effect.forkChild(acquire("general"))
          yield* TestClock.adjust(5_000)
          yield* Fiber.join(slow)
          expect((yield* limiter.state("general")).used).toBe(2)
          // Settled at 5 s, they leave at 15 s, not at 10 s as grant stamps would.
          yield* TestClock.adjust(9_999)
          expect(third.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(third))).toBe(15_000)
        })
      )
    )

    it.effect("a failed or interrupted request settles its permit too", () =>
      withLimiter(
        { buckets: { general: { limit: 1, window: "1 second" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          const failed = yield* Effect.exit(limiter.withPermit("general", Effect.fail("boom")))
          expect(Exit.isFailure(failed)).toBe(true)
          const hung = yield* Effect.forkChild(limiter.withPermit("general", Effect.never))
          yield* TestClock.adjust(1_000)
          yield* Fiber.interrupt(hung)
          const next = yield* Effect.forkChild(acquire("general"))
          yield* TestClock.adjust(999)
          expect(next.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(next))).toBe(1_000)
        })
      )
    )

    it("never more than `limit` in any window, over 1,000 random acquires from 100 fibers, at >= 90 % throughput", async () => {
      // Fibers 0-49 use History, 50-99 the general bucket, so both stay backlogged and the makespan
      // measures the limiter, not the callers' think time.
      const op = fc.record({
        think: fc.integer({ min: 0, max: 3_000 }),
        permits: fc.oneof(
          { weight: 4, arbitrary: fc.constant(1) },
          { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }
        )
      })
      const schedule = fc.array(fc.array(op, { minLength: 10, maxLength: 10 }), { minLength: 100, maxLength: 100 })
      const margin = 500
      const bucketOf = (fiber: number): RateLimiter.Bucket => (fiber < 50 ? "history" : "general")
      const limits = { history: { limit: 50, window: 30_000 }, general: { limit: 200, window: 60_000 } } as const

      await fc.assert(
        fc.asyncProperty(schedule, async (fibers) => {
          const stamps: Record<RateLimiter.Bucket, Array<number>> = { history: [], general: [] }
          const program = Effect.gen(function* () {
            const limiter = yield* Limiter
            const running = yield* Effect.forEach(fibers, (ops, index) =>
              Effect.forkChild(
                Effect.forEach(
                  ops,
                  (o) =>
                    Effect.gen(function* () {
                      const bucket = bucketOf(index)
                      yield* Effect.sleep(o.think)
                      yield* limiter.acquire(bucket, o.permits)
                      const t = yield* now
                      for (let i = 0; i < o.permits; i++) stamps[bucket].push(t)
                    }),
                  { discard: true }
                )
              )
            )
            // Step the clock until every fiber is done (a single huge step could outrun fibers that
            // have not started sleeping yet).
            for (let i = 0; i < 3_600 && running.some((f) => f.pollUnsafe() === undefined); i++) {
              yield* TestClock.adjust(1_000)
            }
            yield* Fiber.joinAll(running)
            return yield* limiter.snapshot
          })
          const snapshot = await Effect.runPromise(
            program.pipe(
              Effect.provide(Limiter.layer({ safetyMargin: `${margin} millis` })),
              Effect.provide(TestClock.layer())
            )
          )
          for (const bucket of RateLimiter.buckets) {
            const { limit, window } = limits[bucket]
            const granted = stamps[bucket]
            const demanded = fibers.reduce(
              (n, ops, index) => (bucketOf(index) === bucket ? ops.reduce((m, o) => m + o.permits, n) : n),
              0
            )
            expect(granted.length).toBe(demanded)
            // The server's view, and our own stricter one (window + margin).
            expect(maxInAnyWindow(granted, window)).toBeLessThanOrEqual(limit)
            expect(maxInAnyWindow(granted, window + margin)).toBeLessThanOrEqual(limit)
            // Throughput: a sliding-window server lets N permits through in floor((N - 1) / limit) windows
            // at best; every fiber is backlogged, so the limiter's makespan should be close to that.
            const span = Math.max(...granted) - Math.min(...granted)
            const ideal = Math.floor((granted.length - 1) / limit) * window
            expect(ideal / span).toBeGreaterThanOrEqual(0.9)
            expect(snapshot[bucket].queued).toBe(0)
          }
        }),
        { numRuns: 3, seed: 4, endOnFailure: true }
      )
    })
  })

  describe("fairness", () => {
    it.effect("waiters are served in arrival order: a later small request never overtakes an earlier large one", () =>
      withLimiter(
        { ...exact, buckets: { general: { limit: 4, window: "1 second" } } },
        Effect.gen(function* () {
          const order: Array<string> = []
          const waiter = (name: string, permits: number) =>
            Effect.tap(acquire("general", permits), () => Effect.sync(() => order.push(name)))
          yield* acquire("general", 3)
          // One permit is free now, but A (4) arrived first, so B (1) and C (1) wait behind it.
          const a = yield* forkQueued("general", waiter("A", 4))
          const b = yield* forkQueued("general", waiter("B", 1))
          const c = yield* forkQueued("general", waiter("C", 1))
          expect((yield* Limiter.use((l) => l.state("general"))).queued).toBe(3)
          yield* TestClock.adjust(1_000)
          expect(Duration.toMillis(yield* Fiber.join(a))).toBe(1_000)
          expect(order).toEqual(["A"])
          yield* TestClock.adjust(1_000)
          expect(Duration.toMillis(yield* Fiber.join(b))).toBe(2_000)
          expect(Duration.toMillis(yield* Fiber.join(c))).toBe(2_000)
          expect(order).toEqual(["A", "B", "C"])
        })
      )
    )

    it.effect("grant order equals arrival order for 50 waiters with mixed sizes", () =>
      withLimiter(
        { ...exact, buckets: { history: { limit: 5, window: "1 second" } } },
        Effect.gen(function* () {
          const order: Array<number> = []
          yield* acquire("history", 5)
          const fibers: Array<Fiber.Fiber<unknown>> = []
          for (let i = 0; i < 50; i++) {
            const permits = 1 + ((i * 7) % 5)
            fibers.push(
              yield* forkQueued(
                "history",
                Effect.tap(acquire("history", permits), () => Effect.sync(() => order.push(i)))
              )
            )
          }
          yield* TestClock.adjust("1 minute")
          yield* Fiber.joinAll(fibers)
          expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
        })
      )
    )
  })

  describe("penalize", () => {
    it.effect("a 429's Retry-After pauses the bucket; waiters keep their order", () =>
      withLimiter(
        exact,
        Effect.gen(function* () {
          const limiter = yield* Limiter
          const order: Array<string> = []
          yield* limiter.acquire("general")
          yield* limiter.penalize("general", "10 seconds")
          const paused = yield* limiter.state("general")
          expect(paused.available).toBe(0)
          expect(paused.pausedUntil).toEqual(DateTime.makeUnsafe(10_000))
          expect(paused.nextAvailableAt).toEqual(DateTime.makeUnsafe(10_000))
          const a = yield* forkQueued(
            "general",
            Effect.tap(limiter.acquire("general"), () => Effect.sync(() => order.push("A")))
          )
          const b = yield* forkQueued(
            "general",
            Effect.tap(limiter.acquire("general"), () => Effect.sync(() => order.push("B")))
          )
          // A second 429 extends the pause; a shorter one would not shorten it.
          yield* TestClock.adjust(5_000)
          yield* limiter.penalize("general", "7 seconds")
          yield* limiter.penalize("general", "1 second")
          yield* TestClock.adjust(6_999)
          expect(order).toEqual([])
          yield* TestClock.adjust(1)
          expect(Duration.toMillis(yield* Fiber.join(a))).toBe(12_000)
          expect(Duration.toMillis(yield* Fiber.join(b))).toBe(12_000)
          expect(order).toEqual(["A", "B"])
          const after = yield* limiter.state("general")
          expect(after.pausedUntil).toBeUndefined()
          expect(after.used).toBe(3)
          // The pause does not touch the other bucket.
          expect(Duration.toMillis(yield* limiter.acquire("history"))).toBe(0)
        })
      )
    )
  })

  describe("interruption", () => {
    it.effect("an interrupted waiter leaves the queue and consumes nothing", () =>
      withLimiter(
        { ...exact, buckets: { general: { limit: 1, window: "1 second" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          yield* limiter.acquire("general")
          const head = yield* forkQueued("general", limiter.acquire("general"))
          const middle = yield* forkQueued("general", limiter.acquire("general"))
          const tail = yield* forkQueued("general", limiter.acquire("general"))
          // Interrupt one waiting in the queue and the head, which is sleeping on the store's answer.
          yield* Fiber.interrupt(middle)
          yield* Fiber.interrupt(head)
          expect((yield* limiter.state("general")).queued).toBe(1)
          yield* TestClock.adjust(1_000)
          expect(Duration.toMillis(yield* Fiber.join(tail))).toBe(1_000)
          const state = yield* limiter.state("general")
          expect(state.queued).toBe(0)
          expect(state.used).toBe(1)
          // Nothing leaked: the next permit comes exactly one window after the tail's.
          const next = yield* Effect.forkChild(limiter.acquire("general"))
          yield* TestClock.adjust(1_000)
          expect(Duration.toMillis(yield* Fiber.join(next))).toBe(1_000)
        })
      )
    )

    it.effect("timeouts release the turn", () =>
      withLimiter(
        { ...exact, buckets: { history: { limit: 2, window: "1 second" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          yield* limiter.acquire("history", 2)
          const results = yield* Effect.forkChild(
            Effect.all(
              Array.from({ length: 10 }, () => Effect.timeoutOption(limiter.acquire("history"), "500 millis")),
              { concurrency: "unbounded" }
            )
          )
          yield* TestClock.adjust(500)
          const timedOut = yield* Fiber.join(results)
          expect(timedOut.every((o) => o._tag === "None")).toBe(true)
          expect((yield* limiter.state("history")).queued).toBe(0)
          yield* TestClock.adjust(500)
          expect(Duration.toMillis(yield* limiter.acquire("history", 2))).toBe(0)
        })
      )
    )
  })

  describe("buckets", () => {
    it.effect("are independent", () =>
      withLimiter(
        exact,
        Effect.gen(function* () {
          const limiter = yield* Limiter
          for (let i = 0; i < 50; i++) yield* limiter.acquire("history")
          const blocked = yield* Effect.forkChild(limiter.acquire("history"))
          for (let i = 0; i < 200; i++) expect(Duration.toMillis(yield* limiter.acquire("general"))).toBe(0)
          const snapshot = yield* limiter.snapshot
          expect(snapshot.history).toMatchObject({ limit: 50, used: 50, available: 0, queued: 1 })
          expect(snapshot.general).toMatchObject({ limit: 200, used: 200, available: 0, queued: 0 })
          expect(snapshot.history.window).toEqual(Duration.seconds(30))
          expect(snapshot.history.nextAvailableAt).toEqual(DateTime.makeUnsafe(30_000))
          yield* Fiber.interrupt(blocked)
        })
      )
    )

    it("bucketFor routes only History endpoints to the History bucket", () => {
      expect(RateLimiter.bucketFor("/api/History/retrieveBars")).toBe("history")
      expect(RateLimiter.bucketFor("/api/Order/place")).toBe("general")
      expect(RateLimiter.bucketFor("/api/Auth/loginKey")).toBe("general")
    })
  })

  describe("tryAcquire", () => {
    it.effect("takes a permit or fails with RateLimitExceeded and a retryAfter", () =>
      withLimiter(
        { ...exact, buckets: { general: { limit: 2, window: "1 second" } } },
        Effect.gen(function* () {
          const limiter = yield* Limiter
          yield* limiter.tryAcquire("general")
          yield* TestClock.adjust(200)
          yield* limiter.tryAcquire("general")
          const error = yield* Effect.flip(limiter.tryAcquire("general"))
          expect(error).toBeInstanceOf(EffectRateLimiter.RateLimiterError)
          expect(error.reason._tag).toBe("RateLimitExceeded")
          if (error.reason._tag === "RateLimitExceeded") {
            expect(Duration.toMillis(error.reason.retryAfter)).toBe(800)
          }
          // It never jumps a queue: at 1 s one permit is free, but a waiter for two arrived first.
          yield* TestClock.adjust(800)
          const waiting = yield* forkQueued("general", limiter.acquire("general", 2))
          const refused = yield* Effect.flip(limiter.tryAcquire("general"))
          expect(refused.reason._tag).toBe("RateLimitExceeded")
          yield* TestClock.adjust(200)
          expect(Duration.toMillis(yield* Fiber.join(waiting))).toBe(200)
          expect(Exit.isFailure(yield* Effect.exit(limiter.tryAcquire("general")))).toBe(true)
        })
      )
    )
  })

  describe("validation", () => {
    const fails = (options: RateLimiter.Options) =>
      Effect.flip(Layer.build(Limiter.layer(options))).pipe(
        Effect.scoped,
        Effect.map((e) => e._tag)
      )

    it.effect("limit >= 1 and window > 0, or a typed RateLimiterConfigError", () =>
      Effect.gen(function* () {
        expect(yield* fails({ buckets: { history: { limit: 0 } } })).toBe("RateLimiterConfigError")
        expect(yield* fails({ buckets: { general: { limit: 1.5 } } })).toBe("RateLimiterConfigError")
        expect(yield* fails({ buckets: { general: { window: 0 } } })).toBe("RateLimiterConfigError")
        expect(yield* fails({ buckets: { history: { window: "-1 second" as Duration.Input } } })).toBe(
          "RateLimiterConfigError"
        )
        expect(yield* fails({ safetyMargin: Duration.infinity })).toBe("RateLimiterConfigError")
        const error = yield* Effect.flip(Layer.build(Limiter.layer({ buckets: { history: { limit: -3 } } }))).pipe(
          Effect.scoped
        )
        expect(error.message).toContain("buckets.history.limit")
      })
    )

    it.effect("asking for more permits than the limit is a defect", () =>
      withLimiter(
        {},
        Effect.gen(function* () {
          const exit = yield* Effect.exit(acquire("history", 51))
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
        })
      )
    )
  })

  describe("observability", () => {
    it.effect("records wait times, acquisitions and queue length as metrics", () =>
      Effect.gen(function* () {
        yield* withLimiter(
          { ...exact, buckets: { history: { limit: 1, window: "2 seconds" } } },
          Effect.gen(function* () {
            const limiter = yield* Limiter
            yield* limiter.acquire("history")
            const fiber = yield* forkQueued("history", limiter.acquire("history"))
            yield* TestClock.adjust(2_000)
            yield* Fiber.join(fiber)
            yield* limiter.penalize("history", "1 second")
          })
        )
        // The Metrics module's helper records into the very same series.
        yield* Metrics.recordRateLimiterWait("history", 0)
        const snapshot = yield* Metric.snapshot
        expect(snapshot.filter((m) => m.id === "projectx_ratelimiter_wait_seconds")).toHaveLength(1)
        const stateOf = <S>(id: string): S => {
          const metric = snapshot.find((m) => m.id === id && m.attributes?.["bucket"] === "history")
          expect(metric).toBeDefined()
          return metric!.state as S
        }
        // In seconds, Prometheus' base unit.
        const waits = stateOf<Metric.HistogramState>("projectx_ratelimiter_wait_seconds")
        expect(waits.count).toBe(3)
        expect(waits.sum).toBe(2)
        expect(stateOf<Metric.CounterState<number>>("projectx_ratelimiter_acquires_total").count).toBe(2)
        expect(stateOf<Metric.GaugeState<number>>("projectx_ratelimiter_queue_length").value).toBe(0)
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
    )

    it.effect("falls back to a process-local log when the store fails", () => {
      const broken = Layer.succeed(RateLimiter.RateLimiterStore)({
        takeSync: undefined,
        pollMillis: 50,
        take: () => Effect.fail(storeDown),
        settle: () => Effect.fail(storeDown),
        pause: () => Effect.fail(storeDown),
        inspect: () => Effect.fail(storeDown)
      })
      return Effect.gen(function* () {
        const limiter = yield* Limiter
        yield* limiter.acquire("general")
        const fiber = yield* Effect.forkChild(limiter.acquire("general"))
        yield* TestClock.adjust(1_000)
        expect(Duration.toMillis(yield* Fiber.join(fiber))).toBe(1_000)
        expect((yield* limiter.state("general")).used).toBe(1)
      }).pipe(
        Effect.provide(
          Limiter.layerWithoutStore({ ...exact, buckets: { general: { limit: 1, window: "1 second" } } }).pipe(
            Layer.provide(broken)
          )
        )
      )
    })
  })

  // The suite's own redis-server (test/support/redis.ts); skipped with a reason where it is not installed.
  describe.skipIf(skipReason !== undefined)("Redis store", () => {
    let server: RedisServer | undefined
    beforeAll(async () => {
      server = await startRedis()
    })
    afterAll(async () => {
      await server?.stop()
    })
    it("holds a permit until it is settled, and serves waiting processes in arrival order", async () => {
      const NodeRedis = await import("@effect/platform-node/NodeRedis")
      const program = Effect.gen(function* () {
        const store = yield* Effect.provide(
          Effect.service(RateLimiter.RateLimiterStore),
          Limiter.layerStoreRedis({ prefix: `hold:${Date.now()}:` })
        )
        const bucket = { key: "scope:general", limit: 1, window: 1_000, lease: 60_000 }
        const t = 1_700_000_000_000
        expect(yield* store.take(bucket, 1, t, "h1")).toBe(0)
        // In flight: five seconds later it still occupies the window (the Gateway may not have counted it yet).
        expect(yield* store.take(bucket, 1, t + 5_000)).toBeGreaterThan(0)
        yield* store.settle(bucket, "h1", 1, t + 5_000)
        expect(yield* store.take(bucket, 1, t + 5_999)).toBeGreaterThan(0)
        // Two processes wait, A first; when room appears B may not overtake A.
        expect(yield* store.take(bucket, 1, t + 5_100, undefined, "A")).toBeGreaterThan(0)
        expect(yield* store.take(bucket, 1, t + 5_200, undefined, "B")).toBeGreaterThan(0)
        expect(yield* store.take(bucket, 1, t + 6_000, undefined, "B")).toBeGreaterThan(0)
        expect(yield* store.take(bucket, 1, t + 6_000, undefined, "A")).toBe(0)
        expect(yield* store.take(bucket, 1, t + 7_000, undefined, "B")).toBe(0)
      })
      await Effect.runPromise(
        program.pipe(Effect.provide(NodeRedis.layer({ url: server!.url }).pipe(Layer.orDie)), Effect.scoped)
      )
    })

    it("answers exactly like the memory store over a random sequence of operations", async () => {
      const NodeRedis = await import("@effect/platform-node/NodeRedis")
      const program = Effect.gen(function* () {
        const store = <R>(layer: Layer.Layer<RateLimiter.RateLimiterStore, never, R>) =>
          Effect.provide(Effect.service(RateLimiter.RateLimiterStore), layer)
        const redis = yield* store(Limiter.layerStoreRedis({ prefix: `test:${Date.now()}:` }))
        const memory = yield* store(Limiter.layerStoreMemory)
        const bucket = { key: "scope:history", limit: 5, window: 1_000, lease: 5_000 }
        const ops = fc.sample(
          fc.record({
            advance: fc.integer({ min: 0, max: 1_500 }),
            op: fc.integer({ min: 0, max: 9 }),
            n: fc.nat(2_000)
          }),
          { seed: 7, numRuns: 2_000 }
        )
        let t = 1_700_000_000_000
        for (const { advance, op, n } of ops) {
          t += advance % 3 === 0 ? advance : advance % 60
          if (op < 7) {
            const permits = 1 + (n % 3)
            expect(yield* redis.take(bucket, permits, t)).toBe(yield* memory.take(bucket, permits, t))
          } else if (op < 8) {
            yield* redis.pause(bucket, t + n, t)
            yield* memory.pause(bucket, t + n, t)
          } else {
            expect(yield* redis.inspect(bucket, t)).toEqual(yield* memory.inspect(bucket, t))
          }
        }
      })
      await Effect.runPromise(
        program.pipe(Effect.provide(NodeRedis.layer({ url: server!.url }).pipe(Layer.orDie)), Effect.scoped)
      )
    })
  })

  describe("Effect's built-ins against a sliding-window server", () => {
    const window = 30_000
    const limit = 50
    const effectLimiter = EffectRateLimiter.layer.pipe(Layer.provide(EffectRateLimiter.layerStoreMemory))
    const consume = (algorithm: "fixed-window" | "token-bucket", tokens: number) =>
      EffectRateLimiter.RateLimiter.use((l) =>
        l.consume({ key: algorithm, algorithm, limit, window, tokens, onExceeded: "fail" })
      ).pipe(Effect.isSuccess)

    it.effect("fixed-window and token-bucket both let 99 requests into one 30 s window; the sliding log lets 50", () =>
      Effect.gen(function* () {
        const granted = { fixed: [] as Array<number>, bucket: [] as Array<number> }
        // Fixed window: it re-arms at the first request and adds W/L per token, so 1 request, then 49
        // shortly after, then 50 as soon as it resets.
        for (const [at, tokens] of [
          [0, 1],
          [500, 49],
          [30_000, 50]
        ] as const) {
          yield* TestClock.setTime(at)
          if (yield* consume("fixed-window", tokens)) for (let i = 0; i < tokens; i++) granted.fixed.push(at)
        }
        // Token bucket: a full bucket of 50, then one more every W/L = 600 ms.
        yield* TestClock.setTime(100_000)
        for (let t = 100_000; t < 130_000; t += 600) {
          yield* TestClock.setTime(t)
          while (yield* consume("token-bucket", 1)) granted.bucket.push(t)
        }
        expect(maxInAnyWindow(granted.fixed, window)).toBe(99)
        expect(maxInAnyWindow(granted.bucket, window)).toBe(99)

        // The same greedy schedule against the sliding log.
        const ours: Array<number> = []
        yield* withLimiter(
          exact,
          Effect.gen(function* () {
            const limiter = yield* Limiter
            for (let t = 200_000; t < 260_000; t += 600) {
              yield* TestClock.setTime(t)
              while (Exit.isSuccess(yield* Effect.exit(limiter.tryAcquire("history")))) ours.push(t)
            }
          })
        )
        expect(maxInAnyWindow(ours, window)).toBe(50)
        expect(ours.length).toBe(100)
      }).pipe(Effect.provide(effectLimiter))
    )
  })
})

const storeDown = new EffectRateLimiter.RateLimiterError({
  reason: new EffectRateLimiter.RateLimitStoreError({ message: "down" })
})
