/**
 * The composed SDK: every service in one Layer. An Effect application writes one `Effect.provide` and
 * then `yield* MarketData`, `yield* Orders`, … . `layer` brings a keep-alive undici pool sized from the
 * settings; `layerWithoutHttp` takes any platform `HttpClient` instead (a fetch client, a test double).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { HttpClient } from "effect/http"
import * as Redis from "effect/persistence/Redis"
import { Accounts } from "./trading/Accounts.ts"
import { Auth, SessionStore } from "./client/Auth.ts"
import * as BarCacheModule from "./market/BarCache.ts"
import { CircuitBreaker } from "./client/CircuitBreaker.ts"
import type { ConfigurationError } from "./client/Errors.ts"
import { GatewayClient } from "./client/GatewayClient.ts"
import { GatewayTransport } from "./client/internal/GatewayTransport.ts"
import { UndiciPool } from "./client/internal/undiciExchange.ts"
import { Health } from "./observability/Health.ts"
import { Instruments, type InstrumentsOptions } from "./market/Instruments.ts"
import { MarketData } from "./market/MarketData.ts"
import { Orders, type OrdersOptions } from "./trading/Orders.ts"
import { Positions } from "./trading/Positions.ts"
import { ProjectXConfig, type ProjectXOptions } from "./client/ProjectXConfig.ts"
import { RateLimiter } from "./client/RateLimiter.ts"
import { layerRedis, type SharedOptions, SharedStatus, validate as validateShared } from "./client/Shared.ts"
import { makeRedisTier } from "./market/internal/barCacheRedis.ts"
import { Trades } from "./trading/Trades.ts"
import { MarketHub } from "./realtime/MarketHub.ts"
import type { RealtimeOptions } from "./realtime/Options.ts"
import { UserHub } from "./realtime/UserHub.ts"
import { DepthBook, type DepthBookOptions } from "./state/DepthBook.ts"
import { LiveBars } from "./state/LiveBars.ts"

/** Everything `ProjectX.layer` provides. */
export type Services =
  | ProjectXConfig
  | Auth
  | GatewayClient
  | RateLimiter
  | CircuitBreaker
  | BarCacheModule.BarCache
  | Instruments
  | Accounts
  | MarketData
  | Orders
  | Positions
  | Trades
  | MarketHub
  | UserHub
  | DepthBook
  | LiveBars
  | Health

/**
 * The options of every service that has its own (the Gateway-wide settings — URLs, credentials, limits,
 * retries, pool — are `ProjectXOptions`). One field per service, named after it.
 */
export interface LayerOptions {
  /** Bar cache settings, or `false` to turn caching off. */
  readonly cache?: BarCacheModule.Options | false
  /** Symbol resolution TTLs and the contract-list cache (`Instruments.layer(options)`). */
  readonly instruments?: InstrumentsOptions | undefined
  /** Order placement: tag prefix, the reconciliation window and resends (`Orders.layer(options)`). */
  readonly orders?: OrdersOptions | undefined
  /** The user and market hubs: reconnect backoff, staleness thresholds, buffers (`MarketHub.layer(options)`, `UserHub.layer(options)`). */
  readonly realtime?: RealtimeOptions | undefined
  /** Depth books: levels kept per side (`DepthBook.layer(options)`). */
  readonly depthBook?: DepthBookOptions | undefined
  /**
   * Share the rate budget, the session and the bar cache with every process of this account through
   * Redis (`PROJECTX_REDIS_URL` with `layerConfig`). Without it nothing is shared.
   */
  readonly shared?: SharedOptions | undefined
}

/** The budget's, the session's and the cache's name in Redis: one per Gateway and user. */
const scopeOf = (config: ProjectXConfig["Service"]) => `${config.urls.api}|${config.username}`

const rateLimiterFromConfig = (shared: SharedOptions | undefined) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* ProjectXConfig
      const status = yield* SharedStatus
      const options = {
        buckets: { history: config.rateLimits.history, general: config.rateLimits.general },
        safetyMargin: config.rateLimits.safetyMargin,
        scope: scopeOf(config)
      }
      // The settings were validated by ProjectXConfig already, so a config error here is a defect.
      if (shared === undefined) return RateLimiter.layer(options).pipe(Layer.orDie)
      return RateLimiter.layerWithoutStore({
        ...options,
        fallbackShare: shared.fallbackShare ?? 0.25,
        onDegraded: (degraded) => status.report("rateLimiter", degraded)
      }).pipe(
        Layer.provide(RateLimiter.layerStoreRedis({ prefix: `${shared.prefix ?? "projectx:"}ratelimiter:` })),
        Layer.orDie
      )
    })
  )

const sessionStore = (
  shared: SharedOptions | undefined
): Layer.Layer<SessionStore, never, ProjectXConfig | Redis.Redis> =>
  shared === undefined || shared.session === false
    ? SessionStore.layerMemory
    : Layer.unwrap(
        ProjectXConfig.useSync((config) =>
          SessionStore.layerRedis({ key: `${shared.prefix ?? "projectx:"}session:{${scopeOf(config)}}` })
        )
      )

const barCache = (options: LayerOptions): Layer.Layer<BarCacheModule.BarCache, never, Redis.Redis | SharedStatus> => {
  if (options.cache === false) return BarCacheModule.BarCache.layerDisabled
  const shared = options.shared
  if (shared === undefined || shared.cache === false) return BarCacheModule.BarCache.layer(options.cache)
  const tier = shared.cache
  return Layer.unwrap(
    Effect.gen(function* () {
      const redis = yield* Redis.Redis
      const status = yield* SharedStatus
      return BarCacheModule.BarCache.layer({
        ...options.cache,
        shared: makeRedisTier(redis, {
          prefix: `${shared.prefix ?? "projectx:"}bars:`,
          maxBytes: tier?.maxBytes ?? 256 * 1024 * 1024,
          timeToLive: Duration.toMillis(Duration.fromInputUnsafe(tier?.timeToLive ?? "1 hour")),
          onDegraded: (degraded) => status.report("barCache", degraded)
        })
      })
    })
  )
}

/** Redis and the shared status, when `shared` is set; without it, no connection and status "off". */
const sharedInfra = (shared: SharedOptions | undefined): Layer.Layer<Redis.Redis | SharedStatus> =>
  shared === undefined
    ? Layer.merge(
        SharedStatus.layerOff,
        Layer.succeed(Redis.Redis)(undefined as never) // never used: every shared piece is off
      )
    : Layer.merge(SharedStatus.layerOn, layerRedis({ url: shared.redisUrl, commandTimeout: shared.commandTimeout }))

/** Every service, given `ProjectXConfig` and a platform `HttpClient`. */
export const layerServices = (
  options: LayerOptions = {}
): Layer.Layer<Exclude<Services, ProjectXConfig>, ConfigurationError, ProjectXConfig | HttpClient.HttpClient> => {
  const shared =
    options.shared === undefined
      ? sharedInfra(undefined)
      : Layer.unwrap(Effect.as(validateShared(options.shared), sharedInfra(options.shared)))
  const infra = Layer.mergeAll(rateLimiterFromConfig(options.shared), CircuitBreaker.layer, barCache(options)).pipe(
    Layer.provideMerge(shared)
  )
  // The raw transport skips 401 recovery, so it is provided to Auth and GatewayClient only, never exposed.
  const transport = GatewayTransport.layer.pipe(Layer.provide(infra))
  const client = GatewayClient.layer.pipe(
    Layer.provideMerge(Auth.layer.pipe(Layer.provide(sessionStore(options.shared)))),
    Layer.provide(transport),
    Layer.provideMerge(infra)
  )
  const lookups = Layer.mergeAll(Instruments.layer(options.instruments), Accounts.layer).pipe(
    Layer.provideMerge(client)
  )
  const trading = Layer.mergeAll(MarketData.layer, Orders.layer(options.orders), Positions.layer, Trades.layer).pipe(
    Layer.provideMerge(lookups)
  )
  // The hubs connect on their first subscription, so an application that never streams opens no socket.
  const realtime = Layer.mergeAll(MarketHub.layer(options.realtime), UserHub.layer(options.realtime)).pipe(
    Layer.provideMerge(trading)
  )
  // Books and live bars subscribe per stream, on demand.
  const market = Layer.mergeAll(DepthBook.layer(options.depthBook), LiveBars.layer).pipe(Layer.provideMerge(realtime))
  return Health.layer.pipe(Layer.provideMerge(market))
}

/**
 * The keep-alive undici pool, sized from the settings; also exposes its dispatcher to `Health`, and to the
 * transport, which dispatches on it directly (`UndiciPool`) rather than through `HttpClient`.
 */
export const layerHttp: Layer.Layer<HttpClient.HttpClient | NodeHttpClient.Dispatcher, never, ProjectXConfig> =
  Layer.effect(UndiciPool, Effect.map(Effect.service(NodeHttpClient.Dispatcher), UndiciPool.of)).pipe(
    Layer.provideMerge(NodeHttpClient.layerUndiciNoDispatcher),
    Layer.provideMerge(
      Layer.unwrap(
        ProjectXConfig.useSync((config) =>
          NodeHttpClient.layerDispatcherOptions({
            connections: config.pool.connections,
            keepAliveTimeout: Duration.toMillis(config.pool.keepAliveTimeout),
            keepAliveMaxTimeout: Math.max(Duration.toMillis(config.pool.keepAliveTimeout), 600_000)
          })
        )
      )
    )
  )

/** The whole SDK from options, over a keep-alive undici pool. */
export const layer = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> =>
  layerServices(options).pipe(Layer.provideMerge(layerHttp), Layer.provideMerge(ProjectXConfig.layer(options)))

/**
 * The whole SDK from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`, `PROJECTX_*`;
 * `PROJECTX_REDIS_URL` turns on `shared` unless `overrides.shared` is given).
 */
export const layerConfig = (
  overrides: Partial<ProjectXOptions> & LayerOptions = {}
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> =>
  Layer.unwrap(
    Effect.map(
      Config.option(Config.Redacted("PROJECTX_REDIS_URL")).pipe(
        Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
      ),
      (redisUrl) => {
        const shared =
          overrides.shared ??
          (Option.isSome(redisUrl) && Redacted.value(redisUrl.value).trim().length > 0
            ? { redisUrl: redisUrl.value }
            : undefined)
        return layerServices({ ...overrides, shared }).pipe(
          Layer.provideMerge(layerHttp),
          Layer.provideMerge(ProjectXConfig.layerConfig(overrides))
        )
      }
    )
  )

/** The whole SDK over a platform `HttpClient` you provide. */
export const layerWithoutHttp = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services, ConfigurationError, HttpClient.HttpClient> =>
  layerServices(options).pipe(Layer.provideMerge(ProjectXConfig.layer(options)))
