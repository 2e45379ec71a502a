/**
 * `@projectx-effect/sdk/rest`: the request/response half of the SDK, importable without the rest.
 * `ProjectXRest.layerConfig()` composes it; nothing here loads Arrow, lz4 or SignalR.
 */
export * as Accounts from "./trading/Accounts.ts"
export * as Auth from "./client/Auth.ts"
export * as CircuitBreaker from "./client/CircuitBreaker.ts"
export * as Errors from "./client/Errors.ts"
export * as GatewayClient from "./client/GatewayClient.ts"
export * as Instruments from "./market/Instruments.ts"
export * as Orders from "./trading/Orders.ts"
export * as Positions from "./trading/Positions.ts"
export * as ProjectXConfig from "./client/ProjectXConfig.ts"
export * as ProjectXRest from "./ProjectXRest.ts"
export * as RateLimiter from "./client/RateLimiter.ts"
export * as Shared from "./client/Shared.ts"
export * as Trades from "./trading/Trades.ts"
export * from "./client/publicErrors.ts"
