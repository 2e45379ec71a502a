/**
 * The flags every command accepts (`--json`, `--firm`, `--api-url`, `--account`, `--tz`) and the SDK
 * Layer they configure. Everything else comes from the same environment variables as the SDK;
 * credentials come ONLY from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`), never from
 * flags, so they stay out of shell history and `ps`. The SDK loads when a command first needs it, so
 * parsing the flags (and `--help`) does not pay for it.
 */
import { findFirm, firmIds } from "@projectx-effect/gateway/Firms"
import type * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { Auth, Errors, ProjectX, ProjectXConfig, ProjectXRest } from "@projectx-effect/sdk"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Flag from "effect/cli/Flag"
import * as GlobalFlag from "effect/cli/GlobalFlag"
import { globalFlagTexts } from "./GlobalFlagTexts.ts"
import { UsageError } from "./Failure.ts"
import { isTimeZone } from "./Time.ts"

/** A flag's description with its default, so `--help` shows the value used when the flag is left out. */
export const withShownDefault =
  <const A>(description: string, value: A) =>
  <B>(flag: Flag.Flag<B>): Flag.Flag<A | B> =>
    flag.pipe(Flag.withDescription(`${description} (default: ${String(value)})`), Flag.withDefault(value))

export const Json = GlobalFlag.Setting("json")({
  flag: Flag.Boolean("json").pipe(Flag.withDescription(globalFlagTexts.json.description), Flag.withDefault(false))
})

/** An optional string flag with its metavar and description from the command table's texts. */
const optionalString = <const Name extends "firm" | "api-url" | "account" | "tz">(name: Name) =>
  GlobalFlag.Setting(name)({
    flag: Flag.String(name).pipe(
      Flag.withDescription(globalFlagTexts[name].description),
      Flag.withMetavar(globalFlagTexts[name].metavar),
      Flag.optional
    )
  })

export const Firm = optionalString("firm")
export const ApiUrl = optionalString("api-url")
export const Account = optionalString("account")
export const TimeZone = optionalString("tz")

export const globalFlags = [Json, Firm, ApiUrl, Account, TimeZone] as const

/** OTLP trace export when an `OTEL_EXPORTER_OTLP_*ENDPOINT` variable is set (a malformed `OTEL_*` value turns it off). */
export const otlpOptions = { metrics: false, whenConfigured: true } as const

const loadSdk = Effect.promise(() => import("@projectx-effect/sdk"))
const loadRest = Effect.promise(() => import("@projectx-effect/sdk/rest"))

/** Whether an `OTEL_EXPORTER_OTLP_*ENDPOINT` variable is set (what `whenConfigured` asks of the exporter). */
const otlpConfigured = Config.all([
  Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
  Config.option(Config.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  Config.option(Config.String("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
]).pipe(
  Effect.map((endpoints) => endpoints.some(Option.isSome)),
  Effect.orElseSucceed(() => false)
)

/** The OTLP exporter when one is configured; without an endpoint its modules (and the whole SDK) never load. */
export const telemetryLayer = Layer.unwrap(
  Effect.gen(function* () {
    if (!(yield* otlpConfigured)) return Layer.empty
    const sdk = yield* loadSdk
    return sdk.Telemetry.layerOtlp(otlpOptions).pipe(Layer.catchCause(() => Layer.empty))
  })
)

/** The SDK's options from the global flags (the environment supplies the rest). */
export const sdkOverrides = Effect.gen(function* () {
  const firm = Option.getOrUndefined(yield* Firm)
  const apiUrl = Option.getOrUndefined(yield* ApiUrl)
  const account = Option.getOrUndefined(yield* Account)
  const timeZone = Option.getOrUndefined(yield* TimeZone)
  if (firm !== undefined && findFirm(firm) === undefined) {
    return yield* new UsageError({
      message: `--firm ${firm} is not a known firm`,
      hint: `use one of ${firmIds.join(", ")}, or --api-url for another Gateway`
    })
  }
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    return yield* new UsageError({
      message: `--tz ${timeZone} is an unknown time zone`,
      hint: "use an IANA zone name such as America/Chicago, America/New_York, Europe/London or UTC"
    })
  }
  const overrides: Partial<ProjectXConfig.ProjectXOptions> = {
    ...(firm === undefined ? {} : { firm }),
    ...(apiUrl === undefined ? {} : { apiUrl }),
    ...(account === undefined ? {} : { accountName: account }),
    ...(timeZone === undefined ? {} : { timeZone })
  }
  return overrides
})

/**
 * Ends the command's Gateway session (`Auth/logout`), if it opened one, whatever the outcome. Each
 * command is a process of its own: a token left behind would stay valid on the Gateway for its whole
 * lifetime with nobody using it, and keeping it in a file between commands would put a bearer token on
 * disk. One more request per command is the price. Best effort and bounded: a failed logout never
 * changes the command's result.
 */
const loggingOut = <A, E, R>(AuthTag: typeof Auth.Auth, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const auth = yield* AuthTag
    return yield* effect.pipe(Effect.ensuring(auth.logout.pipe(Effect.timeout("5 seconds"), Effect.ignore)))
  })

/**
 * Runs `effect` with the whole SDK configured from the environment and the global flags (a flag beats a
 * variable): for the commands that need market data, bars or the hubs (`bars`, `watch`, `health`).
 */
export const withSdk = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | UsageError | Errors.ConfigurationError,
  Exclude<R, ProjectX.Services | NodeHttpClient.Dispatcher> | Effect.Services<typeof sdkOverrides>
> =>
  Effect.gen(function* () {
    const overrides = yield* sdkOverrides
    const { Auth, ProjectX } = yield* loadSdk
    return yield* loggingOut(Auth.Auth, effect).pipe(
      Effect.provide(ProjectX.layerConfig(overrides)),
      Effect.provide(telemetryLayer)
    )
  })

/**
 * `withSdk` for the commands that only ask and answer over REST (`accounts`, `contracts`, `orders`,
 * `positions`, `trades`): the SDK's REST half, so the market data, the bar cache and the hubs (Arrow,
 * lz4, SignalR) are neither loaded nor built. Same settings, same logout.
 */
export const withRestSdk = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | UsageError | Errors.ConfigurationError,
  Exclude<R, ProjectXRest.Services | NodeHttpClient.Dispatcher> | Effect.Services<typeof sdkOverrides>
> =>
  Effect.gen(function* () {
    const overrides = yield* sdkOverrides
    const { Auth, ProjectXRest } = yield* loadRest
    return yield* loggingOut(Auth.Auth, effect).pipe(
      Effect.provide(ProjectXRest.layerConfig(overrides)),
      Effect.provide(telemetryLayer)
    )
  })
