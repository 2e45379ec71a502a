/**
 * The Gateway client's stack, shared by `ProjectX.layer` (the whole SDK) and `ProjectXRest.layer` (its
 * request/response half): the undici pool, the rate limiter (in-process or shared through Redis), the
 * session store, and Auth + GatewayClient over the raw transport. One definition, two compositions.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { HttpClient } from "effect/http"
import type * as Redis from "effect/persistence/Redis"
import { Auth, SessionStore } from "../Auth.ts"
import { CircuitBreaker } from "../CircuitBreaker.ts"
import type { ConfigurationError } from "../Errors.ts"
import { GatewayClient } from "../GatewayClient.ts"
import { ProjectXConfig, type ProjectXOptions } from "../ProjectXConfig.ts"
import { RateLimiter } from "../RateLimiter.ts"
import { layerRedis, type RedisBytes, type SharedOptions, SharedStatus, validate as validateShared } from "../Shared.ts"
import { GatewayTransport } from "./GatewayTransport.ts"
import { layerDispatcher } from "./undiciAgent.ts"
import { UndiciPool } from "./undiciExchange.ts"

/** The budget's, the session's and the cache's name in Redis: one per Gateway and user. */
const scopeOf = (config: ProjectXConfig["Service"]) => `${config.urls.api}|${config.username}`

const limiterOptions = (config: ProjectXConfig["Service"]) => ({
  buckets: { history: config.rateLimits.history, general: config.rateLimits.general },
  safetyMargin: config.rateLimits.safetyMargin,
  scope: scopeOf(config)
})

// The settings were validated by ProjectXConfig already, so a limiter config error here is a defect.
const localRateLimiter = Layer.unwrap(
  ProjectXConfig.useSync((config) => RateLimiter.layer(limiterOptions(config)).pipe(Layer.orDie))
)

const sharedRateLimiter = (shared: SharedOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* ProjectXConfig
      const status = yield* SharedStatus
      return RateLimiter.layerWithoutStore({
        ...limiterOptions(config),
        fallbackShare: shared.fallbackShare ?? 0.25,
        onDegraded: (degraded) => status.report("rateLimiter", degraded)
      }).pipe(
        Layer.provide(RateLimiter.layerStoreRedis({ prefix: `${shared.prefix ?? "projectx:"}ratelimiter:` })),
        Layer.orDie
      )
    })
  )

/** The one Redis connection every shared piece uses (the same layer value everywhere, so built once). */
const redisLayer = (shared: SharedOptions): Layer.Layer<Redis.Redis | RedisBytes, ConfigurationError> =>
  Layer.unwrap(
    Effect.as(validateShared(shared), layerRedis({ url: shared.redisUrl, commandTimeout: shared.commandTimeout }))
  )

/** Where Auth keeps its token when `shared` is set: Redis, unless the session is left out of the sharing. */
const sessionLayer = (
  shared: SharedOptions,
  redis: Layer.Layer<Redis.Redis | RedisBytes, ConfigurationError>
): Layer.Layer<SessionStore, ConfigurationError, ProjectXConfig> =>
  shared.session === false
    ? SessionStore.layerMemory
    : Layer.unwrap(
        ProjectXConfig.useSync((config) =>
          SessionStore.layerRedis({ key: `${shared.prefix ?? "projectx:"}session:{${scopeOf(config)}}` })
        )
      ).pipe(Layer.provide(redis))

/**
 * Auth and GatewayClient over one raw transport, which is provided to them only and never exposed (it
 * skips 401 recovery). They need the limiter and the breaker (the caller's infrastructure) and HTTP.
 */
export const clientLayer = (session: Layer.Layer<SessionStore, ConfigurationError, ProjectXConfig>) =>
  GatewayClient.layer.pipe(
    Layer.provideMerge(Auth.layer.pipe(Layer.provide(session))),
    Layer.provide(GatewayTransport.layer)
  )

/**
 * The keep-alive undici pool, sized from the settings (an Agent from undici's light modules, see
 * undiciAgent.ts); also exposes its dispatcher to `Health`, to `HttpClient`, and to the transport, which
 * dispatches on it directly (`UndiciPool`) rather than through `HttpClient`.
 */
export const layerHttp: Layer.Layer<HttpClient.HttpClient | NodeHttpClient.Dispatcher, never, ProjectXConfig> =
  Layer.effect(UndiciPool, Effect.map(Effect.service(NodeHttpClient.Dispatcher), UndiciPool.of)).pipe(
    Layer.provideMerge(NodeHttpClient.layerUndiciNoDispatcher),
    Layer.provideMerge(
      Layer.unwrap(
        ProjectXConfig.useSync((config) =>
          layerDispatcher({
            connections: config.pool.connections,
            keepAliveTimeout: Duration.toMillis(config.pool.keepAliveTimeout),
            keepAliveMaxTimeout: Math.max(Duration.toMillis(config.pool.keepAliveTimeout), 600_000)
          })
        )
      )
    )
  )

/** `shared` from the options, else from `PROJECTX_REDIS_URL` (set and not blank), else nothing shared. */
const sharedFromConfig = (explicit: SharedOptions | undefined): Effect.Effect<SharedOptions | undefined> =>
  explicit !== undefined
    ? Effect.succeed(explicit)
    : Config.option(Config.Redacted("PROJECTX_REDIS_URL")).pipe(
        Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>()),
        Effect.map((url) =>
          Option.isSome(url) && Redacted.value(url.value).trim().length > 0 ? { redisUrl: url.value } : undefined
        )
      )

/**
 * The limiter, breaker and shared status (plus `extra`, e.g. the bar cache, in its local or shared form),
 * and the session store Auth keeps its token in. Without `shared` everything is in this process and no
 * Redis exists; with it, one Redis connection serves them all (the same layer value everywhere).
 */
export const infraFor = <A>(
  shared: SharedOptions | undefined,
  extra: {
    readonly local: Layer.Layer<A>
    readonly shared: (shared: SharedOptions) => Layer.Layer<A, never, RedisBytes | SharedStatus>
  }
): {
  readonly infra: Layer.Layer<A | RateLimiter | CircuitBreaker | SharedStatus, ConfigurationError, ProjectXConfig>
  readonly session: Layer.Layer<SessionStore, ConfigurationError, ProjectXConfig>
} => {
  if (shared === undefined) {
    return {
      infra: Layer.mergeAll(localRateLimiter, CircuitBreaker.layer, extra.local, SharedStatus.layerOff),
      session: SessionStore.layerMemory
    }
  }
  const redis = redisLayer(shared)
  const infra = Layer.mergeAll(sharedRateLimiter(shared), CircuitBreaker.layer, extra.shared(shared)).pipe(
    Layer.provideMerge(SharedStatus.layerOn),
    Layer.provide(redis)
  )
  return { infra, session: sessionLayer(shared, redis) }
}

/** An entry point's services over the keep-alive pool, from options (`ProjectX.layer`, `ProjectXRest.layer`). */
export const overPool = <S, O>(
  services: (options: O) => Layer.Layer<S, ConfigurationError, ProjectXConfig | HttpClient.HttpClient>,
  options: ProjectXOptions & O
) => services(options).pipe(Layer.provideMerge(layerHttp), Layer.provideMerge(ProjectXConfig.layer(options)))

/**
 * An entry point's services over the keep-alive pool, from the environment (`PROJECTX_REDIS_URL` turns on
 * `shared` unless `overrides.shared` is given): `ProjectX.layerConfig`, `ProjectXRest.layerConfig`.
 */
export const overPoolFromEnvironment = <S, O extends { readonly shared?: SharedOptions | undefined }>(
  services: (options: O) => Layer.Layer<S, ConfigurationError, ProjectXConfig | HttpClient.HttpClient>,
  overrides: Partial<ProjectXOptions> & O
) =>
  Layer.unwrap(
    Effect.map(sharedFromConfig(overrides.shared), (shared) =>
      services({ ...overrides, shared }).pipe(
        Layer.provideMerge(layerHttp),
        Layer.provideMerge(ProjectXConfig.layerConfig(overrides))
      )
    )
  )
