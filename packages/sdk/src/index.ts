/**
 * @projectx-effect/sdk: an Effect 4 SDK for the ProjectX Gateway API (TopstepX and other prop firms).
 * Each module is one concept; `ProjectX.layer(options)` composes them all.
 */
export * as Accounts from "./Accounts.ts"
export * as Auth from "./Auth.ts"
export * as BarCache from "./BarCache.ts"
export * as Bars from "./Bars.ts"
export * as CircuitBreaker from "./CircuitBreaker.ts"
export * as Errors from "./Errors.ts"
/** The wire contract: enums, models, error codes, the endpoint table and the firm registry. */
export * as Gateway from "@projectx-effect/gateway"
export * as GatewayClient from "./GatewayClient.ts"
export * as Health from "./Health.ts"
export * as Instruments from "./Instruments.ts"
export * as MarketData from "./MarketData.ts"
export * as Metrics from "./Metrics.ts"
export * as Orders from "./Orders.ts"
export * as Positions from "./Positions.ts"
export * as ProjectX from "./ProjectX.ts"
export * as ProjectXConfig from "./ProjectXConfig.ts"
export * as RateLimiter from "./RateLimiter.ts"
export * as Telemetry from "./Telemetry.ts"
export * as Trades from "./Trades.ts"
export * as Waterfall from "./Waterfall.ts"
export {
  AccountNotFound,
  AmbiguousOrder,
  ConfigurationError,
  ContractNotFound,
  GatewayError,
  ValidationError
} from "./Errors.ts"
