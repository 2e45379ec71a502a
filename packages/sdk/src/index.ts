/**
 * @projectx-effect/sdk: an Effect 4 SDK for the ProjectX Gateway API (TopstepX and other prop firms).
 * Each module is one concept; `ProjectX.layer(options)` composes them all.
 */
export * as Accounts from "./trading/Accounts.ts"
export * as Auth from "./client/Auth.ts"
export * as BarCache from "./market/BarCache.ts"
export * as Bars from "./market/Bars.ts"
export * as CircuitBreaker from "./client/CircuitBreaker.ts"
/** A bounded L2 book per contract over the market hub's depth. */
export * as DepthBook from "./state/DepthBook.ts"
export * as Errors from "./client/Errors.ts"
/** The wire contract: enums, models, error codes, the endpoint table and the firm registry. */
export * as Gateway from "@projectx-effect/gateway"
export * as GatewayClient from "./client/GatewayClient.ts"
export * as Health from "./observability/Health.ts"
export * as Instruments from "./market/Instruments.ts"
/** Bars of any unit from the market hub's prints, joined to REST history. */
export * as LiveBars from "./state/LiveBars.ts"
export * as MarketData from "./market/MarketData.ts"
export * as MarketHub from "./realtime/MarketHub.ts"
export * as Metrics from "./observability/Metrics.ts"
/** Alerts (and, by policy, a stop or a flatten) for a position without a working stop. */
export * as NakedPositionGuard from "./state/NakedPositionGuard.ts"
/** The order lifecycle: phases, the Gateway status mapping and checked transitions. */
export * as OrderLifecycle from "./state/OrderLifecycle.ts"
export * as Orders from "./trading/Orders.ts"
export * as Positions from "./trading/Positions.ts"
export * as ProjectX from "./ProjectX.ts"
/** The REST services alone (no market data, cache or hubs); also `@projectx-effect/sdk/rest`. */
export * as ProjectXRest from "./ProjectXRest.ts"
export * as ProjectXConfig from "./client/ProjectXConfig.ts"
export * as RateLimiter from "./client/RateLimiter.ts"
/** Realtime events, signals, errors and options (the hubs themselves are `MarketHub` and `UserHub`). */
export * as Realtime from "./realtime/Realtime.ts"
export * as Shared from "./client/Shared.ts"
export * as Telemetry from "./observability/Telemetry.ts"
export * as Trades from "./trading/Trades.ts"
/** One account's orders, positions and balance from the user hub, reconciled with REST; order handles. */
export * as TradingState from "./state/TradingState.ts"
export * as UserHub from "./realtime/UserHub.ts"
export * from "./client/publicErrors.ts"
