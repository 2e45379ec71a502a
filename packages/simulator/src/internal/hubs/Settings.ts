// What the hubs are told (their settings) and what they may read of the simulator (`HubState`): a
// narrow view, so the hub modules depend on the engine, market and sessions, never on `State` itself
// (which builds the hubs) — no import cycle.
import type { Engine } from "../Engine.ts"
import type { Market } from "../Market.ts"
import type { Sessions } from "../Sessions.ts"
import type { SimClock } from "../SimClock.ts"

/** The parts of the simulator's state the hubs read. `State` satisfies it. */
export interface HubState {
  readonly wallNow: () => number
  readonly clock: SimClock
  readonly market: Market
  readonly engine: Engine
  readonly sessions: Sessions
}

export interface HubSettings {
  /** Idle time after which the server pings a connection (SignalR's default: 15 s). */
  readonly keepAliveMs: number
  /**
   * Market points per contract per market second; each is one quote (thousands for load tests). At
   * least 4 are sent: a second's open, extremes and close are each a print.
   */
  readonly ticksPerSecond: number
  /** Book levels per side in depth snapshots and updates (64 or more makes snapshots over 12 KB). */
  readonly depthLevels: number
  /** Whether quotes after the first are sparse deltas (as observed) or always complete. */
  readonly quoteDeltas: boolean
  /** No market data and no user events, while pings continue (a "healthy" frozen feed). */
  readonly frozen: boolean
  /** Close connections (with an error) when their token expires. */
  readonly closeOnTokenExpiry: boolean
  /** Send user events as `{ action, data }` instead of the bare object. */
  readonly wrapUserEvents: boolean
  /** A new login of a user pushes GatewayLogout to that user's open hub connections. */
  readonly singleSession: boolean
}

export const defaultHubSettings: HubSettings = {
  keepAliveMs: 15_000,
  ticksPerSecond: 4,
  depthLevels: 10,
  quoteDeltas: true,
  frozen: false,
  closeOnTokenExpiry: false,
  wrapUserEvents: false,
  singleSession: false
}
