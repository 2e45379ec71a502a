/** The SDK over real loopback HTTP against a fresh simulator, for integration tests. */
import { Simulator, type SimulatorAdmin } from "@projectx-effect/simulator"
import { Effect, Layer } from "effect"
import * as ProjectX from "../../src/ProjectX.ts"
import type { ProjectXOptions } from "../../src/client/ProjectXConfig.ts"

export type SimOptions = Simulator.Options

/** A simulator, and the SDK pointed at it with the seeded demo credentials. */
export const withSdk = (
  overrides: Partial<ProjectXOptions> & ProjectX.LayerOptions = {},
  simOptions: SimOptions = {}
) =>
  Layer.unwrap(
    Simulator.Simulator.useSync((sim) =>
      ProjectX.layer({
        apiUrl: sim.url,
        username: Simulator.credentials.userName,
        apiKey: Simulator.credentials.apiKey,
        retry: { base: "5 millis", cap: "50 millis", ...overrides.retry },
        ...overrides
      })
    )
  ).pipe(Layer.provideMerge(Simulator.layer({ tradingHours: "always", ...simOptions })))

/** The simulator's admin client. */
export const admin: Effect.Effect<SimulatorAdmin.Client, never, Simulator.Simulator> = Simulator.Simulator.useSync(
  (sim) => sim.admin
)

export const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** Requests the simulator received for an endpoint key ("searchAccounts"). */
export const requests = (key: string) =>
  Effect.flatMap(admin, (a) => Effect.promise(() => a.stats())).pipe(Effect.map((s) => s.endpoints[key]?.requests ?? 0))
