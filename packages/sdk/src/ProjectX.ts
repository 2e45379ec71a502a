/**
 * The composed SDK: every service in one Layer. An Effect application writes one `Effect.provide` and
 * then `yield* MarketData`, `yield* Orders`, … . `layer` brings a keep-alive undici pool sized from the
 * settings; `layerWithoutHttp` takes any platform `HttpClient` instead (a fetch client, a test double).
 */
import type * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Effect from "effect/Effect"
import type { HttpClient } from "effect/http"
import { Accounts } from "./trading/Accounts.ts"
import type { Auth } from "./client/Auth.ts"
import * as BarCacheModule from "./market/BarCache.ts"
import type { CircuitBreaker } from "./client/CircuitBreaker.ts"
import type { ConfigurationError } from "./client/Errors.ts"
import type { GatewayClient } from "./client/GatewayClient.ts"
import {
  clientLayer,
  infraFor,
  overPool,
  overPoolFromEnvironment,
  layerHttp as stackLayerHttp
} from "./client/internal/stack.ts"
import { Health } from "./observability/Health.ts"
import { Instruments, type InstrumentsOptions } from "./market/Instruments.ts"
import { MarketData } from "./market/MarketData.ts"
import { Orders, type OrdersOptions } from "./trading/Orders.ts"
import { Positions } from "./trading/Positions.ts"
import { ProjectXConfig, type ProjectXOptions } from "./client/ProjectXConfig.ts"
import type { RateLimiter } from "./client/RateLimiter.ts"
import { RedisBytes, type SharedOptions, SharedStatus } from "./client/Shared.ts"
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

const localBarCache = (options: LayerOptions) =>
  options.cache === false ? BarCacheModule.BarCache.layerDisabled : BarCacheModule.BarCache.layer(options.cache)

const sharedBarCache = (
  options: LayerOptions,
  shared: SharedOptions
): Layer.Layer<BarCacheModule.BarCache, never, RedisBytes | SharedStatus> => {
  if (options.cache === false || shared.cache === false) return localBarCache(options)
  const tier = shared.cache
  return Layer.unwrap(
    Effect.gen(function* () {
      const redis = yield* RedisBytes
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

/** Every service, given `ProjectXConfig` and a platform `HttpClient`. */
export const layerServices = (
  options: LayerOptions = {}
): Layer.Layer<Exclude<Services, ProjectXConfig>, ConfigurationError, ProjectXConfig | HttpClient.HttpClient> => {
  const { infra, session } = infraFor(options.shared, {
    local: localBarCache(options),
    shared: (shared) => sharedBarCache(options, shared)
  })
  const client = clientLayer(session).pipe(Layer.provideMerge(infra))
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
  stackLayerHttp

/** The whole SDK from options, over a keep-alive undici pool. */
export const layer = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> => overPool(layerServices, options)

/**
 * The whole SDK from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`, `PROJECTX_*`;
 * `PROJECTX_REDIS_URL` turns on `shared` unless `overrides.shared` is given).
 */
export const layerConfig = (
  overrides: Partial<ProjectXOptions> & LayerOptions = {}
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> =>
  overPoolFromEnvironment(layerServices, overrides)

/** The whole SDK over a platform `HttpClient` you provide. */
export const layerWithoutHttp = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services, ConfigurationError, HttpClient.HttpClient> =>
  layerServices(options).pipe(Layer.provideMerge(ProjectXConfig.layer(options)))
