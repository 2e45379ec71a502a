// The composed SDK (`ProjectX.layer`) over real loopback HTTP against a fresh simulator, set up for the
// trading tests: the market clock fixed at the current wall time (so resting orders move only when a
// test moves the price, and the SDK's Clock-based windows cover the simulator's timestamps), trading
// around the clock, and limits raised for bulk tests.
import { Simulator, type SimulatorAdmin } from "@projectx-effect/simulator"
import { Effect, Layer, References } from "effect"
import * as ProjectX from "../../src/ProjectX.ts"
import type { ProjectXOptions } from "../../src/client/ProjectXConfig.ts"

export const MAIN_ACCOUNT = 1001

export interface TradingSimOptions {
  readonly sdk?: Partial<ProjectXOptions>
  readonly sim?: Simulator.Options
  /** Lift both sides' rate limits and the breaker threshold (bulk and fault-injection tests). */
  readonly unthrottled?: boolean
}

export const tradingSim = (options: TradingSimOptions = {}) => {
  const start = Date.now()
  const unthrottled = options.unthrottled === true
  return Layer.unwrap(
    Simulator.Simulator.useSync((sim) =>
      ProjectX.layer({
        apiUrl: sim.url,
        username: Simulator.credentials.userName,
        apiKey: Simulator.credentials.apiKey,
        accountName: "PRAC-V2-DEMO-1",
        requestTimeout: "5 seconds",
        retry: { base: "5 millis", cap: "50 millis" },
        ...(unthrottled
          ? {
              rateLimits: { general: { limit: 1_000_000, window: "60 seconds" } },
              breaker: { failures: 1_000_000 }
            }
          : {}),
        ...options.sdk
      })
    )
  ).pipe(
    // The reconciliation path logs every lost reply; a bulk test would drown the output.
    Layer.merge(Layer.succeed(References.MinimumLogLevel, "Error")),
    Layer.provideMerge(
      Simulator.layer({
        seed: 7,
        clock: { mode: "fixed", start },
        tradingHours: "always",
        ...(unthrottled ? { rateLimit: { enabled: false } } : {}),
        ...options.sim
      })
    )
  )
}

/** The simulator's admin client. */
export const admin: Effect.Effect<SimulatorAdmin.Client, never, Simulator.Simulator> = Simulator.Simulator.useSync(
  (sim) => sim.admin
)

/** Runs an admin call. */
export const adminDo = <A>(f: (admin: SimulatorAdmin.Client) => Promise<A>) =>
  Effect.flatMap(admin, (a) => Effect.promise(() => f(a)))

/** Requests the simulator's API received so far (admin calls excluded). */
export const totalRequests = adminDo((a) => a.stats()).pipe(Effect.map((s) => s.totalRequests))
