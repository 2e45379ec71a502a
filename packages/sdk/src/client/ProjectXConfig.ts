/**
 * Everything the SDK needs to know before its first request: where the Gateway is (a firm id from the
 * registry, or explicit URLs), who logs in (the API key is `Redacted` from the moment it is read), and
 * the limits. `layerConfig` reads the same variables as project-x-py, so users switch without renaming.
 */
import { customUrls, findFirm, firmIds, type FirmUrls } from "@projectx-effect/gateway"
import { Config, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
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
    /** Added to each window: the Gateway counts arrival times, we count send times. */
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

const duration = (input: Duration.Input | undefined, fallback: Duration.Input): Duration.Duration =>
  Duration.fromInputUnsafe(input ?? fallback)

const positiveInt = (value: number) => Number.isInteger(value) && value >= 1

const resolve = Effect.fnUntraced(function* (options: ProjectXOptions, names: Names) {
  const username = options.username.trim()
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
  const retryTimes = options.retry?.times ?? 3
  if (!Number.isInteger(retryTimes) || retryTimes < 0) {
    return yield* bad(names.retryTimes, "a whole number of retries ≥ 0", String(retryTimes))
  }
  const general = options.rateLimits?.general ?? { limit: 200, window: "60 seconds" }
  if (!positiveInt(general.limit)) return yield* bad(names.generalLimit, "a whole number ≥ 1", String(general.limit))
  const history = options.rateLimits?.history ?? { limit: 50, window: "30 seconds" }
  if (!positiveInt(history.limit)) return yield* bad(names.historyLimit, "a whole number ≥ 1", String(history.limit))
  const requestTimeout = duration(options.requestTimeout, "30 seconds")
  if (Duration.toMillis(requestTimeout) <= 0) {
    return yield* bad(names.requestTimeout, "a positive timeout", String(Duration.toMillis(requestTimeout)))
  }
  const refreshAt = options.refreshAt ?? 0.8
  if (!(refreshAt > 0 && refreshAt < 1)) {
    return yield* bad("options.refreshAt", "a fraction of the token lifetime between 0 and 1", String(refreshAt))
  }
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
    retry: {
      times: retryTimes,
      base: duration(options.retry?.base, "200 millis"),
      cap: duration(options.retry?.cap, "5 seconds")
    },
    rateLimits: {
      general: { limit: general.limit, window: Duration.fromInputUnsafe(general.window) },
      history: { limit: history.limit, window: Duration.fromInputUnsafe(history.window) },
      safetyMargin: duration(options.rateLimits?.safetyMargin, "500 millis")
    },
    breaker: {
      failures: options.breaker?.failures ?? 5,
      openDuration: duration(options.breaker?.openDuration, "2 seconds"),
      maxOpen: duration(options.breaker?.maxOpen, "1 minute")
    },
    refreshAt,
    pool: {
      connections: options.pool?.connections ?? 32,
      keepAliveTimeout: duration(options.pool?.keepAliveTimeout, "60 seconds")
    }
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
    ...(overrides.pool === undefined ? {} : { pool: overrides.pool })
  }
  // A value the caller passed is reported under its option name, not the variable it replaced.
  const names: Names = { ...envNames }
  for (const key of Object.keys(overrides) as Array<keyof ProjectXOptions>) {
    const name = overrideNames[key]
    if (name !== undefined) names[name] = optionNames[name]
  }
  return yield* resolve(options, names)
})
