import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import { ConfigurationError } from "../src/client/Errors.ts"
import { ProjectXConfig } from "../src/client/ProjectXConfig.ts"

const KEY = "k3y-0123456789-secret"

const fromEnv = (env: Record<string, string>) =>
  Effect.gen(function* () {
    return yield* ProjectXConfig
  }).pipe(
    Effect.provide(
      ProjectXConfig.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
  )

const failure = (env: Record<string, string>) =>
  fromEnv(env).pipe(
    Effect.flip,
    Effect.map((e) => {
      expect(e).toBeInstanceOf(ConfigurationError)
      return e
    })
  )

describe("ProjectXConfig.layerConfig", () => {
  it.effect("reads project-x-py's variables, with TopstepX and America/Chicago by default", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({
        PROJECT_X_USERNAME: "trader",
        PROJECT_X_API_KEY: KEY,
        PROJECT_X_ACCOUNT_NAME: "prac-1"
      })
      expect(config.username).toBe("trader")
      expect(Redacted.value(config.apiKey)).toBe(KEY)
      expect(config.accountName).toBe("prac-1")
      expect(config.firm).toBe("topstepx")
      expect(config.urls.api).toBe("https://api.topstepx.com")
      expect(config.timeZone).toBe("America/Chicago")
      expect(config.rateLimits.general.limit).toBe(200)
      expect(config.rateLimits.history.limit).toBe(50)
    })
  )

  it.effect("the API key never shows in the settings' string or JSON forms", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({ PROJECT_X_USERNAME: "trader", PROJECT_X_API_KEY: KEY })
      expect(String(config.apiKey)).not.toContain(KEY)
      expect(JSON.stringify(config)).not.toContain(KEY)
    })
  )

  it.effect("a firm id, PROJECTX_* URLs (with project-x-py's /api suffix) and limits", () =>
    Effect.gen(function* () {
      const firm = yield* fromEnv({ PROJECT_X_USERNAME: "u", PROJECT_X_API_KEY: KEY, PROJECTX_FIRM: "Alpha Ticks" })
      expect(firm.urls.api).toBe("https://api.alphaticks.projectx.com")
      expect(firm.urls.userHub).toBe("https://rtc.alphaticks.projectx.com/hubs/user")
      const custom = yield* fromEnv({
        PROJECT_X_USERNAME: "u",
        PROJECT_X_API_KEY: KEY,
        PROJECTX_API_URL: "http://127.0.0.1:5000/api",
        PROJECTX_TIMEZONE: "Europe/London",
        PROJECTX_TIMEOUT_SECONDS: "2.5",
        PROJECTX_RETRY_ATTEMPTS: "0",
        PROJECTX_REQUESTS_PER_MINUTE: "120",
        PROJECTX_LIVE: "true"
      })
      expect(custom.firm).toBeUndefined()
      expect(custom.urls.api).toBe("http://127.0.0.1:5000")
      expect(custom.urls.marketHub).toBe("http://127.0.0.1:5000/hubs/market")
      expect(custom.timeZone).toBe("Europe/London")
      expect(Duration.toMillis(custom.requestTimeout)).toBe(2500)
      expect(custom.retry.times).toBe(0)
      expect(custom.rateLimits.general.limit).toBe(120)
      expect(custom.live).toBe(true)
    })
  )

  it.effect("each missing or bad variable gets its own message naming it", () =>
    Effect.gen(function* () {
      const base = { PROJECT_X_USERNAME: "u", PROJECT_X_API_KEY: KEY }
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ PROJECT_X_API_KEY: KEY }, /^PROJECT_X_USERNAME is not set: expected your platform login name/],
        [{ PROJECT_X_USERNAME: "u" }, /^PROJECT_X_API_KEY is not set: expected the API key/],
        [{ PROJECT_X_USERNAME: "u", PROJECT_X_API_KEY: "short" }, /^PROJECT_X_API_KEY is invalid \(5 characters\)/],
        [{ ...base, PROJECTX_FIRM: "nope" }, /^PROJECTX_FIRM is invalid \(nope\): expected one of topstepx, /],
        [
          { ...base, PROJECTX_API_URL: "ftp://x" },
          /^PROJECTX_API_URL is invalid \(ftp:\/\/x\): expected an http\(s\) URL/
        ],
        [{ ...base, PROJECTX_TIMEZONE: "Mars/Base" }, /^PROJECTX_TIMEZONE is invalid \(Mars\/Base\): expected an IANA/],
        [{ ...base, PROJECTX_TIMEOUT_SECONDS: "soon" }, /^PROJECTX_TIMEOUT_SECONDS is invalid \(soon\)/],
        [
          { ...base, PROJECTX_RETRY_ATTEMPTS: "1.5" },
          /^PROJECTX_RETRY_ATTEMPTS is invalid \(1.5\): expected a whole number/
        ],
        [{ ...base, PROJECTX_REQUESTS_PER_MINUTE: "0" }, /^PROJECTX_REQUESTS_PER_MINUTE is invalid \(0\)/],
        [{ ...base, PROJECTX_LIVE: "maybe" }, /^PROJECTX_LIVE is invalid \(maybe\): expected true or false/]
      ]
      for (const [env, message] of cases) {
        const error = yield* failure(env)
        expect(error.message).toMatch(message)
        expect(error.message).not.toContain(KEY)
      }
    })
  )
})

describe("ProjectXConfig.layerConfig overrides", () => {
  const withOverrides = (overrides: Parameters<typeof ProjectXConfig.layerConfig>[0], env: Record<string, string>) =>
    Effect.gen(function* () {
      return yield* ProjectXConfig
    }).pipe(
      Effect.provide(
        ProjectXConfig.layerConfig(overrides).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
      )
    )
  it.effect("an explicit firm beats URLs from the environment; a bad one is named as the option", () =>
    Effect.gen(function* () {
      const env = { PROJECT_X_USERNAME: "u", PROJECT_X_API_KEY: KEY, PROJECTX_API_URL: "http://127.0.0.1:5000" }
      expect((yield* withOverrides({}, env)).urls.api).toBe("http://127.0.0.1:5000")
      expect((yield* withOverrides({ firm: "alphaticks" }, env)).urls.api).toBe("https://api.alphaticks.projectx.com")
      const error = yield* Effect.flip(withOverrides({ firm: "nope" }, env))
      expect(error.message).toMatch(/^options.firm is invalid \(nope\)/)
    })
  )
})

describe("ProjectXConfig.layer", () => {
  it.effect("names the option that is wrong", () =>
    Effect.gen(function* () {
      const error = yield* ProjectXConfig.make({ username: "u", apiKey: KEY, firm: "nope" }).pipe(Effect.flip)
      expect(error.variable).toBe("options.firm")
      const ok = yield* ProjectXConfig.make({ username: "u", apiKey: Redacted.make(KEY), apiUrl: "http://127.0.0.1:1" })
      expect(ok.urls.api).toBe("http://127.0.0.1:1")
    })
  )
})
