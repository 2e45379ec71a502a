/**
 * What the Promise facade needs once a client is made: the composed layer, the service tags and the
 * runtime pieces. `promise.ts` imports this module lazily so `import("@projectx-effect/sdk/promise")`
 * stays cheap (types, enums and error classes only) and the SDK loads when the first client starts.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import type { ProjectXOptions } from "../client/ProjectXConfig.ts"
import type * as Telemetry from "../observability/Telemetry.ts"
import * as ProjectX from "../ProjectX.ts"

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

const start = async (layer: Layer.Layer<ProjectX.Services, unknown>): Promise<Runtime> => {
  const runtime = ManagedRuntime.make(layer)
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
