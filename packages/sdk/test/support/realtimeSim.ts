// The composed SDK with both hubs against a fresh simulator over loopback. The market clock is live from
// the current wall time (so quotes flow and REST windows computed from the SDK's Clock cover the
// simulator's timestamps), trading is open around the clock, and the watchdog treats every hour as in
// session, so the tests pass at any hour of the week.
import { Simulator, type SimulatorAdmin } from "@projectx-effect/simulator"
import { Effect, Layer, References, Stream } from "effect"
import * as ProjectX from "../../src/ProjectX.ts"
import type { RealtimeOptions } from "../../src/realtime/Options.ts"

export const MAIN_ACCOUNT = 1001

export interface RealtimeSimOptions {
  readonly realtime?: RealtimeOptions
  readonly sim?: Simulator.Options
}

export const realtimeSim = (options: RealtimeSimOptions = {}) =>
  Layer.unwrap(
    Simulator.Simulator.useSync((sim) =>
      ProjectX.layer({
        apiUrl: sim.url,
        username: Simulator.credentials.userName,
        apiKey: Simulator.credentials.apiKey,
        accountName: "PRAC-V2-DEMO-1",
        requestTimeout: "5 seconds",
        retry: { base: "5 millis", cap: "50 millis" },
        rateLimits: { general: { limit: 1_000_000, window: "60 seconds" } },
        realtime: {
          marketOpen: () => true,
          reconnect: { base: "50 millis", cap: "500 millis" },
          logoutBackoff: { base: "100 millis", cap: "1 second" },
          ...options.realtime
        }
      })
    )
  ).pipe(
    Layer.merge(Layer.succeed(References.MinimumLogLevel, "Error")),
    Layer.provideMerge(
      Simulator.layer({
        seed: 11,
        clock: { mode: "live", start: Date.now() },
        tradingHours: "always",
        rateLimit: { enabled: false },
        ...options.sim
      })
    )
  )

/** Runs an admin call. */
export const adminDo = <A>(f: (admin: SimulatorAdmin.Client) => Promise<A>) =>
  Effect.flatMap(
    Simulator.Simulator.useSync((sim) => sim.admin),
    (a) => Effect.promise(() => f(a))
  )

/**
 * Runs `stream` in the background, collecting every element; `take` reads what arrived so far and
 * `until` polls (no fixed sleeps) until `check` finds what it wants or `timeoutMs` passes.
 */
export const collect = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.gen(function* () {
    const seen: Array<A> = []
    let failure: E | undefined
    yield* Effect.forkScoped(
      Stream.runForEach(stream, (a) => Effect.sync(() => seen.push(a))).pipe(
        Effect.catch((e) => Effect.sync(() => (failure = e)))
      )
    )
    const until = <B>(what: string, check: (seen: ReadonlyArray<A>) => B | undefined, timeoutMs = 30_000) =>
      Effect.gen(function* () {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const found = check(seen)
          if (found !== undefined) return found
          if (failure !== undefined)
            return yield* Effect.die(new Error(`stream failed while waiting for ${what}: ${String(failure)}`))
          if (Date.now() > deadline)
            return yield* Effect.die(new Error(`timed out waiting for ${what} (${seen.length} seen)`))
          yield* Effect.sleep("20 millis")
        }
      })
    return { seen, until, failure: () => failure }
  })
