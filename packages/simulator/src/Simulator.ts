/**
 * A local ProjectX Gateway: the same paths, envelopes, error codes, JWTs and rate limits as TopstepX,
 * a deterministic market, a matching engine, fault injection and an admin API. Run it as a Layer
 * (`Simulator.layer(options)`), from plain TypeScript (`await Simulator.start(options)`), or as the
 * `projectx-sim` command.
 *
 * @example
 * ```ts
 * const sim = await Simulator.start({ seed: 42, clock: { mode: "fixed", start: "2025-11-19T15:30:00Z" } })
 * const res = await fetch(`${sim.url}/api/Auth/loginKey`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify(Simulator.credentials)
 * })
 * await sim.stop()
 * ```
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { parseTimestamp } from "@projectx-effect/gateway"
import { Clock, Context, Effect, Layer, ManagedRuntime } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import type { ServeError } from "effect/http/HttpServerError"
import { registerAdmin } from "./internal/Admin.ts"
import type { EngineOptions } from "./internal/Engine.ts"
import type { FaultRule } from "./internal/Faults.ts"
import { hashString } from "./internal/Hash.ts"
import { registerApi } from "./internal/Http.ts"
import type { HubSettings } from "./internal/hubs/HubServer.ts"
import { registerHubs } from "./internal/hubs/Routes.ts"
import type { DayBars, TradingHours } from "./internal/Market.ts"
import { type BucketLimit, defaultRateLimits } from "./internal/RateLimits.ts"
import type { ClockMode } from "./internal/SimClock.ts"
import { type Config, SimState } from "./internal/State.ts"
import * as Seed from "./Seed.ts"
import * as SimulatorAdmin from "./SimulatorAdmin.ts"

/** An instant: ISO-8601 text, epoch milliseconds or a Date. */
export type Instant = string | number | Date

export interface Options {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number | undefined
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string | undefined
  /** Seeds the market, the contract search order and the fault PRNG (default 42). */
  readonly seed?: number | string | undefined
  /**
   * The market clock. `live` (default) follows wall time, shifted so it starts at `start` when given;
   * `fixed` stays at `start` until moved through the admin API.
   */
  readonly clock?: { readonly mode?: ClockMode | undefined; readonly start?: Instant | undefined } | undefined
  /** JWT lifetime (default 86,400 s, as on TopstepX). */
  readonly tokenLifetimeSeconds?: number | undefined
  /** Rate limits (default: sliding windows, History 50/30 s, others 200/60 s, per token). */
  readonly rateLimit?:
    | {
        readonly enabled?: boolean | undefined
        readonly mode?: "sliding" | "fixed" | undefined
        /** Multiplies every window: 0.01 makes a 60 s window last 600 ms. */
        readonly timeScale?: number | undefined
        readonly history?: Partial<BucketLimit> | undefined
        readonly general?: Partial<BucketLimit> | undefined
      }
    | undefined
  /** Fault rules active from the start (see SimulatorAdmin.FaultRule). */
  readonly faults?: ReadonlyArray<FaultRule> | undefined
  /** Seeds the PRNG behind fault probabilities (default: derived from `seed`). */
  readonly faultSeed?: number | undefined
  /** First day with bars (default 2020-01-01). */
  readonly historyStart?: Instant | undefined
  /**
   * `cme` (default): CME Globex hours, Sunday 17:00 to Friday 16:00 America/Chicago with the daily
   * halt 16:00–17:00 CT and the CME holiday table (2025–2027); `always`: never closes.
   */
  readonly tradingHours?: TradingHours | undefined
  /** Where day, week and month bars cut: `utc` (default, 00:00 UTC as the Gateway's), `session` (17:00 CT). */
  readonly dayBars?: DayBars | undefined
  /**
   * Contract/search also lists the three deferred quarterly months of each root, in a scrambled order
   * (default false: front months only, as the Gateway documents). searchById resolves any month anyway.
   */
  readonly deferredMonths?: boolean | undefined
  /**
   * History/retrieveBars with a limit over 20,000: `reject` (default: code 4 LimitInvalid with a
   * message) or `clamp` (serve 20,000). The real server's choice is not documented.
   */
  readonly barsOverLimit?: "reject" | "clamp" | undefined
  /** Largest quantity a resting order fills per evaluated step (default 50; 0 = no limit). */
  readonly maxFillPerStep?: number | undefined
  /** Whether StopLimit orders are accepted (default "reject": the docs do not list them). */
  readonly stopLimit?: "accept" | "reject" | undefined
  /** Whether Position/closeContract cancels the bracket children too (default false, as observed). */
  readonly closeContractCancelsBrackets?: boolean | undefined
  /** Replace the seeded users (default: Seed.users). */
  readonly users?: ReadonlyArray<Seed.SeedUser> | undefined
  /**
   * The realtime hubs (`/hubs/user`, `/hubs/market`): keep-alive interval, market event rate, depth levels,
   * quote deltas, user-event wrapper, single session, token expiry (see SimulatorAdmin.HubSettings).
   */
  readonly hubs?: Partial<HubSettings> | undefined
}

/** The documented login of the seeded `demo` user, ready to send to `Auth/loginKey`. */
export const credentials = { userName: Seed.demo.userName, apiKey: Seed.demo.apiKey } as const

export interface Shape {
  /** Base URL, e.g. `http://127.0.0.1:51234` (endpoints live under `/api`, the admin API under `/_sim`). */
  readonly url: string
  readonly port: number
  readonly admin: SimulatorAdmin.Client
}

/** A running simulator. */
export class Simulator extends Context.Service<Simulator, Shape>()("@projectx-effect/simulator/Simulator") {}

/** The simulator's state, shared by the API routes, the admin routes and the service. */
class SimulatorState extends Context.Service<SimulatorState, SimState>()("@projectx-effect/simulator/SimulatorState") {}

const toMillis = (input: Instant, what: string): number => {
  const ms = input instanceof Date ? input.getTime() : typeof input === "number" ? input : parseTimestamp(input)
  if (ms === undefined || !Number.isFinite(ms))
    throw new Error(`Simulator: ${what} is not an instant: ${String(input)}`)
  return ms
}

const resolve = (options: Options): Config => {
  const seed = typeof options.seed === "string" ? hashString(options.seed) : (options.seed ?? 42)
  const rl = options.rateLimit ?? {}
  const engine: EngineOptions = {
    maxFillPerStep: options.maxFillPerStep ?? 50,
    stopLimit: options.stopLimit ?? "reject",
    closeCancelsBrackets: options.closeContractCancelsBrackets ?? false
  }
  return {
    seed,
    clockMode: options.clock?.mode ?? "live",
    clockStart: options.clock?.start === undefined ? undefined : toMillis(options.clock.start, "clock.start"),
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 86_400,
    rateLimits: {
      enabled: rl.enabled ?? defaultRateLimits.enabled,
      mode: rl.mode ?? defaultRateLimits.mode,
      timeScale: rl.timeScale ?? defaultRateLimits.timeScale,
      history: { ...defaultRateLimits.history, ...rl.history },
      general: { ...defaultRateLimits.general, ...rl.general }
    },
    faults: options.faults ?? [],
    faultSeed: options.faultSeed ?? (seed ^ 0x5f3759df) >>> 0,
    historyStartMs: toMillis(options.historyStart ?? "2020-01-01T00:00:00Z", "historyStart"),
    tradingHours: options.tradingHours ?? "cme",
    dayBars: options.dayBars ?? "utc",
    deferredMonths: options.deferredMonths ?? false,
    barsOverLimit: options.barsOverLimit ?? "reject",
    engine,
    users: options.users ?? Seed.users,
    hubs: options.hubs ?? {}
  }
}

/**
 * The simulator as a Layer: listens on `options.port` (0 = any free port) while the Layer is in use
 * and provides the `Simulator` service with its URL and an admin client.
 */
export const layer = (options: Options = {}): Layer.Layer<Simulator, ServeError> =>
  Layer.unwrap(
    Effect.sync(() => {
      const config = resolve(options)
      const server = createServer({ keepAliveTimeout: 65_000 })
      // Effect's NodeHttpServer answers every upgrade through its router; hub upgrades are taken before
      // it sees them, so the SignalR connections live on a plain `ws` socket.
      let hubs: SimState | undefined
      const emit = server.emit.bind(server)
      server.emit = ((event: string, ...args: Array<any>) => {
        if (event === "upgrade" && hubs !== undefined && hubs.hubs.handleUpgrade(args[0], args[1], args[2])) return true
        return emit(event, ...args)
      }) as typeof server.emit
      const StateLive = Layer.effect(
        SimulatorState,
        Effect.gen(function* () {
          const clock = yield* Clock.Clock
          const state = new SimState(config, () => clock.currentTimeMillisUnsafe())
          hubs = state
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              hubs = undefined
              state.hubs.shutdown()
            })
          )
          return state
        })
      )
      const Routes = Layer.effectDiscard(
        Effect.gen(function* () {
          const router = yield* HttpRouter.HttpRouter
          const state = yield* SimulatorState
          yield* registerApi(router, state)
          yield* registerAdmin(router, state)
          yield* registerHubs(router, state)
        })
      )
      const Serve = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true })
      const Handle = Layer.effect(
        Simulator,
        Effect.gen(function* () {
          const http = yield* HttpServer.HttpServer
          // Keep-alive clients must not hold the shutdown open.
          yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
          const address = http.address
          const port = "port" in address ? address.port : 0
          const host = options.host ?? "127.0.0.1"
          const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
          return Simulator.of({ url, port, admin: SimulatorAdmin.make(url) })
        })
      )
      return Layer.mergeAll(Serve, Handle).pipe(
        Layer.provide(StateLive),
        Layer.provide(
          NodeHttpServer.layer(() => server, {
            port: options.port ?? 0,
            host: options.host ?? "127.0.0.1",
            gracefulShutdownTimeout: "1 second"
          })
        )
      )
    })
  )

/** A running simulator for non-Effect code: its URL, the admin client's methods, and `stop()`. */
export interface Handle extends SimulatorAdmin.Client {
  readonly url: string
  readonly port: number
  readonly credentials: typeof credentials
  readonly stop: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/** Starts a simulator and resolves once it listens. */
export const start = async (options: Options = {}): Promise<Handle> => {
  const runtime = ManagedRuntime.make(layer(options))
  const sim = await runtime.runPromise(Effect.service(Simulator))
  const stop = () => runtime.dispose()
  return { ...sim.admin, url: sim.url, port: sim.port, credentials, stop, [Symbol.asyncDispose]: stop }
}
