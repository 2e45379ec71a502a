/**
 * The SDK's request/response half in one Layer: config, auth, the Gateway client with its limiter and
 * breaker, and the REST services (Accounts, Instruments, Orders, Positions, Trades). No market data, bar
 * cache or hubs, so Arrow, lz4 and SignalR never load: for one-shot tools such as the CLI's `accounts`.
 * Same stack and settings as `ProjectX.layer` (`client/internal/stack.ts`), including `shared`.
 */
import type * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import type { HttpClient } from "effect/http"
import type { Auth } from "./client/Auth.ts"
import type { CircuitBreaker } from "./client/CircuitBreaker.ts"
import type { ConfigurationError } from "./client/Errors.ts"
import type { GatewayClient } from "./client/GatewayClient.ts"
import { clientLayer, infraFor, overPool, overPoolFromEnvironment } from "./client/internal/stack.ts"
import type { ProjectXConfig, ProjectXOptions } from "./client/ProjectXConfig.ts"
import type { RateLimiter } from "./client/RateLimiter.ts"
import type { SharedOptions } from "./client/Shared.ts"
import { Instruments, type InstrumentsOptions } from "./market/Instruments.ts"
import { Accounts } from "./trading/Accounts.ts"
import { Orders, type OrdersOptions } from "./trading/Orders.ts"
import { Positions } from "./trading/Positions.ts"
import { Trades } from "./trading/Trades.ts"

/** Everything `ProjectXRest.layer` provides. */
export type Services =
  | ProjectXConfig
  | Auth
  | GatewayClient
  | RateLimiter
  | CircuitBreaker
  | Instruments
  | Accounts
  | Orders
  | Positions
  | Trades

/** The options of the services this layer builds (the same fields as `ProjectX.LayerOptions`). */
export interface LayerOptions {
  readonly instruments?: InstrumentsOptions | undefined
  readonly orders?: OrdersOptions | undefined
  /** Share the rate budget and the session with every process of this account through Redis. */
  readonly shared?: SharedOptions | undefined
}

/** The REST services, given `ProjectXConfig` and a platform `HttpClient`. */
export const layerServices = (
  options: LayerOptions = {}
): Layer.Layer<Exclude<Services, ProjectXConfig>, ConfigurationError, ProjectXConfig | HttpClient.HttpClient> => {
  const { infra, session } = infraFor(options.shared, { local: Layer.empty, shared: () => Layer.empty })
  const client = clientLayer(session).pipe(Layer.provideMerge(infra))
  const lookups = Layer.mergeAll(Instruments.layer(options.instruments), Accounts.layer).pipe(
    Layer.provideMerge(client)
  )
  return Layer.mergeAll(Orders.layer(options.orders), Positions.layer, Trades.layer).pipe(Layer.provideMerge(lookups))
}

/** The REST services from options, over a keep-alive undici pool. */
export const layer = (
  options: ProjectXOptions & LayerOptions
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> => overPool(layerServices, options)

/**
 * The REST services from the environment, as `ProjectX.layerConfig` reads it (`PROJECTX_REDIS_URL`
 * turns on `shared` unless `overrides.shared` is given).
 */
export const layerConfig = (
  overrides: Partial<ProjectXOptions> & LayerOptions = {}
): Layer.Layer<Services | NodeHttpClient.Dispatcher, ConfigurationError> =>
  overPoolFromEnvironment(layerServices, overrides)
