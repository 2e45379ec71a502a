/**
 * @projectx-effect/sdk: an Effect 4 SDK for the ProjectX Gateway API (TopstepX and other prop firms).
 * Each module is one concept; `ProjectX.layer(options)` composes them all.
 */
export * as Accounts from "./trading/Accounts.ts"
export * as Auth from "./client/Auth.ts"
export * as BarCache from "./market/BarCache.ts"
export * as Bars from "./market/Bars.ts"
export * as CircuitBreaker from "./client/CircuitBreaker.ts"
export * as Errors from "./client/Errors.ts"
/** The wire contract: enums, models, error codes, the endpoint table and the firm registry. */
export * as Gateway from "@projectx-effect/gateway"
export * as GatewayClient from "./client/GatewayClient.ts"
export * as Health from "./observability/Health.ts"
export * as Instruments from "./market/Instruments.ts"
export * as MarketData from "./market/MarketData.ts"
export * as Metrics from "./observability/Metrics.ts"
export * as Orders from "./trading/Orders.ts"
export * as Positions from "./trading/Positions.ts"
export * as ProjectX from "./ProjectX.ts"
export * as ProjectXConfig from "./client/ProjectXConfig.ts"
export * as RateLimiter from "./client/RateLimiter.ts"
export * as Telemetry from "./observability/Telemetry.ts"
export * as Trades from "./trading/Trades.ts"
export {
  AccountNotFound,
  AmbiguousOrder,
  ConfigurationError,
  ContractNotFound,
  GatewayError,
  ValidationError
} from "./client/Errors.ts"
