/**
 * The composed SDK: every service in one Layer. An Effect application writes one `Effect.provide` and
 * then `yield* MarketData`, `yield* Orders`, … . `layer` brings a keep-alive undici pool sized from the
 * settings; `layerWithoutHttp` takes any platform `HttpClient` instead (a fetch client, a test double).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Duration, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Accounts } from "./trading/Accounts.ts"
import { Auth } from "./client/Auth.ts"
import * as BarCacheModule from "./market/BarCache.ts"
import { CircuitBreaker } from "./client/CircuitBreaker.ts"
import type { ConfigurationError } from "./client/Errors.ts"
import { GatewayClient } from "./client/GatewayClient.ts"
import { GatewayTransport } from "./client/internal/GatewayTransport.ts"
import { Health } from "./observability/Health.ts"
import { Instruments, type InstrumentsOptions } from "./market/Instruments.ts"
import { MarketData } from "./market/MarketData.ts"
import { Orders, type OrdersOptions } from "./trading/Orders.ts"
import { Positions } from "./trading/Positions.ts"
import { ProjectXConfig, type ProjectXOptions } from "./client/ProjectXConfig.ts"
import { RateLimiter } from "./client/RateLimiter.ts"
import { Trades } from "./trading/Trades.ts"

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
}

const rateLimiterFromConfig = Layer.unwrap(
  ProjectXConfig.useSync((config) =>
    // The settings were validated by ProjectXConfig already, so a config error here is a defect.
    RateLimiter.layer({
      buckets: { history: config.rateLimits.history, general: config.rateLimits.general },
      safetyMargin: config.rateLimits.safetyMargin,
      scope: `${config.urls.api}|${config.username}`
    }).pipe(Layer.orDie)
  )
)

/** Every service, given `ProjectXConfig` and a platform `HttpClient`. */
export const layerServices = (
  options: LayerOptions = {}
): Layer.Layer<Exclude<Services, ProjectXConfig>, never, ProjectXConfig | HttpClient.HttpClient> => {
  const infra = Layer.mergeAll(
    rateLimiterFromConfig,
    CircuitBreaker.layer,
    options.cache === false ? BarCacheModule.BarCache.layerDisabled : BarCacheModule.BarCache.layer(options.cache)
  )
  // The raw transport skips 401 recovery, so it is provided to Auth and GatewayClient only, never exposed.
  const transport = GatewayTransport.layer.pipe(Layer.provide(infra))
  const client = GatewayClient.layer.pipe(
    Layer.provideMerge(Auth.layer),
    Layer.provide(transport),
    Layer.provideMerge(infra)
  )
  const lookups = Layer.mergeAll(Instruments.layer(options.instruments), Accounts.layer).pipe(
    Layer.provideMerge(client)
  )
  const trading = Layer.mergeAll(
    MarketData.layer,
    Orders.layer(options.orders),
    Positions.layer,
    Trades.layer,
    Health.layer
  ).pipe(Layer.provideMerge(lookups))
  return trading
}

/** The keep-alive undici pool, sized from the settings; also exposes its dispatcher to `Health`. */
export const layerHttp: Layer.Layer<HttpClient.HttpClient | NodeHttpClient.Dispatcher, never, ProjectXConfig> =
  NodeHttpClient.layerUndiciNoDispatcher.pipe(
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

/** The whole SDK from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`, `PROJECTX_*`). */
export const layerConfig = (
  overrides: Partial<ProjectXOptions> & LayerOptions = {}
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> =>
  layerServices(overrides).pipe(
    Layer.provideMerge(layerHttp),
    Layer.provideMerge(ProjectXConfig.layerConfig(overrides))
  )

/** The whole SDK over a platform `HttpClient` you provide. */
export const layerWithoutHttp = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services, ConfigurationError, HttpClient.HttpClient> =>
  layerServices(options).pipe(Layer.provideMerge(ProjectXConfig.layer(options)))
