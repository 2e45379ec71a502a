// Everything one simulator instance knows: the market, the engine, sessions, rate limits, faults and
// counters, plus the catalog and login logic. The HTTP layer and the admin API both work on this.
import { allEndpoints, type Contract, Endpoints, LoginErrorCode } from "@projectx-effect/gateway"
import { app as appCredentials, type SeedUser } from "../Seed.ts"
import { type ContractInfo, frontQuarter, listed, resolveContract } from "./Contracts.ts"
import { Engine, type EngineOptions } from "./Engine.ts"
import { type FaultRule, Faults } from "./Faults.ts"
import { hash4, hashString } from "./Hash.ts"
import { defaultHubSettings, HubServer, type HubSettings } from "./hubs/HubServer.ts"
import { type DayBars, Market, type TradingHours } from "./Market.ts"
import { RateLimiter, type RateLimitSettings } from "./RateLimits.ts"
import { Sessions } from "./Sessions.ts"
import { type ClockMode, SimClock } from "./SimClock.ts"
import { Stats } from "./Stats.ts"

export type WireContract = (typeof Contract)["Encoded"]

export interface Config {
  readonly seed: number
  readonly clockMode: ClockMode
  readonly clockStart: number | undefined
  readonly tokenLifetimeSeconds: number
  readonly rateLimits: RateLimitSettings
  readonly faults: ReadonlyArray<FaultRule>
  readonly faultSeed: number
  readonly historyStartMs: number
  readonly tradingHours: TradingHours
  /** Contract/search lists the next three quarterly months too (the Gateway lists front months only). */
  readonly deferredMonths: boolean
  /** History/retrieveBars with limit > 20,000: refuse (code 4, with a message) or serve 20,000. */
  readonly barsOverLimit: "reject" | "clamp"
  /** Day bars (and weeks, months) cut at 00:00 UTC, as the Gateway's are, or at the CME session open. */
  readonly dayBars: DayBars
  readonly engine: EngineOptions
  readonly users: ReadonlyArray<SeedUser>
  readonly hubs: Partial<HubSettings>
}

/** The endpoint table as [key, name, path] rows: what stats and fault rules are keyed by. */
export const endpointRows: ReadonlyArray<readonly [string, string, string]> = Object.entries(Endpoints).map(
  ([key, e]) => [key, e.name, e.path] as const
)

export type LoginResult =
  | { readonly _tag: "Success"; readonly token: string }
  | { readonly _tag: "Failure"; readonly errorCode: number; readonly errorMessage: string | null }

export class SimState {
  readonly config: Config
  readonly wallNow: () => number
  readonly clock: SimClock
  readonly market: Market
  engine: Engine
  readonly sessions: Sessions
  readonly limiter: RateLimiter
  readonly faults: Faults
  readonly stats: Stats
  readonly hubs: HubServer

  constructor(config: Config, wallNow: () => number) {
    this.config = config
    this.wallNow = wallNow
    this.clock = new SimClock(wallNow, config.clockMode, config.clockStart)
    this.market = new Market({
      seed: config.seed,
      historyStartMs: config.historyStartMs,
      tradingHours: config.tradingHours,
      dayBars: config.dayBars
    })
    this.engine = this.makeEngine()
    this.sessions = new Sessions(`projectx-simulator/${config.seed}`, wallNow, config.tokenLifetimeSeconds)
    this.limiter = new RateLimiter(config.rateLimits)
    this.faults = new Faults(config.faultSeed)
    this.faults.set(config.faults)
    this.stats = new Stats(endpointRows)
    if (allEndpoints.length !== endpointRows.length) throw new Error("endpoint table changed while loading")
    this.hubs = new HubServer(this, config.hubs)
  }

  private makeEngine(options: EngineOptions = this.config.engine): Engine {
    const engine = new Engine(this.market, () => this.clock.now(), this.config.users, options)
    // The user hub hears every change; `hubs` is assigned after the first engine, before any event.
    engine.onEvent((event) => this.hubs.user.onEngineEvent(event))
    return engine
  }

  /** Back to the seeded state: orders, positions, balances, prices, clock, faults, limits, counters. */
  reset(options: { readonly sessions?: boolean | undefined } = {}): void {
    this.clock.set({
      mode: this.config.clockMode,
      now: this.config.clockStart ?? this.wallNow()
    })
    this.market.clearOverrides()
    this.engine = this.makeEngine(this.engine.options)
    this.limiter.update(this.config.rateLimits)
    this.faults.set(this.config.faults, { seed: this.config.faultSeed })
    this.stats.reset()
    this.hubs.resetStats()
    this.hubs.update({ ...defaultHubSettings, ...this.config.hubs })
    if (options.sessions === true) this.sessions.revokeAll()
  }

  // ---------------------------------------------------------------------------------------------
  // Auth

  private findUser(userName: string): SeedUser | undefined {
    const wanted = userName.toLowerCase()
    return this.config.users.find((u) => u.userName.toLowerCase() === wanted)
  }

  loginKey(userName: string, apiKey: string): LoginResult {
    const user = this.findUser(userName)
    if (user === undefined) return { _tag: "Failure", errorCode: LoginErrorCode.UserNotFound, errorMessage: null }
    if (user.loginError !== undefined) {
      return { _tag: "Failure", errorCode: user.loginError.code, errorMessage: user.loginError.message }
    }
    if (user.apiKey !== apiKey) {
      return { _tag: "Failure", errorCode: LoginErrorCode.InvalidCredentials, errorMessage: null }
    }
    return this.loggedIn(user)
  }

  /** A new session; with the hubs' singleSession setting, the user's other hub connections are logged out. */
  private loggedIn(user: SeedUser): LoginResult {
    const token = this.sessions.issue(user.id, user.userName)
    const verified = this.sessions.verify(token)
    if (verified._tag === "Valid") this.hubs.loggedIn(user.id, verified.session.jti)
    return { _tag: "Success", token }
  }

  loginApp(req: {
    readonly userName: string
    readonly password: string
    readonly deviceId: string
    readonly appId: string
    readonly verifyKey: string
  }): LoginResult {
    const C = LoginErrorCode
    const user = this.findUser(req.userName)
    const failure = (errorCode: number, errorMessage: string | null = null): LoginResult => ({
      _tag: "Failure",
      errorCode,
      errorMessage
    })
    if (user === undefined) return failure(C.UserNotFound)
    if (user.loginError !== undefined) return failure(user.loginError.code, user.loginError.message)
    if (user.password !== req.password) return failure(C.PasswordVerificationFailed)
    if (req.appId !== appCredentials.appId) return failure(C.AppNotFound)
    if (req.verifyKey !== appCredentials.verifyKey) return failure(C.AppVerificationFailed)
    if (req.deviceId.trim().length === 0) return failure(C.InvalidDevice)
    return this.loggedIn(user)
  }

  // ---------------------------------------------------------------------------------------------
  // Contracts

  wireContract(c: ContractInfo, nowMs: number): WireContract {
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      tickSize: c.spec.tickSize,
      tickValue: c.spec.tickValue,
      activeContract: c.quarter === frontQuarter(nowMs),
      symbolId: c.symbolId
    }
  }

  /**
   * Loose matching like the live server ("ES" also finds MES), at most 20. By default front months
   * only (`activeContract: true`, one per product, closest names first), as the Gateway documents;
   * with `deferredMonths`, four quarterly months per root in a scrambled order, so SDKs must pick
   * the front month themselves.
   */
  searchContracts(text: string | null | undefined, nowMs: number): Array<WireContract> {
    const needle = (text ?? "").trim().toUpperCase()
    const front = frontQuarter(nowMs)
    const matches = listed(nowMs).filter((c) => {
      if (!this.config.deferredMonths && c.quarter !== front) return false
      if (needle.length === 0) return true
      const hay = `${c.id} ${c.name} ${c.spec.ticker} ${c.spec.root} ${c.symbolId} ${c.description.toUpperCase()}`
      return hay.includes(needle)
    })
    if (!this.config.deferredMonths) {
      const rank = (c: ContractInfo) =>
        c.spec.ticker === needle || c.spec.root === needle ? 0 : c.spec.ticker.startsWith(needle) ? 1 : 2
      return matches
        .map((c, i) => [rank(c), i, c] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, 20)
        .map(([, , c]) => this.wireContract(c, nowMs))
    }
    // A fixed but non-alphabetical, non-front-first order.
    const salt = hashString(needle)
    const ranked = matches.map((c) => [hash4(this.config.seed, salt, hashString(c.id), 7), c] as const)
    ranked.sort((a, b) => a[0] - b[0])
    return ranked.slice(0, 20).map(([, c]) => this.wireContract(c, nowMs))
  }

  availableContracts(nowMs: number): Array<WireContract> {
    return listed(nowMs).map((c) => this.wireContract(c, nowMs))
  }

  contractById(id: string, nowMs: number): WireContract | undefined {
    const c = resolveContract(id, nowMs, this.config.historyStartMs)
    return c === undefined ? undefined : this.wireContract(c, nowMs)
  }
}
