/**
 * What the realtime Streams deliver: data events decoded with the gateway's hub Schemas, and in-band
 * signals (`Stale`, `Recovered`, `Reconnected`, `Logout`) so a subscriber sees a gap exactly where it
 * happened. Every element carries a `_tag`, so `Stream.filter` narrows and `switch` is exhaustive.
 */
import type {
  GatewayDepthEntry,
  GatewayQuote,
  GatewayTradePrint,
  HalfTrade,
  Order,
  Position,
  TradingAccount
} from "@projectx-effect/gateway"
import * as Schema from "effect/Schema"
import type { BarTable } from "../market/Bars.ts"

export type HubName = "user" | "market"

/** A hub connection's state: `idle` until the first subscription, `closed` once its scope has closed. */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed"

/** The full quote of a contract: the first snapshot with every later delta merged in. */
export interface Quote extends GatewayQuote {
  readonly _tag: "Quote"
  readonly contractId: string
  /** When the SDK received the latest update merged in (Clock milliseconds). */
  readonly receivedAt: number
}

/** One `GatewayTrade` batch of market prints. */
export interface MarketTrades {
  readonly _tag: "MarketTrades"
  readonly contractId: string
  readonly trades: ReadonlyArray<GatewayTradePrint>
  readonly receivedAt: number
}

/**
 * DOM updates for a contract, in order. Under load several batches are coalesced: the latest entry per
 * price level wins and a Reset (type 6) clears what came before it, so applying them in order still
 * builds the same book.
 */
export interface Depth {
  readonly _tag: "Depth"
  readonly contractId: string
  readonly entries: ReadonlyArray<GatewayDepthEntry>
  readonly receivedAt: number
}

/** Where a user event came from: the hub, or the REST backfill after a gap (reconnect, stale feed). */
export type EventSource = "hub" | "rest"

export interface OrderUpdate {
  readonly _tag: "OrderUpdate"
  readonly order: Order
  readonly source: EventSource
}

/** A position change; `size: 0` means the position is now flat. */
export interface PositionUpdate {
  readonly _tag: "PositionUpdate"
  readonly position: Position
  readonly source: EventSource
}

/** One fill of the account (a half-turn trade). */
export interface UserTrade {
  readonly _tag: "UserTrade"
  readonly trade: HalfTrade
  readonly source: EventSource
}

export interface AccountUpdate {
  readonly _tag: "AccountUpdate"
  readonly account: TradingAccount
  readonly source: EventSource
}

/** A subscription has been silent longer than its channel's threshold (while it should not be). */
export interface Stale {
  readonly _tag: "Stale"
  readonly hub: HubName
  /** The subscription, e.g. `quotes:CON.F.US.MNQ.Z25` or `orders:1001`. */
  readonly subscription: string
  readonly silentMs: number
}

/** Data flows again after a `Stale`; `bars` are the 1-minute bars of the gap (market data, when fetched). */
export interface Recovered {
  readonly _tag: "Recovered"
  readonly hub: HubName
  readonly subscription: string
  readonly gapMs: number
  /** The last step the watchdog took before data came back. */
  readonly via: "data" | "resubscribe" | "reconnect" | "backfill"
  readonly bars?: BarTable | undefined
}

/** The hub connection is back and every subscription has been replayed (events in between are lost by the hub). */
export interface Reconnected {
  readonly _tag: "Reconnected"
  readonly hub: HubName
  /** Reconnects of this hub so far. */
  readonly reconnects: number
}

/** The Gateway pushed `GatewayLogout` (the session was taken elsewhere): the SDK logs in again and reconnects. */
export interface Logout {
  readonly _tag: "Logout"
  readonly hub: HubName
  /** Logouts in a row without a quiet period; the reconnect backs off as this grows. */
  readonly streak: number
}

export type Signal = Stale | Recovered | Reconnected | Logout

export type MarketEvent = Quote | MarketTrades | Depth
export type UserEvent = OrderUpdate | PositionUpdate | UserTrade | AccountUpdate

/** True for the in-band signals, false for data. */
export const isSignal = (event: { readonly _tag: string }): event is Signal =>
  event._tag === "Stale" || event._tag === "Recovered" || event._tag === "Reconnected" || event._tag === "Logout"

/**
 * A subscriber fell further behind than its buffer allows on a channel that is never dropped (user events,
 * market trades): the Stream fails with this instead of losing events silently. Resubscribe and reconcile
 * with REST (or raise the buffer).
 */
export class RealtimeOverflow extends Schema.TaggedError<RealtimeOverflow>()("RealtimeOverflow", {
  hub: Schema.Literals(["user", "market"]),
  subscription: Schema.String,
  capacity: Schema.Number
}) {
  override get message(): string {
    return `${this.subscription}: the subscriber fell ${this.capacity} events behind; events are never dropped, so the stream ends here`
  }
}

/** The hub refused a subscription (an unknown contract, an account that is not yours). */
export class SubscriptionRefused extends Schema.TaggedError<SubscriptionRefused>()("SubscriptionRefused", {
  hub: Schema.Literals(["user", "market"]),
  method: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.hub} hub refused ${this.method}: ${this.reason}`
  }
}

export type RealtimeError = RealtimeOverflow | SubscriptionRefused

/** One hub's health, as `MarketHub.health` / `UserHub.health` and `Health.check` report it. */
export interface ChannelHealth {
  readonly hub: HubName
  readonly url: string
  readonly state: ConnectionState
  readonly connects: number
  readonly reconnects: number
  readonly failedStarts: number
  readonly logouts: number
  /** Times the watchdog found a subscription stale. */
  readonly staleEvents: number
  readonly staleAfterMs: number
  readonly messages: Readonly<Record<string, number>>
  /** Updates superseded by coalescing (quotes, depth). */
  readonly drops: Readonly<Record<string, number>>
  readonly subscriptions: ReadonlyArray<{
    readonly key: string
    /** Milliseconds since its last message, or undefined before the first. */
    readonly lastMessageAgeMs: number | undefined
    readonly stale: boolean
  }>
}
