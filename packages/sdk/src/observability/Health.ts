/**
 * One call answers "is the SDK healthy?": session expiry, circuit state per endpoint group, rate-limit
 * budget per bucket, bar-cache statistics, HTTP pool use and error counters (the v3.3.0 review's
 * connection-health item, which project-x-py never shipped). No token or key is ever part of it.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Context, DateTime, Duration, Effect, Layer, Option } from "effect"
import { Auth } from "../client/Auth.ts"
import * as BarCacheModule from "../market/BarCache.ts"
import { CircuitBreaker, type GroupState } from "../client/CircuitBreaker.ts"
import { GatewayClient, type TransportStats } from "../client/GatewayClient.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { RateLimiter } from "../client/RateLimiter.ts"

export interface PoolStats {
  readonly origin: string
  readonly connected: number
  readonly free: number
  readonly pending: number
  readonly queued: number
  readonly running: number
  readonly size: number
}

export interface HealthReport {
  readonly checkedAt: Date
  readonly gateway: string
  readonly session:
    | { readonly state: "none" }
    | {
        readonly state: "valid" | "refresh-due" | "expired"
        readonly expiresAt: Date
        readonly refreshAt: Date
        readonly expiresInMs: number
        readonly logins: number
        readonly validations: number
      }
  readonly breakers: Readonly<Record<string, GroupState>>
  readonly rateLimits: Readonly<Record<"history" | "general", RateLimitState>>
  readonly cache: BarCacheModule.Stats
  readonly http: { readonly pools: ReadonlyArray<PoolStats>; readonly maxConnectionsPerOrigin: number }
  readonly requests: TransportStats
  /** False when a circuit is open or the session has expired. */
  readonly healthy: boolean
}

export interface RateLimitState {
  readonly limit: number
  readonly windowMs: number
  readonly used: number
  readonly available: number
  readonly queued: number
  readonly pausedUntil: Date | undefined
}

/** `check` plus a round trip to `Status/ping` (one request from the general bucket, no session needed). */
export interface ProbeReport extends HealthReport {
  readonly ping:
    | { readonly ok: true; readonly latencyMs: number }
    | { readonly ok: false; readonly latencyMs: number; readonly error: string }
}

export class Health extends Context.Service<
  Health,
  {
    /** Everything the SDK knows, without a request. */
    readonly check: Effect.Effect<HealthReport>
    /** `check` plus a `Status/ping` round trip. */
    readonly probe: Effect.Effect<ProbeReport>
  }
>()("@projectx-effect/sdk/Health") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ProjectXConfig
    const auth = yield* Auth
    const breaker = yield* CircuitBreaker
    const limiter = yield* RateLimiter
    const cache = yield* BarCacheModule.BarCache
    const client = yield* GatewayClient
    const dispatcher = yield* Effect.serviceOption(NodeHttpClient.Dispatcher)

    const bucket = (name: "history" | "general") =>
      limiter.state(name).pipe(
        Effect.map(
          (s): RateLimitState => ({
            limit: s.limit,
            windowMs: Duration.toMillis(s.window),
            used: s.used,
            available: s.available,
            queued: s.queued,
            pausedUntil: s.pausedUntil === undefined ? undefined : DateTime.toDate(s.pausedUntil)
          })
        ),
        Effect.orDie
      )

    const pools = (): ReadonlyArray<PoolStats> => {
      if (Option.isNone(dispatcher)) return []
      const stats = (dispatcher.value as { stats?: Record<string, Partial<PoolStats>> }).stats ?? {}
      return Object.entries(stats).map(([origin, s]) => ({
        origin,
        connected: s.connected ?? 0,
        free: s.free ?? 0,
        pending: s.pending ?? 0,
        queued: s.queued ?? 0,
        running: s.running ?? 0,
        size: s.size ?? 0
      }))
    }

    const check = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const session = yield* auth.session
      const breakers = yield* breaker.states
      const report: HealthReport = {
        checkedAt: new Date(now),
        gateway: config.urls.api,
        session: Option.match(session, {
          onNone: () => ({ state: "none" as const }),
          onSome: (s) => ({
            state:
              now >= s.expiresAt
                ? ("expired" as const)
                : now >= s.refreshAt
                  ? ("refresh-due" as const)
                  : ("valid" as const),
            expiresAt: new Date(s.expiresAt),
            refreshAt: new Date(s.refreshAt),
            expiresInMs: s.expiresAt - now,
            logins: s.logins,
            validations: s.validations
          })
        }),
        breakers,
        rateLimits: { history: yield* bucket("history"), general: yield* bucket("general") },
        cache: yield* cache.stats,
        http: { pools: pools(), maxConnectionsPerOrigin: config.pool.connections },
        requests: yield* client.stats,
        healthy:
          !Object.values(breakers).some((b) => b._tag === "Open") &&
          !(Option.isSome(session) && now >= session.value.expiresAt)
      }
      return report
    }).pipe(Effect.withSpan("Health.check"))

    const probe = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const ping = yield* client.ping.pipe(Effect.timeoutOption("5 seconds"), Effect.result)
      const latencyMs = (yield* Clock.currentTimeMillis) - started
      const report = yield* check
      const result: ProbeReport["ping"] =
        ping._tag === "Success" && ping.success._tag === "Some"
          ? { ok: true, latencyMs }
          : {
              ok: false,
              latencyMs,
              error: ping._tag === "Failure" ? ping.failure.message : "no answer within 5 s"
            }
      return { ...report, ping: result, healthy: report.healthy && result.ok }
    }).pipe(Effect.withSpan("Health.probe"))

    return Health.of({ check, probe })
  })

  static readonly layer = Layer.effect(Health, Health.make)
}
