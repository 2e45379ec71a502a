/**
 * The simulator's admin API (`/_sim/...`, no authentication): its input Schemas, and a small typed
 * client over `fetch` that tests and tools use to read counters, reset, move the clock and the
 * market, change limits and accounts, and inject faults.
 *
 * @example
 * ```ts
 * const admin = SimulatorAdmin.make("http://127.0.0.1:5000")
 * await admin.setClock({ mode: "fixed", now: "2025-11-19T15:30:00Z" })
 * await admin.setFaults([{ endpoint: "placeOrder", kind: "dropAfterExecute", times: 1 }])
 * const stats = await admin.stats()
 * ```
 */
import type { HalfTrade, Order, Position } from "@projectx-effect/gateway"
import { Schema } from "effect"
import type { ActiveRule, FaultRule } from "./internal/Faults.ts"
import type { RateLimitSettings } from "./internal/RateLimits.ts"
import type { StatsSnapshot } from "./internal/Stats.ts"
import type { HubSettings, HubStats } from "./internal/hubs/HubServer.ts"
import type { SeedAccount } from "./Seed.ts"

export type { ActiveRule, EndpointStats, FaultKind, FaultRule, HubSettings, HubStats, RateLimitSettings, StatsSnapshot }
export type { BucketLimit } from "./internal/RateLimits.ts"
import type { EndpointStats } from "./internal/Stats.ts"
import type { FaultKind } from "./internal/Faults.ts"

const opt = <S extends Schema.Top>(s: S) => Schema.optional(s)

/** An instant: ISO-8601 text or epoch milliseconds. */
export const Instant = Schema.Union([Schema.String, Schema.Finite])

export const ClockInput = Schema.Struct({
  mode: opt(Schema.Literals(["live", "fixed"])),
  now: opt(Instant),
  advanceMs: opt(Schema.Finite)
})
export type ClockInput = typeof ClockInput.Type

export interface ClockState {
  readonly mode: "live" | "fixed"
  /** Market time, ISO-8601. */
  readonly now: string
  readonly nowMs: number
}

const BucketInput = Schema.Struct({ limit: opt(Schema.Int), windowMs: opt(Schema.Finite) })

export const RateLimitInput = Schema.Struct({
  enabled: opt(Schema.Boolean),
  mode: opt(Schema.Literals(["sliding", "fixed"])),
  timeScale: opt(Schema.Finite),
  history: opt(BucketInput),
  general: opt(BucketInput)
})
export type RateLimitInput = typeof RateLimitInput.Type

export const AuthInput = Schema.Struct({
  tokenLifetimeSeconds: opt(Schema.Finite),
  /** Revokes every token issued so far (all sessions get 401). */
  revokeAll: opt(Schema.Boolean)
})
export type AuthInput = typeof AuthInput.Type

export interface AuthState {
  readonly tokenLifetimeSeconds: number
  readonly sessions: number
}

export const FaultRuleSchema = Schema.Struct({
  endpoint: Schema.String,
  kind: Schema.Literals(["status", "latency", "drop", "malformed", "dropAfterExecute", "errorCode"]),
  probability: opt(Schema.Finite),
  times: opt(Schema.Int),
  status: opt(Schema.Int),
  retryAfterSeconds: opt(Schema.Int),
  latencyMs: opt(Schema.Finite),
  errorCode: opt(Schema.Int),
  errorMessage: opt(Schema.NullOr(Schema.String))
})

export const FaultsInput = Schema.Struct({
  rules: Schema.Array(FaultRuleSchema),
  /** Seeds the PRNG behind `probability`, so the same requests meet the same faults. */
  seed: opt(Schema.Int),
  /** Add to the current rules instead of replacing them. */
  append: opt(Schema.Boolean)
})
export type FaultsInput = typeof FaultsInput.Type

export interface FaultsState {
  readonly seed: number
  readonly rules: ReadonlyArray<ActiveRule>
}

export const MarketInput = Schema.Struct({
  contractId: Schema.String,
  /** Move the last price to this level (tick-aligned) from now on. */
  price: opt(Schema.Finite),
  /** Or move it by this many ticks. */
  nudgeTicks: opt(Schema.Int)
})
export type MarketInput = typeof MarketInput.Type

export interface MarketState {
  readonly contractId: string
  readonly open: boolean
  readonly lastPrice: number | null
  readonly bid: number | null
  readonly ask: number | null
  readonly tickSize: number
}

export const AccountInput = Schema.Struct({
  id: Schema.Int,
  name: opt(Schema.String),
  balance: opt(Schema.Finite),
  canTrade: opt(Schema.Boolean),
  isVisible: opt(Schema.Boolean),
  simulated: opt(Schema.Boolean),
  active: opt(Schema.Boolean),
  follower: opt(Schema.Boolean),
  bracketMode: opt(Schema.Literals(["autoOco", "position"])),
  violation: opt(Schema.Boolean),
  minStopLossTicks: opt(Schema.Int)
})
export type AccountInput = typeof AccountInput.Type

/** An account as the admin API shows it: its seed settings, current balance, and owner. */
export interface AccountState extends SeedAccount {
  readonly userId: number
}

export const EngineInput = Schema.Struct({
  maxFillPerStep: opt(Schema.Int),
  stopLimit: opt(Schema.Literals(["accept", "reject"])),
  closeCancelsBrackets: opt(Schema.Boolean)
})
export type EngineInput = typeof EngineInput.Type

export interface EngineState {
  readonly maxFillPerStep: number
  readonly stopLimit: "accept" | "reject"
  readonly closeCancelsBrackets: boolean
}

export const ResetInput = Schema.Struct({
  /** Also revoke every token (default: sessions survive a reset). */
  sessions: opt(Schema.Boolean)
})
export type ResetInput = typeof ResetInput.Type

export const HubSettingsInput = Schema.Struct({
  keepAliveMs: opt(Schema.Finite.check(Schema.isGreaterThan(0))),
  ticksPerSecond: opt(Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: 100_000 }))),
  depthLevels: opt(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  quoteDeltas: opt(Schema.Boolean),
  frozen: opt(Schema.Boolean),
  closeOnTokenExpiry: opt(Schema.Boolean),
  wrapUserEvents: opt(Schema.Boolean),
  singleSession: opt(Schema.Boolean)
})
export type HubSettingsInput = typeof HubSettingsInput.Type

const HubName = Schema.Literals(["user", "market"])

export const HubDropInput = Schema.Struct({
  /** Only this hub's connections (default: both hubs). */
  hub: opt(HubName)
})
export type HubDropInput = typeof HubDropInput.Type

export const HubCloseInput = Schema.Struct({
  hub: opt(HubName),
  /** The close message's error text. */
  error: opt(Schema.String),
  /** Whether the client may reconnect (SignalR's `allowReconnect`). */
  allowReconnect: opt(Schema.Boolean)
})
export type HubCloseInput = typeof HubCloseInput.Type

export const HubLogoutInput = Schema.Struct({
  /** Only this user's connections (default: every connection). */
  userName: opt(Schema.String)
})
export type HubLogoutInput = typeof HubLogoutInput.Type

/** How many connections an admin action reached. */
export interface HubActionResult {
  readonly connections: number
}

/** The counters of `/_sim/stats`: the REST endpoints' and the hubs'. */
export interface SimulatorStats extends StatsSnapshot {
  readonly hubs: HubStats
}

/** Wire JSON of the Gateway's models, as the admin views return them. */
export type WireOrder = (typeof Order)["Encoded"]
export type WirePosition = (typeof Position)["Encoded"]
export type WireTrade = (typeof HalfTrade)["Encoded"]

/** Admin paths, relative to the simulator's base URL. */
export const paths = {
  root: "/_sim",
  stats: "/_sim/stats",
  statsReset: "/_sim/stats/reset",
  reset: "/_sim/reset",
  clock: "/_sim/clock",
  rateLimits: "/_sim/rate-limits",
  auth: "/_sim/auth",
  faults: "/_sim/faults",
  market: "/_sim/market",
  accounts: "/_sim/accounts",
  engine: "/_sim/engine",
  orders: "/_sim/orders",
  positions: "/_sim/positions",
  trades: "/_sim/trades",
  hubs: "/_sim/hubs",
  hubsDrop: "/_sim/hubs/drop",
  hubsClose: "/_sim/hubs/close",
  hubsLogout: "/_sim/hubs/logout"
} as const

export class AdminError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = "AdminError"
    this.status = status
  }
}

/** The admin client. Every method is one HTTP call; failures reject with an `AdminError`. */
export interface Client {
  readonly baseUrl: string
  readonly stats: () => Promise<SimulatorStats>
  readonly resetStats: () => Promise<void>
  readonly reset: (input?: ResetInput) => Promise<void>
  readonly clock: () => Promise<ClockState>
  readonly setClock: (input: ClockInput) => Promise<ClockState>
  readonly advanceClock: (ms: number) => Promise<ClockState>
  readonly rateLimits: () => Promise<RateLimitSettings>
  readonly setRateLimits: (input: RateLimitInput) => Promise<RateLimitSettings>
  readonly auth: () => Promise<AuthState>
  readonly setTokenLifetime: (seconds: number) => Promise<AuthState>
  readonly revokeSessions: () => Promise<AuthState>
  readonly faults: () => Promise<FaultsState>
  readonly setFaults: (
    rules: ReadonlyArray<FaultRule>,
    options?: { seed?: number; append?: boolean }
  ) => Promise<FaultsState>
  readonly clearFaults: () => Promise<void>
  readonly market: (contractId: string) => Promise<MarketState>
  readonly setPrice: (contractId: string, price: number) => Promise<MarketState>
  readonly nudgePrice: (contractId: string, ticks: number) => Promise<MarketState>
  readonly accounts: () => Promise<ReadonlyArray<AccountState>>
  readonly updateAccount: (input: AccountInput) => Promise<AccountState>
  readonly engine: () => Promise<EngineState>
  readonly setEngine: (input: EngineInput) => Promise<EngineState>
  /** Every order of an account, any status (Suspended bracket children included). */
  readonly orders: (accountId: number) => Promise<ReadonlyArray<WireOrder>>
  readonly positions: (accountId: number) => Promise<ReadonlyArray<WirePosition>>
  readonly trades: (accountId: number) => Promise<ReadonlyArray<WireTrade>>
  readonly hubs: () => Promise<HubSettings>
  /** Changes hub settings; `frozen: true` stops all data while pings continue. */
  readonly setHubs: (input: HubSettingsInput) => Promise<HubSettings>
  /** Drops every hub socket (or one hub's) with no close message: what a network failure looks like. */
  readonly dropHubConnections: (input?: HubDropInput) => Promise<HubActionResult>
  /** Sends a SignalR close message, with or without `allowReconnect`, then closes the sockets. */
  readonly closeHubConnections: (input?: HubCloseInput) => Promise<HubActionResult>
  /** Pushes GatewayLogout on both hubs (to one user's connections, or all). */
  readonly pushLogout: (input?: HubLogoutInput) => Promise<HubActionResult>
}

/** A client for the simulator at `baseUrl` (e.g. the `url` of `Simulator.start`). */
export const make = (baseUrl: string): Client => {
  const base = baseUrl.replace(/\/+$/, "")
  const call = async <A>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<A> => {
    const init: RequestInit =
      body === undefined
        ? { method }
        : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
    const res = await fetch(base + path, init)
    const text = await res.text()
    if (!res.ok) throw new AdminError(res.status, `${method} ${path}: ${res.status} ${text.slice(0, 200)}`)
    return (text.length === 0 ? undefined : JSON.parse(text)) as A
  }
  const q = (accountId: number) => `?accountId=${encodeURIComponent(String(accountId))}`
  return {
    baseUrl: base,
    stats: () => call("GET", paths.stats),
    resetStats: () => call("POST", paths.statsReset, {}),
    reset: (input = {}) => call("POST", paths.reset, input),
    clock: () => call("GET", paths.clock),
    setClock: (input) => call("POST", paths.clock, input),
    advanceClock: (ms) => call("POST", paths.clock, { advanceMs: ms }),
    rateLimits: () => call("GET", paths.rateLimits),
    setRateLimits: (input) => call("POST", paths.rateLimits, input),
    auth: () => call("GET", paths.auth),
    setTokenLifetime: (seconds) => call("POST", paths.auth, { tokenLifetimeSeconds: seconds }),
    revokeSessions: () => call("POST", paths.auth, { revokeAll: true }),
    faults: () => call("GET", paths.faults),
    setFaults: (rules, options = {}) => call("POST", paths.faults, { rules, ...options }),
    clearFaults: () => call("DELETE", paths.faults),
    market: (contractId) => call("GET", `${paths.market}?contractId=${encodeURIComponent(contractId)}`),
    setPrice: (contractId, price) => call("POST", paths.market, { contractId, price }),
    nudgePrice: (contractId, ticks) => call("POST", paths.market, { contractId, nudgeTicks: ticks }),
    accounts: () => call("GET", paths.accounts),
    updateAccount: (input) => call("POST", paths.accounts, input),
    engine: () => call("GET", paths.engine),
    setEngine: (input) => call("POST", paths.engine, input),
    orders: (accountId) => call("GET", paths.orders + q(accountId)),
    positions: (accountId) => call("GET", paths.positions + q(accountId)),
    trades: (accountId) => call("GET", paths.trades + q(accountId)),
    hubs: () => call("GET", paths.hubs),
    setHubs: (input) => call("POST", paths.hubs, input),
    dropHubConnections: (input = {}) => call("POST", paths.hubsDrop, input),
    closeHubConnections: (input = {}) => call("POST", paths.hubsClose, input),
    pushLogout: (input = {}) => call("POST", paths.hubsLogout, input)
  }
}
