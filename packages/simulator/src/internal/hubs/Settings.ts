// The hubs' settings, and what the hubs need of the simulator's state: an interface of its own so the hub
// modules depend on the state's parts (engine, market, clock, sessions), never on State.ts, which owns them.
import type { Engine } from "../Engine.ts"
import type { Market } from "../Market.ts"
import type { Sessions } from "../Sessions.ts"
import type { SimClock } from "../SimClock.ts"

export interface HubSettings {
  /** Idle time after which the server pings a connection (SignalR's default: 15 s). */
  readonly keepAliveMs: number
  /** Market points per contract per market second; each is one quote (thousands for load tests). */
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

/** The simulator state as the hubs see it (SimState satisfies it). */
export interface HubHost {
  readonly wallNow: () => number
  readonly clock: SimClock
  readonly market: Market
  readonly engine: Engine
  readonly sessions: Sessions
}
