// The in-process circuits (CircuitBreaker.layer) against Effect's breaker over its memory store
// (CircuitBreaker.layerWithoutStore): the same random scripts of overlapping calls, outcomes and clock
// moves must give the same admissions, states and transitions, step by step.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Random, References } from "effect"
import * as Breaker from "effect/persistence/CircuitBreaker"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { CircuitBreaker } from "../src/client/CircuitBreaker.ts"
import { GatewayError, HttpStatus, Rejected, Transport } from "../src/client/Errors.ts"
import { ProjectXConfig } from "../src/client/ProjectXConfig.ts"

const config = ProjectXConfig.layer({
  apiUrl: "http://127.0.0.1:9",
  username: "user",
  apiKey: "k-123456789012",
  breaker: { failures: 3, openDuration: "1 second", maxOpen: "10 seconds" }
})
const local = CircuitBreaker.layer.pipe(Layer.provide(config))
const stored = CircuitBreaker.layerWithoutStore.pipe(Layer.provide(Layer.mergeAll(config, Breaker.layerStoreMemory())))

// A fixed jitter (the middle of its range): Effect replays its schedule once per opening, drawing a
// random number each time, so only a constant source makes both draw the same delays.
const fixedRandom = { nextDoubleUnsafe: () => 0.5, nextIntUnsafe: () => 0 }

type Ending = "ok" | "transport" | "5xx" | "rejected" | "defect"

type Step =
  | { readonly _tag: "start"; readonly group: "Order" | "History" }
  | { readonly _tag: "end"; readonly pick: number; readonly ending: Ending }
  | { readonly _tag: "wait"; readonly ms: number }
  | { readonly _tag: "interrupt"; readonly pick: number }

// Dense in what matters: failures often enough to open, waits around the open durations (1 s, 2 s, 4 s ...)
// so probes start, and calls kept in flight across an opening so stale outcomes arrive.
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("start" as const),
      group: fc.constantFrom<"Order" | "History">("Order", "Order", "Order", "History")
    })
  },
  {
    weight: 3,
    arbitrary: fc.record({
      _tag: fc.constant("end" as const),
      pick: fc.nat(),
      ending: fc.constantFrom<Ending>("ok", "ok", "transport", "transport", "5xx", "rejected", "defect")
    })
  },
  // A caller cancelling (a race, its own timeout): says nothing about the Gateway, and frees a probe.
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("interrupt" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      _tag: fc.constant("wait" as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constantFrom(800, 1_000, 1_200, 2_000, 4_000, 9_000))
    })
  }
)

const endWith = (ending: Ending): Effect.Effect<string, GatewayError> => {
  switch (ending) {
    case "ok":
      return Effect.succeed("ok")
    case "transport":
      return Effect.fail(new GatewayError({ operation: "T", reason: Transport.make({ message: "reset", sent: true }) }))
    case "5xx":
      return Effect.fail(new GatewayError({ operation: "T", reason: HttpStatus.make({ status: 503, body: "" }) }))
    case "rejected":
      return Effect.fail(
        new GatewayError({
          operation: "T",
          reason: Rejected.make({ code: 2, name: "Unknown", message: null })
        })
      )
    case "defect":
      return Effect.die("boom")
  }
}

/** Runs a script against one implementation; returns what a caller could observe after each step. */
const run = (script: ReadonlyArray<Step>) =>
  Effect.gen(function* () {
    const breaker = yield* CircuitBreaker
    const inFlight: Array<{
      readonly gate: Deferred.Deferred<Ending>
      readonly fiber: Fiber.Fiber<string, GatewayError>
    }> = []
    const seen: Array<unknown> = []
    for (const s of script) {
      if (s._tag === "wait") {
        yield* TestClock.adjust(s.ms)
        seen.push("waited")
      } else if (s._tag === "start") {
        const gate = yield* Deferred.make<Ending>()
        const fiber = yield* Deferred.await(gate).pipe(
          Effect.flatMap(endWith),
          breaker.protect(s.group, "T"),
          Effect.forkChild({ startImmediately: true })
        )
        yield* Effect.yieldNow
        // A call refused by an open circuit has ended already.
        const ended = fiber.pollUnsafe()
        if (ended === undefined) inFlight.push({ gate, fiber })
        else seen.push(describeExit(ended))
      } else if (inFlight.length > 0) {
        const [call] = inFlight.splice(s.pick % inFlight.length, 1)
        if (s._tag === "interrupt") yield* Fiber.interrupt(call!.fiber)
        else yield* Deferred.succeed(call!.gate, s.ending)
        seen.push(describeExit(yield* Fiber.await(call!.fiber)))
      }
      seen.push(yield* breaker.states)
    }
    seen.push(yield* breaker.transitions)
    return seen
  }).pipe(Effect.provideService(Random.Random, fixedRandom))

const describeExit = (exit: Exit.Exit<string, GatewayError>) =>
  Exit.isSuccess(exit)
    ? "ok"
    : (exit.cause.reasons.map((r) =>
        r._tag === "Fail" ? r.error.reason._tag + JSON.stringify(r.error.reason) : r._tag
      )[0] ?? "empty")

describe("CircuitBreaker.layer (in process)", () => {
  it("agrees with Effect's breaker on random scripts of overlapping calls, outcomes and clock moves", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 120, size: "max" }), async (script) => {
        const once = (layer: typeof local) =>
          Effect.runPromise(
            Effect.scoped(run(script)).pipe(
              Effect.provide(layer.pipe(Layer.provideMerge(TestClock.layer()))),
              Effect.provideService(References.MinimumLogLevel, "None")
            )
          )
        expect(await once(local)).toEqual(await once(stored))
      }),
      { numRuns: 200 }
    )
  })

  it("opens after the configured failures in a row, refuses without running the call, then probes once", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker
      let ran = 0
      const call = (ending: Ending) =>
        Effect.suspend(() => {
          ran++
          return endWith(ending)
        }).pipe(breaker.protect("Order", "Order/place"), Effect.exit)
      yield* call("transport")
      yield* call("ok") // a success resets the streak
      for (let i = 0; i < 3; i++) yield* call("5xx")
      expect((yield* breaker.state("Order"))._tag).toBe("Open")
      const refused = yield* call("ok")
      expect(ran).toBe(5)
      expect(refused).toEqual(
        Exit.fail(
          expect.objectContaining({
            operation: "Order/place",
            reason: expect.objectContaining({ _tag: "CircuitOpen" })
          })
        )
      )
      yield* TestClock.adjust(1_000)
      expect(yield* call("ok")).toEqual(Exit.succeed("ok"))
      expect(yield* breaker.state("Order")).toEqual({ _tag: "Closed" })
      expect((yield* breaker.transitions).map((t) => `${t.from}→${t.to}`)).toEqual([
        "Closed→Open",
        "Open→HalfOpen",
        "HalfOpen→Closed"
      ])
    }).pipe(
      Effect.provide(local.pipe(Layer.provideMerge(TestClock.layer()))),
      Effect.provideService(Random.Random, fixedRandom),
      Effect.provideService(References.MinimumLogLevel, "None"),
      Effect.runPromise
    ))

  it("a cancelled call does not count against the circuit, and a cancelled probe lets the next call probe", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker
      const hanging = () =>
        Effect.never.pipe(breaker.protect("Order", "Order/place"), Effect.forkChild({ startImmediately: true }))
      // More cancelled calls than `failures`: the circuit stays closed.
      for (let i = 0; i < 5; i++) yield* Fiber.interrupt(yield* hanging())
      expect(yield* breaker.state("Order")).toEqual({ _tag: "Closed" })
      // Open it, let it go half-open, cancel the probe: the next call is the probe, not refused.
      for (let i = 0; i < 3; i++) yield* Effect.exit(endWith("transport").pipe(breaker.protect("Order", "T")))
      yield* TestClock.adjust(1_000)
      const probe = yield* hanging()
      expect(yield* breaker.state("Order")).toEqual({ _tag: "HalfOpen", probing: true })
      yield* Fiber.interrupt(probe)
      expect(yield* breaker.state("Order")).toEqual({ _tag: "HalfOpen", probing: false })
      expect(yield* Effect.exit(endWith("ok").pipe(breaker.protect("Order", "T")))).toEqual(Exit.succeed("ok"))
      expect(yield* breaker.state("Order")).toEqual({ _tag: "Closed" })
    }).pipe(
      Effect.provide(local.pipe(Layer.provideMerge(TestClock.layer()))),
      Effect.provideService(Random.Random, fixedRandom),
      Effect.provideService(References.MinimumLogLevel, "None"),
      Effect.runPromise
    ))
})
