/**
 * What the Promise facade needs once a client is made: the composed layer, the service tags and the
 * runtime pieces. `promise.ts` imports this module lazily so `import("@projectx-effect/sdk/promise")`
 * stays cheap (types, enums and error classes only) and the SDK loads when the first client starts.
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Cancelled } from "../client/Errors.ts"
import type { ProjectXOptions } from "../client/ProjectXConfig.ts"
import type * as Telemetry from "../observability/Telemetry.ts"
import * as ProjectX from "../ProjectX.ts"
import type { ListenOptions } from "./promiseOptions.ts"

export { Accounts } from "../trading/Accounts.ts"
export { Auth } from "../client/Auth.ts"
export { Health } from "../observability/Health.ts"
export { Instruments } from "../market/Instruments.ts"
export { MarketData } from "../market/MarketData.ts"
export { Orders } from "../trading/Orders.ts"
export { Positions } from "../trading/Positions.ts"
export { Trades } from "../trading/Trades.ts"
export { MarketHub } from "../realtime/MarketHub.ts"
export { UserHub } from "../realtime/UserHub.ts"
export { DepthBook } from "../state/DepthBook.ts"
export { LiveBars } from "../state/LiveBars.ts"
export { Effect, Fiber, Stream }

/** Completes when `signal` aborts (at once if it already has). */
export const aborted = (signal: AbortSignal): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (signal.aborted) return resume(Effect.void)
    const listener = () => resume(Effect.void)
    signal.addEventListener("abort", listener, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", listener))
  })

export type Runtime = ManagedRuntime.ManagedRuntime<ProjectX.Services, unknown>

export interface TelemetryChoice {
  readonly otlp?: boolean | Telemetry.OtlpOptions
}

/** Effect's OTLP exporter (~20 MB of modules) loads only when something will be exported. */
const otlpLayer = (options: Telemetry.OtlpOptions) =>
  Layer.unwrap(
    Effect.map(
      Effect.promise(() => import("../observability/Telemetry.ts")),
      (Telemetry) => Telemetry.layerOtlp(options)
    )
  )

/**
 * An OTLP endpoint in the standard variables (read through Config like every other setting): what
 * `layerOtlp({ whenConfigured: true })` needs to export at all. Without one it would export nothing.
 */
const endpointConfigured = Effect.map(
  Config.all([
    Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
    Config.option(Config.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
    Config.option(Config.String("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
  ]),
  (endpoints) => endpoints.some((endpoint) => endpoint._tag === "Some")
)

const telemetryLayer = (options: TelemetryChoice) =>
  options.otlp === false
    ? Layer.empty
    : options.otlp === undefined
      ? // The standard OTEL_* variables decide.
        Layer.orDie(
          Layer.unwrap(
            Effect.map(endpointConfigured, (configured) =>
              configured ? otlpLayer({ whenConfigured: true }) : Layer.empty
            )
          )
        )
      : otlpLayer(options.otlp === true ? {} : options.otlp)

/** Per runtime: completes when it is disposed, so every iterator and wait of the facade ends with it. */
const closedSignals = new WeakMap<Runtime, Deferred.Deferred<void>>()

/** Completes when the client's runtime is disposed. */
export const closedOf = (runtime: Runtime): Effect.Effect<void> => {
  const closed = closedSignals.get(runtime)
  return closed === undefined ? Effect.void : Deferred.await(closed)
}

/**
 * A scope that closes when `parent` closes (or earlier, on its own), with its own "closed" signal. Objects
 * the facade hands out (an account's state, a guard) own one; forked from the runtime's scope after the
 * layers, it closes before the services it uses do.
 */
export const childScope = (
  parent: Scope.Scope
): { readonly scope: Scope.Closeable; readonly closed: Effect.Effect<void> } => {
  const scope = Scope.forkUnsafe(parent, "sequential")
  const closed = Deferred.makeUnsafe<void>()
  Effect.runSync(Scope.addFinalizer(scope, Deferred.succeed(closed, undefined)))
  return { scope, closed: Deferred.await(closed) }
}

/** Closes a scope the facade made (needs no services, so it works after the runtime is gone). */
export const closeScope = (scope: Scope.Closeable): Promise<void> => Effect.runPromise(Scope.close(scope, Exit.void))

const endWhen = <A, E, R>(stream: Stream.Stream<A, E, R>, closed: Effect.Effect<void>, signal?: AbortSignal) =>
  Stream.interruptWhen(stream, signal === undefined ? closed : Effect.race(closed, aborted(signal)))

/**
 * `stream` as an `AsyncIterable`: each iterator runs it from its first `next()`, and finishes when
 * `closed` completes (the owner was disposed) or `signal` aborts.
 */
export const iterate = <A>(
  runtime: Runtime,
  stream: Stream.Stream<A, unknown, ProjectX.Services>,
  closed: Effect.Effect<void>,
  signal?: AbortSignal
): AsyncIterable<A> => {
  const ending = endWhen(stream, closed, signal)
  return {
    [Symbol.asyncIterator]: () => {
      let iterator: AsyncIterator<A> | undefined
      return {
        next: async () => {
          iterator ??= Stream.toAsyncIterableWith(ending, await runtime.context())[Symbol.asyncIterator]()
          return iterator.next()
        },
        return: async (value?: unknown) => {
          await iterator?.return?.(value)
          return { done: true, value: undefined as never }
        }
      }
    }
  }
}

/** Calls `handler` for every element of `stream` until the returned function is called, `closed` or abort. */
export const listen = <A>(
  runtime: Runtime,
  stream: Stream.Stream<A, unknown, ProjectX.Services>,
  closed: Effect.Effect<void>,
  handler: (a: A) => void,
  options?: ListenOptions
): (() => void) => {
  const onError = options?.onError
  const fiber = runtime.runFork(
    Stream.runForEach(endWhen(stream, closed, options?.signal), (a) => Effect.sync(() => handler(a))).pipe(
      onError === undefined ? (self) => self : Effect.catch((error) => Effect.sync(() => onError(error)))
    )
  )
  return () => {
    runtime.runFork(Fiber.interrupt(fiber))
  }
}

/**
 * The Promise of a run's exit: its value, or its failure as the facade rejects with it — an interruption
 * (the signal aborted, or the owner was disposed) as a typed `Cancelled` saying which, rather than Effect's
 * bare "All fibers interrupted" error; any other failure as `runPromise` would reject (the squashed cause).
 */
const settle = <A>(
  exit: Promise<Exit.Exit<A, unknown>>,
  operation: string,
  signal: AbortSignal | undefined
): Promise<A> =>
  exit.then((result) => {
    if (Exit.isSuccess(result)) return result.value
    if (Cause.hasInterruptsOnly(result.cause)) {
      throw new Cancelled({ operation, why: signal?.aborted === true ? "aborted" : "disposed" })
    }
    throw Cause.squash(result.cause)
  })

/** Runs a client call; rejects with `Cancelled` when `signal` aborts it or the client is disposed. */
export const runCall = <A>(
  runtime: Runtime,
  operation: string,
  effect: Effect.Effect<A, unknown, ProjectX.Services>,
  signal?: AbortSignal
): Promise<A> =>
  settle(runtime.runPromiseExit(effect, signal === undefined ? undefined : { signal }), operation, signal)

/** Runs `effect` as a Promise that rejects with `Cancelled` when `closed` completes or `signal` aborts. */
export const runUntil = <A>(
  runtime: Runtime,
  operation: string,
  effect: Effect.Effect<A, unknown, ProjectX.Services>,
  closed: Effect.Effect<void>,
  signal?: AbortSignal
): Promise<A> => runCall(runtime, operation, Effect.raceFirst(effect, Effect.andThen(closed, Effect.interrupt)), signal)

const start = async (layer: Layer.Layer<ProjectX.Services, unknown>): Promise<Runtime> => {
  const runtime = ManagedRuntime.make(layer)
  // Added after the runtime's own scopes, so it runs first on dispose: streams end while the hubs still live.
  const closed = Deferred.makeUnsafe<void>()
  Effect.runSync(Scope.addFinalizer(runtime.scope, Deferred.succeed(closed, undefined)))
  closedSignals.set(runtime, closed)
  try {
    await runtime.context()
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  return runtime
}

/** A started runtime from explicit options. */
export const create = (options: ProjectXOptions & ProjectX.LayerOptions & TelemetryChoice): Promise<Runtime> =>
  start(Layer.mergeAll(ProjectX.layer(options), telemetryLayer(options)) as Layer.Layer<ProjectX.Services, unknown>)

/** A started runtime from the environment, `overrides` winning. */
export const fromEnv = (
  overrides: Partial<ProjectXOptions> & ProjectX.LayerOptions & TelemetryChoice
): Promise<Runtime> =>
  start(
    Layer.mergeAll(ProjectX.layerConfig(overrides), telemetryLayer(overrides)) as Layer.Layer<
      ProjectX.Services,
      unknown
    >
  )
