/**
 * One circuit per endpoint group (Auth, Account, Contract, History, Order, Position, Trade): a run of
 * transport failures, timeouts or 5xx opens the group's circuit, calls then fail at once without a
 * request, a half-open probe tests recovery. Business rejections, 4xx, 401 and 429 say nothing about the
 * Gateway's health and are ignored. Transitions are logged and counted; states are readable for health.
 * The default `layer` keeps the circuits in process (internal/circuitLocal.ts, Effect's state machine
 * without its per-call machinery); `layerWithoutStore` runs Effect's `effect/persistence/CircuitBreaker`
 * over any `CircuitBreakerStore`, e.g. Redis to share circuits across processes.
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Breaker from "effect/persistence/CircuitBreaker"
import { CircuitOpen as CircuitOpenReason, GatewayError, type Reason } from "./Errors.ts"
import { type Admitted, Circuit, jitteredExponential, type Outcome } from "./internal/circuitLocal.ts"
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

type Shape = Context.Service.Shape<typeof CircuitBreaker>

/**
 * How an ended call counts: a failure only when it says the Gateway is unwell. An interruption says nothing
 * (a caller's race or timeout cancelled it; the transport's own deadline fails with `Timeout`); a defect
 * counts, to be safe.
 */
const outcomeOfCause = (cause: Cause.Cause<GatewayError>): Outcome => {
  const reasons = cause.reasons
  const error = reasons.find((r) => r._tag === "Fail")
  if (error !== undefined && error._tag === "Fail") return countsAsFailure(error.error.reason) ? "Failure" : "Ignored"
  return reasons.length > 0 && reasons.every((r) => r._tag === "Interrupt") ? "Ignored" : "Failure"
}

const outcomeOf = (exit: Exit.Exit<unknown, GatewayError>): Outcome =>
  exit._tag === "Success" ? "Success" : outcomeOfCause(exit.cause)

const circuitOpen = (operation: string, group: string, retryAfterMs: number) =>
  new GatewayError({ operation, reason: CircuitOpenReason.make({ group, retryAfterMs }) })

/** What both implementations share: the bounded transition history, its logs and metrics, the service. */
const makeJournal = () => {
  const history: Array<Transition> = []
  const publish = (group: string, from: string, to: string) =>
    Effect.suspend(() => {
      history.push({ group, from, to })
      if (history.length > 100) history.shift()
      const level = to === "Open" ? Effect.logWarning : Effect.logInfo
      return level(`circuit ${group}: ${from} → ${to}`).pipe(
        Effect.annotateLogs({ group, from, to }),
        Effect.andThen(Metrics.recordBreakerTransition({ group, from: metricState(from), to: metricState(to) }))
      )
    })
  const finish = (
    state: (group: string) => Effect.Effect<GroupState>,
    protect: Shape["protect"],
    /** The groups used so far. */
    groups: () => Iterable<string>
  ) =>
    CircuitBreaker.of({
      protect,
      state,
      states: Effect.gen(function* () {
        const out: Record<string, GroupState> = {}
        for (const group of groups()) out[group] = yield* state(group)
        return out
      }),
      transitions: Effect.sync(() => history.slice())
    })
  return { publish, finish }
}

const noJitter = () => 0.5

/** The circuits in this process (see internal/circuitLocal.ts for why they are not Effect's). */
const makeLocal = Effect.gen(function* () {
  const config = yield* ProjectXConfig
  const openDuration = jitteredExponential(
    Duration.toMillis(config.breaker.openDuration),
    Duration.toMillis(config.breaker.maxOpen)
  )
  const circuits = new Map<string, Circuit>()
  const circuitOf = (group: string) => {
    let circuit = circuits.get(group)
    if (circuit === undefined) {
      circuit = new Circuit(config.breaker.failures, openDuration)
      circuits.set(group, circuit)
    }
    return circuit
  }
  const journal = makeJournal()
  /** Applies an outcome that may open the circuit (it needs the clock and, to open, a random number). */
  const settle = (group: string, circuit: Circuit, admission: Admitted, outcome: Outcome) =>
    Clock.clockWith((clock) =>
      Effect.flatMap(Effect.service(Random.Random), (random) => {
        const t = circuit.record(admission, outcome, clock.currentTimeMillisUnsafe(), () => random.nextDoubleUnsafe())
        return t === undefined ? Effect.void : journal.publish(group, t.from, t.to)
      })
    )
  const protect = (group: string, operation: string) => {
    const circuit = circuitOf(group)
    // The usual case, a closed circuit with no openings to forget: no clock, no finalizer. An interrupted
    // call records nothing, which is what an ignored outcome does to a closed circuit.
    const closed = <A, R>(effect: Effect.Effect<A, GatewayError, R>) => {
      const admission = circuit.admitClosed()
      return Effect.matchCauseEffect(effect, {
        onSuccess: (value) => {
          circuit.record(admission, "Success", 0, noJitter)
          return Effect.succeed(value)
        },
        onFailure: (cause) => {
          const outcome = outcomeOfCause(cause)
          if (outcome === "Failure") {
            return Effect.andThen(settle(group, circuit, admission, outcome), Effect.failCause(cause))
          }
          circuit.record(admission, outcome, 0, noJitter)
          return Effect.failCause(cause)
        }
      })
    }
    // Anything else: the clock decides (an open circuit's deadline, a probe), and a probe's end is a
    // finalizer, so an interrupted probe lets the next call probe.
    const guarded = <A, R>(effect: Effect.Effect<A, GatewayError, R>) =>
      Clock.clockWith((clock) => {
        const admission = circuit.admit(clock.currentTimeMillisUnsafe())
        if (admission._tag === "Rejected") {
          return Effect.fail(circuitOpen(operation, group, admission.retryAfterMs ?? 100))
        }
        const run = Effect.onExit(effect, (exit) => settle(group, circuit, admission, outcomeOf(exit)))
        return admission.transition === undefined
          ? run
          : Effect.andThen(journal.publish(group, admission.transition.from, admission.transition.to), run)
      })
    return <A, R>(effect: Effect.Effect<A, GatewayError, R>): Effect.Effect<A, GatewayError, R> =>
      Effect.suspend(() =>
        circuit.state === "Closed" && circuit.consecutiveOpenings === 0 ? closed(effect) : guarded(effect)
      )
  }
  const state = (group: string) =>
    Clock.clockWith((clock) => {
      const circuit = circuits.get(group)
      const now = clock.currentTimeMillisUnsafe()
      return Effect.succeed<GroupState>(
        circuit === undefined || circuit.state === "Closed"
          ? { _tag: "Closed" }
          : circuit.state === "Open"
            ? {
                _tag: "Open",
                retryAfterMs: Math.max(0, circuit.openUntil - now),
                consecutiveOpenings: circuit.consecutiveOpenings
              }
            : { _tag: "HalfOpen", probing: circuit.probing }
      )
    })
  return journal.finish(state, protect, () => circuits.keys())
})

/** Effect's breaker over the provided `CircuitBreakerStore` (memory, Redis, ...). */
const makeStored = Effect.gen(function* () {
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
  const journal = makeJournal()
  yield* breaker.transitions.pipe(
    Stream.runForEach((t) => journal.publish(t.key, t.from, t.to)),
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
  const classify = (exit: Exit.Exit<unknown, GatewayError>) => {
    const outcome = outcomeOf(exit)
    return outcome === "Success" ? Breaker.success : outcome === "Failure" ? Breaker.failure() : Breaker.ignored
  }
  const groups = new Set<string>()
  const protect = (group: string, operation: string) => {
    groups.add(group)
    return <A, R>(effect: Effect.Effect<A, GatewayError, R>): Effect.Effect<A, GatewayError, R> =>
      effect.pipe(
        breaker.execute({ key: group, classify }),
        Effect.catchIf(
          (e): e is Breaker.CircuitBreakerError => e instanceof Breaker.CircuitBreakerError,
          (e) =>
            e.reason._tag === "CircuitBreakerStoreError"
              ? Effect.die(e)
              : Effect.fail(
                  circuitOpen(
                    operation,
                    group,
                    e.reason._tag === "CircuitOpen" ? Duration.toMillis(e.reason.retryAfter) : 100
                  )
                )
        )
      ) as Effect.Effect<A, GatewayError, R>
  }
  return journal.finish(state, protect, () => groups)
})

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
  /** Effect's breaker over the `CircuitBreakerStore` in context. */
  static readonly make = makeStored

  /** Circuits in this process. */
  static readonly makeInProcess = makeLocal

  /** The default: circuits in this process, each call's admission and outcome a few field updates. */
  static readonly layer = Layer.effect(CircuitBreaker, makeLocal)

  /** Effect's breaker over a `CircuitBreakerStore` you provide, e.g. `Breaker.layerStoreRedis` to share circuits. */
  static readonly layerWithoutStore = Layer.effect(CircuitBreaker, makeStored)
}
