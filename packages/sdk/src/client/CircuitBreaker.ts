/**
 * One circuit per endpoint group (Auth, Account, Contract, History, Order, Position, Trade), on Effect's
 * `effect/persistence/CircuitBreaker`: a run of transport failures, timeouts or 5xx opens the group's
 * circuit, calls then fail at once without a request, a half-open probe tests recovery. Business
 * rejections, 4xx, 401 and 429 say nothing about the Gateway's health and are ignored. Transitions are
 * logged and counted; states are readable for health.
 */
import { Context, Duration, Effect, Layer, Schedule, Stream } from "effect"
import * as Breaker from "effect/persistence/CircuitBreaker"
import { CircuitOpen as CircuitOpenReason, GatewayError, type Reason } from "./Errors.ts"
import * as Metrics from "../observability/Metrics.ts"
import { ProjectXConfig } from "./ProjectXConfig.ts"

export type GroupState =
  | { readonly _tag: "Closed" }
  | { readonly _tag: "Open"; readonly retryAfterMs: number; readonly consecutiveOpenings: number }
  | { readonly _tag: "HalfOpen"; readonly probing: boolean }

export interface Transition {
  readonly group: string
  readonly from: string
  readonly to: string
}

/** The group an endpoint belongs to: the first segment of its path after /api ("Order"). */
export const groupOf = (path: string): string => path.split("/")[2] ?? "Other"

/** Whether a failure counts against the Gateway's health. */
export const countsAsFailure = (reason: Reason): boolean =>
  reason._tag === "Transport" || reason._tag === "Timeout" || (reason._tag === "HttpStatus" && reason.status >= 500)

const metricState = (state: string): Metrics.BreakerState =>
  state === "Open" ? "open" : state === "HalfOpen" ? "half_open" : "closed"

export class CircuitBreaker extends Context.Service<
  CircuitBreaker,
  {
    /** Runs `effect` under the group's circuit; an open circuit fails with a `CircuitOpen` reason. */
    readonly protect: (
      group: string,
      operation: string
    ) => <A, R>(effect: Effect.Effect<A, GatewayError, R>) => Effect.Effect<A, GatewayError, R>
    readonly state: (group: string) => Effect.Effect<GroupState>
    /** Every group that has been used, with its state. */
    readonly states: Effect.Effect<Record<string, GroupState>>
    /** Transitions made so far (most recent last, bounded). */
    readonly transitions: Effect.Effect<ReadonlyArray<Transition>>
  }
>()("@projectx-effect/sdk/CircuitBreaker") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ProjectXConfig
    const breaker = yield* Breaker.make({
      tripPolicy: Breaker.consecutive(config.breaker.failures),
      // Exponential, jittered, capped: a flapping Gateway is probed less and less often, never in lockstep.
      openDuration: Schedule.exponential(config.breaker.openDuration).pipe(
        Schedule.jittered,
        Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, config.breaker.maxOpen)))
      ),
      maxOpenDuration: config.breaker.maxOpen
    })
    const groups = new Set<string>()
    const history: Array<Transition> = []
    yield* breaker.transitions.pipe(
      Stream.runForEach((t) => {
        const transition = { group: t.key, from: t.from, to: t.to }
        history.push(transition)
        if (history.length > 100) history.shift()
        const level = t.to === "Open" ? Effect.logWarning : Effect.logInfo
        return level(`circuit ${t.key}: ${t.from} → ${t.to}`).pipe(
          Effect.annotateLogs({ group: t.key, from: t.from, to: t.to }),
          Effect.andThen(
            Metrics.recordBreakerTransition({ group: t.key, from: metricState(t.from), to: metricState(t.to) })
          )
        )
      }),
      Effect.forkScoped
    )
    const toState = (state: Breaker.State): GroupState =>
      state._tag === "Closed"
        ? { _tag: "Closed" }
        : state._tag === "Open"
          ? {
              _tag: "Open",
              retryAfterMs: Duration.toMillis(state.retryAfter),
              consecutiveOpenings: state.consecutiveOpenings
            }
          : { _tag: "HalfOpen", probing: state.probing }
    const state = (group: string) =>
      breaker.state(group).pipe(
        Effect.map(toState),
        Effect.orElseSucceed((): GroupState => ({ _tag: "Closed" }))
      )
    const protect =
      (group: string, operation: string) =>
      <A, R>(effect: Effect.Effect<A, GatewayError, R>): Effect.Effect<A, GatewayError, R> => {
        groups.add(group)
        return effect.pipe(
          breaker.execute({
            key: group,
            classify: (exit) => {
              if (exit._tag === "Success") return Breaker.success
              const error = exit.cause.reasons.find((r) => r._tag === "Fail")
              if (error === undefined || error._tag !== "Fail") return Breaker.failure()
              return countsAsFailure(error.error.reason) ? Breaker.failure() : Breaker.ignored
            }
          }),
          Effect.catchIf(
            (e): e is Breaker.CircuitBreakerError => e instanceof Breaker.CircuitBreakerError,
            (e) =>
              e.reason._tag === "CircuitBreakerStoreError"
                ? Effect.die(e)
                : Effect.fail(
                    new GatewayError({
                      operation,
                      reason: CircuitOpenReason.make({
                        group,
                        retryAfterMs: e.reason._tag === "CircuitOpen" ? Duration.toMillis(e.reason.retryAfter) : 100
                      })
                    })
                  )
          )
        ) as Effect.Effect<A, GatewayError, R>
      }
    return CircuitBreaker.of({
      protect,
      state,
      states: Effect.gen(function* () {
        const out: Record<string, GroupState> = {}
        for (const group of groups) out[group] = yield* state(group)
        return out
      }),
      transitions: Effect.sync(() => history.slice())
    })
  })

  /** The default memory store; swap `Breaker.layerStoreRedis` in to share circuits across processes. */
  static readonly layer = Layer.effect(CircuitBreaker, CircuitBreaker.make).pipe(
    Layer.provide(Breaker.layerStoreMemory())
  )

  static readonly layerWithoutStore = Layer.effect(CircuitBreaker, CircuitBreaker.make)
}
