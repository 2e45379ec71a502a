/**
 * Everything the SDK needs to know before its first request: where the Gateway is (a firm id from the
 * registry, or explicit URLs), who logs in (the API key is `Redacted` from the moment it is read), and
 * the limits. `layerConfig` reads the same variables as project-x-py, so users switch without renaming.
 */
import { customUrls, findFirm, firmIds, type FirmUrls } from "@projectx-effect/gateway"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ConfigurationError } from "./Errors.ts"
import { isValidTimeZone } from "../market/internal/arrowTimeZone.ts"

export interface BucketLimit {
  readonly limit: number
  readonly window: Duration.Duration
}

export interface ProjectXSettings {
  /** The firm's registry id, when a firm was chosen ("topstepx"); undefined for custom URLs. */
  readonly firm: string | undefined
  readonly urls: FirmUrls
  readonly username: string
  readonly apiKey: Redacted.Redacted<string>
  /** The account to trade, matched case-insensitively; undefined means the first tradable one. */
  readonly accountName: string | undefined
  /** IANA zone for bar timestamps (project-x-py's default is America/Chicago). */
  readonly timeZone: string
  /** `live: true` uses the live market-data subscription; false (the default) the sim one. */
  readonly live: boolean
  /** Per HTTP attempt. */
  readonly requestTimeout: Duration.Duration
  readonly retry: { readonly times: number; readonly base: Duration.Duration; readonly cap: Duration.Duration }
  readonly rateLimits: {
    readonly history: BucketLimit
    readonly general: BucketLimit
    /** Added to each window on top of the completion-based accounting (default 0; see RateLimiter). */
    readonly safetyMargin: Duration.Duration
  }
  readonly breaker: {
    readonly failures: number
    readonly openDuration: Duration.Duration
    readonly maxOpen: Duration.Duration
  }
  /** Refresh the token once this fraction of its lifetime has passed (0.8: at 80 %). */
  readonly refreshAt: number
  readonly pool: { readonly connections: number; readonly keepAliveTimeout: Duration.Duration }
  /** The largest response body read; a larger one fails with `TooLarge` and drops the connection. */
  readonly maxResponseBytes: number
}

export interface ProjectXOptions {
  /** A firm id from the registry ("topstepx", "alphaticks", …). Ignored when `apiUrl` is given. */
  readonly firm?: string
  /** The REST base of a custom deployment (a simulator, a new firm). A trailing `/api` is accepted. */
  readonly apiUrl?: string
  readonly userHubUrl?: string
  readonly marketHubUrl?: string
  readonly username: string
  readonly apiKey: string | Redacted.Redacted<string>
  readonly accountName?: string
  readonly timeZone?: string
  readonly live?: boolean
  readonly requestTimeout?: Duration.Input
  readonly retry?: { readonly times?: number; readonly base?: Duration.Input; readonly cap?: Duration.Input }
  readonly rateLimits?: {
    readonly history?: { readonly limit: number; readonly window: Duration.Input }
    readonly general?: { readonly limit: number; readonly window: Duration.Input }
    readonly safetyMargin?: Duration.Input
  }
  readonly breaker?: {
    readonly failures?: number
    readonly openDuration?: Duration.Input
    readonly maxOpen?: Duration.Input
  }
  readonly refreshAt?: number
  readonly pool?: { readonly connections?: number; readonly keepAliveTimeout?: Duration.Input }
  /**
   * The largest response body to read, in bytes (default 8 MiB; the largest legitimate reply, 20,000
   * bars, is about 2 MB). A larger one fails with the `TooLarge` reason and the connection is dropped.
   */
  readonly maxResponseBytes?: number
}

export class ProjectXConfig extends Context.Service<ProjectXConfig, ProjectXSettings>()(
  "@projectx-effect/sdk/ProjectXConfig"
) {
  /** Settings from options; fails with a `ConfigurationError` naming the option that is wrong. */
  static readonly make = (options: ProjectXOptions): Effect.Effect<ProjectXSettings, ConfigurationError> =>
    resolve(options, optionNames)

  static readonly layer = (options: ProjectXOptions): Layer.Layer<ProjectXConfig, ConfigurationError> =>
    Layer.effect(ProjectXConfig, ProjectXConfig.make(options))

  /**
   * Settings from the environment (through Effect's `ConfigProvider`): `PROJECT_X_USERNAME`,
   * `PROJECT_X_API_KEY`, `PROJECT_X_ACCOUNT_NAME`, `PROJECTX_FIRM`, `PROJECTX_API_URL`,
   * `PROJECTX_USER_HUB_URL`, `PROJECTX_MARKET_HUB_URL`, `PROJECTX_TIMEZONE`, `PROJECTX_TIMEOUT_SECONDS`,
   * `PROJECTX_RETRY_ATTEMPTS`, `PROJECTX_RETRY_DELAY_SECONDS`, `PROJECTX_REQUESTS_PER_MINUTE`,
   * `PROJECTX_HISTORY_REQUESTS_PER_30S`, `PROJECTX_LIVE`. `overrides` win over the environment.
   */
  static readonly layerConfig = (
    overrides: Partial<ProjectXOptions> = {}
  ): Layer.Layer<ProjectXConfig, ConfigurationError> => Layer.effect(ProjectXConfig, fromEnvironment(overrides))
}

type Names = Record<
  | "firm"
  | "apiUrl"
  | "userHubUrl"
  | "marketHubUrl"
  | "username"
  | "apiKey"
  | "accountName"
  | "timeZone"
  | "requestTimeout"
  | "retryTimes"
  | "retryBase"
  | "generalLimit"
  | "historyLimit"
  | "live",
  string
>

const optionNames: Names = {
  firm: "options.firm",
  apiUrl: "options.apiUrl",
  userHubUrl: "options.userHubUrl",
  marketHubUrl: "options.marketHubUrl",
  username: "options.username",
  apiKey: "options.apiKey",
  accountName: "options.accountName",
  timeZone: "options.timeZone",
  requestTimeout: "options.requestTimeout",
  retryTimes: "options.retry.times",
  retryBase: "options.retry.base",
  generalLimit: "options.rateLimits.general.limit",
  historyLimit: "options.rateLimits.history.limit",
  live: "options.live"
}

const envNames: Names = {
  firm: "PROJECTX_FIRM",
  apiUrl: "PROJECTX_API_URL",
  userHubUrl: "PROJECTX_USER_HUB_URL",
  marketHubUrl: "PROJECTX_MARKET_HUB_URL",
  username: "PROJECT_X_USERNAME",
  apiKey: "PROJECT_X_API_KEY",
  accountName: "PROJECT_X_ACCOUNT_NAME",
  timeZone: "PROJECTX_TIMEZONE",
  requestTimeout: "PROJECTX_TIMEOUT_SECONDS",
  retryTimes: "PROJECTX_RETRY_ATTEMPTS",
  retryBase: "PROJECTX_RETRY_DELAY_SECONDS",
  generalLimit: "PROJECTX_REQUESTS_PER_MINUTE",
  historyLimit: "PROJECTX_HISTORY_REQUESTS_PER_30S",
  live: "PROJECTX_LIVE"
}

const bad = (variable: string, expected: string, got?: string) =>
  Effect.fail(new ConfigurationError({ variable, expected, ...(got === undefined ? {} : { got }) }))

const positiveInt = (value: number) => Number.isInteger(value) && value >= 1

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A duration option within [min, max] ms (finite), or a `ConfigurationError` naming it. */
const durationIn = (
  name: string,
  input: unknown,
  fallback: Duration.Input,
  min: number,
  max: number,
  expected: string
): Effect.Effect<Duration.Duration, ConfigurationError> => {
  const parsed = Option.getOrUndefined(Duration.fromInput((input ?? fallback) as Duration.Input))
  const ms = parsed === undefined ? Number.NaN : Duration.toMillis(parsed)
  return parsed !== undefined && Number.isFinite(ms) && ms >= min && ms <= max
    ? Effect.succeed(parsed)
    : bad(name, expected, show(input))
}

/** A whole-number option within [min, max], or a `ConfigurationError` naming it. */
const intIn = (
  name: string,
  input: unknown,
  fallback: number,
  min: number,
  max: number
): Effect.Effect<number, ConfigurationError> => {
  const value = input ?? fallback
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? Effect.succeed(value)
    : bad(name, `a whole number from ${min} to ${max}`, show(input))
}

const optionalString = (name: string, input: unknown, expected: string) =>
  input === undefined || typeof input === "string" ? Effect.void : bad(name, expected, show(input))

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

const resolve = Effect.fnUntraced(function* (options: ProjectXOptions, names: Names) {
  if (typeof options !== "object" || options === null) {
    return yield* bad("options", "an object with at least username and apiKey", show(options))
  }
  if (typeof options.username !== "string") {
    return yield* bad(names.username, "your platform login name (not your e-mail)", typeof options.username)
  }
  if (typeof options.apiKey !== "string" && !Redacted.isRedacted(options.apiKey)) {
    return yield* bad(names.apiKey, "the API key from your firm's platform, a string", typeof options.apiKey)
  }
  yield* optionalString(names.firm, options.firm, "a firm id such as topstepx")
  yield* optionalString(names.apiUrl, options.apiUrl, "an http(s) URL such as https://api.topstepx.com")
  yield* optionalString(names.userHubUrl, options.userHubUrl, "an http(s) or ws(s) URL")
  yield* optionalString(names.marketHubUrl, options.marketHubUrl, "an http(s) or ws(s) URL")
  yield* optionalString(names.accountName, options.accountName, "an account name such as PRAC-V2-DEMO-1")
  yield* optionalString(names.timeZone, options.timeZone, "an IANA time zone such as America/Chicago")
  if (options.live !== undefined && typeof options.live !== "boolean") {
    return yield* bad(names.live, "true or false", show(options.live))
  }
  const username = options.username.trim()
  if (Redacted.isRedacted(options.apiKey) && typeof Redacted.value(options.apiKey) !== "string") {
    return yield* bad(names.apiKey, "the API key from your firm's platform, a string", "a non-string secret")
  }
  if (username.length === 0) return yield* bad(names.username, "your platform login name (not your e-mail)")
  const apiKey = Redacted.isRedacted(options.apiKey) ? options.apiKey : Redacted.make(options.apiKey)
  const key = Redacted.value(apiKey).trim()
  if (key.length === 0) return yield* bad(names.apiKey, "the API key from your firm's platform (Settings → API)")
  if (key.length < 10) {
    // project-x-py rejects keys shorter than 10 characters; we say so without echoing the key.
    return yield* bad(names.apiKey, "an API key of at least 10 characters", `${key.length} characters`)
  }
  let urls: FirmUrls
  let firm: string | undefined
  if (options.apiUrl !== undefined) {
    try {
      const parsed = new URL(options.apiUrl)
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme")
      urls = customUrls(options.apiUrl, {
        ...(options.userHubUrl === undefined ? {} : { userHub: options.userHubUrl }),
        ...(options.marketHubUrl === undefined ? {} : { marketHub: options.marketHubUrl })
      })
    } catch {
      return yield* bad(names.apiUrl, "an http(s) URL such as https://api.topstepx.com", options.apiUrl)
    }
  } else {
    const id = options.firm ?? "topstepx"
    const found = findFirm(id)
    if (found === undefined) return yield* bad(names.firm, `one of ${firmIds.join(", ")}`, id)
    firm = found.id
    urls = {
      api: found.api,
      userHub: options.userHubUrl ?? found.userHub,
      marketHub: options.marketHubUrl ?? found.marketHub
    }
  }
  const timeZone = options.timeZone ?? "America/Chicago"
  if (!isValidTimeZone(timeZone))
    return yield* bad(names.timeZone, "an IANA time zone such as America/Chicago", timeZone)
  // Every number is range-checked here, so nothing downstream meets NaN, a negative count or a
  // runaway retry loop; the message names the option, its value and what is allowed.
  const retryTimes = yield* intIn(names.retryTimes, options.retry?.times, 3, 0, 20)
  const retryBase = yield* durationIn(
    names.retryBase,
    options.retry?.base,
    "200 millis",
    0,
    MINUTE,
    "a backoff from 0 to 1 minute"
  )
  const retryCap = yield* durationIn(
    "options.retry.cap",
    options.retry?.cap,
    "5 seconds",
    Duration.toMillis(retryBase),
    10 * MINUTE,
    `a backoff cap from retry.base (${Duration.toMillis(retryBase)} ms) to 10 minutes`
  )
  const bucket = (
    name: string,
    input: { readonly limit: number; readonly window: Duration.Input } | undefined,
    fallback: { readonly limit: number; readonly window: Duration.Input }
  ) =>
    Effect.gen(function* () {
      if (input !== undefined && (typeof input !== "object" || input === null)) {
        return yield* bad(name, "{ limit, window }", show(input))
      }
      const limit = yield* intIn(name, input?.limit, fallback.limit, 1, 1_000_000)
      const window = yield* durationIn(
        name.replace(/\.limit$/, ".window"),
        input?.window,
        fallback.window,
        1,
        DAY,
        "a window from 1 ms to 1 day"
      )
      return { limit, window } satisfies BucketLimit
    })
  const general = yield* bucket(names.generalLimit, options.rateLimits?.general, { limit: 200, window: "60 seconds" })
  const history = yield* bucket(names.historyLimit, options.rateLimits?.history, { limit: 50, window: "30 seconds" })
  const safetyMargin = yield* durationIn(
    "options.rateLimits.safetyMargin",
    options.rateLimits?.safetyMargin,
    "0 millis",
    0,
    MINUTE,
    "a margin from 0 to 1 minute"
  )
  const requestTimeout = yield* durationIn(
    names.requestTimeout,
    options.requestTimeout,
    "30 seconds",
    1,
    10 * MINUTE,
    "a timeout from 1 ms to 10 minutes"
  )
  const refreshAt = options.refreshAt ?? 0.8
  if (!(typeof refreshAt === "number" && refreshAt > 0 && refreshAt < 1)) {
    return yield* bad("options.refreshAt", "a fraction of the token lifetime between 0 and 1", show(refreshAt))
  }
  const failures = yield* intIn("options.breaker.failures", options.breaker?.failures, 5, 1, 1_000_000)
  const openDuration = yield* durationIn(
    "options.breaker.openDuration",
    options.breaker?.openDuration,
    "2 seconds",
    1,
    DAY,
    "a pause from 1 ms to 1 day"
  )
  const maxOpen = yield* durationIn(
    "options.breaker.maxOpen",
    options.breaker?.maxOpen,
    "1 minute",
    Duration.toMillis(openDuration),
    DAY,
    `a pause from breaker.openDuration (${Duration.toMillis(openDuration)} ms) to 1 day`
  )
  // 64 sockets at most: each bucket may keep half the pool in flight (GatewayTransport), so 32 general
  // calls run at once instead of 16 queueing behind the other 16. Sockets open only when calls need them.
  const connections = yield* intIn("options.pool.connections", options.pool?.connections, 64, 1, 1024)
  const keepAliveTimeout = yield* durationIn(
    "options.pool.keepAliveTimeout",
    options.pool?.keepAliveTimeout,
    "60 seconds",
    1,
    DAY,
    "a timeout from 1 ms to 1 day"
  )
  const maxResponseBytes = yield* intIn(
    "options.maxResponseBytes",
    options.maxResponseBytes,
    8 * 1024 * 1024,
    1024,
    2 ** 30
  )
  const accountName = options.accountName?.trim()
  const settings: ProjectXSettings = {
    firm,
    urls,
    username,
    apiKey,
    accountName: accountName === undefined || accountName.length === 0 ? undefined : accountName,
    timeZone,
    live: options.live ?? false,
    requestTimeout,
    retry: { times: retryTimes, base: retryBase, cap: retryCap },
    rateLimits: { general, history, safetyMargin },
    breaker: { failures, openDuration, maxOpen },
    refreshAt,
    pool: { connections, keepAliveTimeout },
    maxResponseBytes
  }
  return settings
})

const readString = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Effect.map(Option.map((s) => s.trim())),
    Effect.map(Option.filter((s) => s.length > 0)),
    Effect.map(Option.getOrUndefined),
    Effect.orElseSucceed(() => undefined)
  )

const readNumber = (name: string, expected: string, check: (n: number) => boolean) =>
  Effect.flatMap(readString(name), (raw) => {
    if (raw === undefined) return Effect.succeed(undefined)
    const n = Number(raw)
    return Number.isFinite(n) && check(n) ? Effect.succeed(n) : bad(name, expected, raw)
  })

/** Which name in `Names` an override of each option replaces. */
const overrideNames: Partial<Record<keyof ProjectXOptions, keyof Names>> = {
  firm: "firm",
  apiUrl: "apiUrl",
  userHubUrl: "userHubUrl",
  marketHubUrl: "marketHubUrl",
  username: "username",
  apiKey: "apiKey",
  accountName: "accountName",
  timeZone: "timeZone",
  requestTimeout: "requestTimeout",
  live: "live"
}

const fromEnvironment = Effect.fnUntraced(function* (overrides: Partial<ProjectXOptions>) {
  const firmOverride = overrides.firm !== undefined && overrides.apiUrl === undefined
  const username = overrides.username ?? (yield* readString(envNames.username))
  if (username === undefined) return yield* bad(envNames.username, "your platform login name (not your e-mail)")
  const apiKey =
    overrides.apiKey ??
    (yield* Config.option(Config.Redacted(envNames.apiKey)).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.orElseSucceed(() => undefined)
    ))
  if (apiKey === undefined) return yield* bad(envNames.apiKey, "the API key from your firm's platform (Settings → API)")
  const timeoutSeconds = yield* readNumber(envNames.requestTimeout, "a number of seconds > 0", (n) => n > 0)
  const retryTimes = yield* readNumber(envNames.retryTimes, "a whole number ≥ 0", (n) => Number.isInteger(n) && n >= 0)
  const retryDelay = yield* readNumber(envNames.retryBase, "a number of seconds ≥ 0", (n) => n >= 0)
  const perMinute = yield* readNumber(envNames.generalLimit, "a whole number ≥ 1", positiveInt)
  const historyPer30 = yield* readNumber(envNames.historyLimit, "a whole number ≥ 1", positiveInt)
  const liveRaw = yield* readString(envNames.live)
  if (liveRaw !== undefined && !/^(true|false|1|0|yes|no)$/i.test(liveRaw)) {
    return yield* bad(envNames.live, "true or false", liveRaw)
  }
  const pick = <K extends keyof ProjectXOptions>(key: K, value: ProjectXOptions[K] | undefined) =>
    overrides[key] !== undefined ? { [key]: overrides[key] } : value === undefined ? {} : { [key]: value }
  const options: ProjectXOptions = {
    username,
    apiKey,
    ...pick("firm", yield* readString(envNames.firm)),
    // An explicit firm beats URLs from the environment (an explicit URL still beats a firm).
    ...(firmOverride ? {} : pick("apiUrl", yield* readString(envNames.apiUrl))),
    ...(firmOverride ? {} : pick("userHubUrl", yield* readString(envNames.userHubUrl))),
    ...(firmOverride ? {} : pick("marketHubUrl", yield* readString(envNames.marketHubUrl))),
    ...pick("accountName", yield* readString(envNames.accountName)),
    ...pick("timeZone", yield* readString(envNames.timeZone)),
    ...pick("live", liveRaw === undefined ? undefined : /^(true|1|yes)$/i.test(liveRaw)),
    ...pick("requestTimeout", timeoutSeconds === undefined ? undefined : Duration.seconds(timeoutSeconds)),
    ...pick("retry", {
      ...(retryTimes === undefined ? {} : { times: retryTimes }),
      ...(retryDelay === undefined ? {} : { base: Duration.seconds(retryDelay) })
    }),
    ...pick("rateLimits", {
      ...(perMinute === undefined ? {} : { general: { limit: perMinute, window: "60 seconds" } }),
      ...(historyPer30 === undefined ? {} : { history: { limit: historyPer30, window: "30 seconds" } })
    }),
    ...(overrides.breaker === undefined ? {} : { breaker: overrides.breaker }),
    ...(overrides.refreshAt === undefined ? {} : { refreshAt: overrides.refreshAt }),
    ...(overrides.pool === undefined ? {} : { pool: overrides.pool }),
    ...(overrides.maxResponseBytes === undefined ? {} : { maxResponseBytes: overrides.maxResponseBytes })
  }
  // A value the caller passed is reported under its option name, not the variable it replaced.
  const names: Names = { ...envNames }
  for (const key of Object.keys(overrides) as Array<keyof ProjectXOptions>) {
    const name = overrideNames[key]
    if (name !== undefined) names[name] = optionNames[name]
  }
  return yield* resolve(options, names)
})
