/**
 * The SDK for plain TypeScript: every service as methods returning Promises, backed by one
 * `ManagedRuntime`. Methods accept an `AbortSignal`; rejections are the SDK's tagged errors (`_tag`,
 * `reason` intact); Streams are `AsyncIterable`s; `dispose()` (or `await using` on Node ≥ 24) closes the HTTP pool,
 * flushes telemetry and ends every fiber, so the process can exit on its own. This module loads only types,
 * enums and error classes: the SDK loads with the first client, the trading state with `client.state`.
 *
 * ```ts
 * import { ProjectXClient } from "@projectx-effect/sdk/promise"
 * const client = await ProjectXClient.fromEnv()
 * try {
 *   const bars = await client.marketData.bars({ symbol: "MNQ", unit: "minute", unitNumber: 5, days: 5 })
 * } finally {
 *   await client.dispose() // Node ≥ 24: `await using client = …` instead
 * }
 * ```
 */
import type { Contract, HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { SessionInfo } from "./client/Auth.ts"
import type { ProjectXOptions } from "./client/ProjectXConfig.ts"
import type { CallOptions, ListenOptions, StreamOptions } from "./internal/promiseOptions.ts"
import type * as Sdk from "./internal/promiseRuntime.ts"
import type * as StateFacade from "./internal/promiseState.ts"
import type * as BarCacheModule from "./market/BarCache.ts"
import type * as Bars from "./market/Bars.ts"
import type { BarsChunk, BarsRequest, PlannedRange } from "./market/MarketData.ts"
import type { HealthReport, ProbeReport } from "./observability/Health.ts"
import type * as Telemetry from "./observability/Telemetry.ts"
import type * as ProjectX from "./ProjectX.ts"
import type {
  CancelAllOptions,
  CancelAllReport,
  ModifyOrderInput,
  PlacedOrder,
  PlaceOrderInput,
  QueryOrdersOptions,
  SearchOrdersOptions
} from "./trading/Orders.ts"
import type { BracketCleanup, FlattenAllOptions, FlattenAllReport, PositionsShape } from "./trading/Positions.ts"
import type { SearchTradesOptions, TradesSummary } from "./trading/Trades.ts"
import type {
  AccountUpdate,
  ChannelHealth,
  Depth,
  MarketTrades,
  OrderUpdate,
  PositionUpdate,
  Quote,
  Signal,
  UserTrade
} from "./realtime/Events.ts"
import type { RealtimeOptions } from "./realtime/Options.ts"
import type { BookUpdate, DepthBookOptions } from "./state/DepthBook.ts"
import type { BarUpdate, LiveBarsRequest } from "./state/LiveBars.ts"
import type { GuardPolicy } from "./state/NakedPositionGuard.ts"

export type { CallOptions, ListenOptions, StreamOptions, WaitOptions } from "./internal/promiseOptions.ts"
export type {
  AccountState,
  AccountStateOptions,
  PositionGuard,
  TrackedOrderHandle
} from "./internal/promiseState.ts"
export type { BookUpdate, Level } from "./state/DepthBook.ts"
export type { BarUpdate, LiveBar, LiveBarsRequest } from "./state/LiveBars.ts"
export type { Exposure, GuardAction, GuardEvent, GuardPolicy } from "./state/NakedPositionGuard.ts"
export type { Phase } from "./state/OrderLifecycle.ts"
export type {
  BracketView,
  Divergence,
  DivergenceReport,
  TrackedOrder,
  TradingSnapshot
} from "./state/TradingState.ts"
export type {
  AccountUpdate,
  ChannelHealth,
  Depth,
  MarketTrades,
  OrderUpdate,
  PositionUpdate,
  Quote,
  Signal,
  UserTrade,
  BarsChunk,
  BarsRequest,
  CancelAllReport,
  FlattenAllReport,
  HealthReport,
  PlacedOrder,
  PlaceOrderInput,
  ProbeReport
}
export {
  AggregateBarUnit,
  nameOf,
  OrderSide,
  OrderStatus,
  OrderType,
  PositionType
} from "@projectx-effect/gateway/Enums"
export * from "./client/publicErrors.ts"

export interface ClientOptions {
  /** Bar cache settings, or `false` to turn caching off. */
  readonly cache?: BarCacheModule.Options | false
  /**
   * Export traces and metrics over OTLP/HTTP: `true` reads the `OTEL_*` variables, an object sets them.
   * Default: on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
   */
  readonly otlp?: boolean | Telemetry.OtlpOptions
  /** The hubs: reconnect backoff, staleness thresholds, buffers. */
  readonly realtime?: RealtimeOptions
  /** Depth books (`client.state.book`): levels kept per side. */
  readonly depthBook?: DepthBookOptions
}

/** What each realtime channel delivers, for `realtime.on(channel, …)`. */
export interface Channels {
  readonly quotes: Quote | Signal
  readonly marketTrades: MarketTrades | Signal
  readonly depth: Depth | Signal
  readonly orders: OrderUpdate | Signal
  readonly positions: PositionUpdate | Signal
  readonly fills: UserTrade | Signal
  readonly accounts: AccountUpdate | Signal
}

// The SDK itself (layers, services, undici, the runtime) loads with the first client, not with this module.
const loadSdk = (): Promise<typeof Sdk> => import("./internal/promiseRuntime.ts")
// The trading state and the guard load with the first `client.state.account` or `.guard`.
const loadState = (): Promise<typeof StateFacade> => import("./internal/promiseState.ts")

export class ProjectXClient implements AsyncDisposable {
  readonly #runtime: Sdk.Runtime
  readonly #sdk: typeof Sdk

  private constructor(sdk: typeof Sdk, runtime: Sdk.Runtime) {
    this.#sdk = sdk
    this.#runtime = runtime
  }

  /** A client from explicit options; rejects with `ConfigurationError` naming a bad option. */
  static async create(options: ProjectXOptions & ClientOptions): Promise<ProjectXClient> {
    const sdk = await loadSdk()
    return new ProjectXClient(sdk, await sdk.create(options))
  }

  /**
   * A client from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`, `PROJECT_X_ACCOUNT_NAME`,
   * `PROJECTX_*`); `overrides` win. Rejects with `ConfigurationError` naming the variable.
   */
  static async fromEnv(overrides: Partial<ProjectXOptions> & ClientOptions = {}): Promise<ProjectXClient> {
    const sdk = await loadSdk()
    return new ProjectXClient(sdk, await sdk.fromEnv(overrides))
  }

  /** Rejects with the SDK's typed errors; an abort or a dispose while pending is a `Cancelled`. */
  #run<A>(effect: Effect.Effect<A, unknown, ProjectX.Services>, options?: CallOptions): Promise<A> {
    return this.#sdk.runCall(this.#runtime, "ProjectXClient call", effect, options?.signal)
  }

  #iterate<A>(stream: Stream.Stream<A, unknown, ProjectX.Services>, signal?: AbortSignal): AsyncIterable<A> {
    return this.#sdk.iterate(this.#runtime, stream, this.#sdk.closedOf(this.#runtime), signal)
  }

  /** The session (never the token). */
  readonly auth = {
    login: (options?: CallOptions): Promise<SessionInfo> =>
      this.#run(
        this.#sdk.Auth.use((a) => a.login),
        options
      ),
    logout: (options?: CallOptions): Promise<void> =>
      this.#run(
        this.#sdk.Auth.use((a) => a.logout),
        options
      )
  }

  readonly accounts = {
    search: (
      search?: { readonly onlyActive?: boolean },
      options?: CallOptions
    ): Promise<ReadonlyArray<TradingAccount>> =>
      this.#run(
        this.#sdk.Accounts.use((s) => s.search(search)),
        options
      ),
    /** The configured account (by name, case-insensitive) or the first that can trade. */
    selected: (options?: CallOptions): Promise<TradingAccount> =>
      this.#run(
        this.#sdk.Accounts.use((s) => s.selected),
        options
      ),
    byId: (id: number, options?: CallOptions): Promise<TradingAccount> =>
      this.#run(
        this.#sdk.Accounts.use((s) => s.byId(id)),
        options
      )
  }

  readonly instruments = {
    search: (
      text: string,
      search?: { readonly live?: boolean },
      options?: CallOptions
    ): Promise<ReadonlyArray<Contract>> =>
      this.#run(
        this.#sdk.Instruments.use((s) => s.search(text, search)),
        options
      ),
    available: (search?: { readonly live?: boolean }, options?: CallOptions): Promise<ReadonlyArray<Contract>> =>
      this.#run(
        this.#sdk.Instruments.use((s) => s.available(search)),
        options
      ),
    byId: (contractId: string, options?: CallOptions): Promise<Contract> =>
      this.#run(
        this.#sdk.Instruments.use((s) => s.byId(contractId)),
        options
      ),
    /** A root (MNQ, NQ, ES), a contract name (MNQZ5) or an id, to the front-month contract. */
    resolve: (symbol: string, options?: CallOptions): Promise<Contract> =>
      this.#run(
        this.#sdk.Instruments.use((s) => s.resolve(symbol)),
        options
      )
  }

  readonly marketData = {
    /** Bars as one ascending Arrow table (cached). */
    bars: (request: BarsRequest, options?: CallOptions): Promise<Bars.BarTable> =>
      this.#run(
        this.#sdk.MarketData.use((s) => s.bars(request)),
        options
      ),
    /** The same range, one chunk per Gateway request, newest first. */
    chunks: (request: BarsRequest): AsyncIterable<BarsChunk> =>
      this.#iterate(this.#sdk.Stream.unwrap(this.#sdk.MarketData.useSync((s) => s.chunks(request)))),
    plan: (request: BarsRequest, options?: CallOptions): Promise<PlannedRange> =>
      this.#run(
        this.#sdk.MarketData.use((s) => s.plan(request)),
        options
      )
  }

  readonly orders = {
    /** Places an order; never sends it twice (see `AmbiguousOrder`). */
    place: (input: PlaceOrderInput, options?: CallOptions): Promise<PlacedOrder> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.place(input)),
        options
      ),
    modify: (input: ModifyOrderInput, options?: CallOptions): Promise<void> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.modify(input)),
        options
      ),
    cancel: (orderId: number, account?: { readonly accountId?: number }, options?: CallOptions): Promise<void> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.cancel(orderId, account)),
        options
      ),
    search: (search?: SearchOrdersOptions, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.search(search)),
        options
      ),
    searchOpen: (accountId?: number, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.searchOpen(accountId)),
        options
      ),
    byId: (orderId: number, accountId?: number, options?: CallOptions): Promise<Order> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.byId(orderId, accountId)),
        options
      ),
    findByTag: (customTag: string, search?: SearchOrdersOptions, options?: CallOptions): Promise<Order | undefined> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.findByTag(customTag, search)),
        options
      ),
    query: (query?: QueryOrdersOptions, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.query(query)),
        options
      ),
    /** Every order of the query, page by page as you iterate. */
    queryStream: (query?: QueryOrdersOptions): AsyncIterable<Order> =>
      this.#iterate(this.#sdk.Stream.unwrap(this.#sdk.Orders.useSync((s) => s.queryStream(query)))),
    cancelAll: (cancel?: CancelAllOptions, options?: CallOptions): Promise<CancelAllReport> =>
      this.#run(
        this.#sdk.Orders.use((s) => s.cancelAll(cancel)),
        options
      )
  }

  readonly positions = {
    searchOpen: (accountId?: number, options?: CallOptions): Promise<ReadonlyArray<Position>> =>
      this.#run(
        this.#sdk.Positions.use((s) => s.searchOpen(accountId)),
        options
      ),
    close: (
      contractId: string,
      close?: Parameters<PositionsShape["close"]>[1],
      options?: CallOptions
    ): Promise<BracketCleanup> =>
      this.#run(
        this.#sdk.Positions.use((s) => s.close(contractId, close)),
        options
      ),
    partialClose: (
      contractId: string,
      size: number,
      account?: Parameters<PositionsShape["partialClose"]>[2],
      options?: CallOptions
    ): Promise<void> =>
      this.#run(
        this.#sdk.Positions.use((s) => s.partialClose(contractId, size, account)),
        options
      ),
    flattenAll: (flatten?: FlattenAllOptions, options?: CallOptions): Promise<FlattenAllReport> =>
      this.#run(
        this.#sdk.Positions.use((s) => s.flattenAll(flatten)),
        options
      )
  }

  readonly trades = {
    search: (search?: SearchTradesOptions, options?: CallOptions): Promise<ReadonlyArray<HalfTrade>> =>
      this.#run(
        this.#sdk.Trades.use((s) => s.search(search)),
        options
      ),
    summary: (search?: SearchTradesOptions, options?: CallOptions): Promise<TradesSummary> =>
      this.#run(
        this.#sdk.Trades.use((s) => s.summary(search)),
        options
      )
  }

  /** Session, circuits, rate limits, cache, HTTP pool and error counters in one report. */
  health(options?: CallOptions): Promise<HealthReport> {
    return this.#run(
      this.#sdk.Health.use((h) => h.check),
      options
    )
  }

  /** `health()` plus a `Status/ping` round trip to the Gateway. */
  probe(options?: CallOptions): Promise<ProbeReport> {
    return this.#run(
      this.#sdk.Health.use((h) => h.probe),
      options
    )
  }

  #channel<K extends keyof Channels>(
    channel: K,
    target: string | number | undefined
  ): Stream.Stream<Channels[K], unknown, ProjectX.Services> {
    const { Stream, MarketHub, UserHub } = this.#sdk
    const symbol = String(target)
    const account = typeof target === "number" ? target : undefined
    const streams: { readonly [C in keyof Channels]: () => Stream.Stream<Channels[C], unknown, ProjectX.Services> } = {
      quotes: () => Stream.unwrap(MarketHub.useSync((m) => m.quotes(symbol))),
      marketTrades: () => Stream.unwrap(MarketHub.useSync((m) => m.trades(symbol))),
      depth: () => Stream.unwrap(MarketHub.useSync((m) => m.depth(symbol))),
      orders: () => Stream.unwrap(UserHub.useSync((u) => u.orders(account))),
      positions: () => Stream.unwrap(UserHub.useSync((u) => u.positions(account))),
      fills: () => Stream.unwrap(UserHub.useSync((u) => u.trades(account))),
      accounts: () => Stream.unwrap(UserHub.useSync((u) => u.accounts()))
    }
    return streams[channel]()
  }

  /**
   * The hubs. Each subscription opens the hub on first use and replays after reconnects; elements are data
   * or in-band signals (`Stale`, `Recovered`, `Reconnected`, `Logout`: check `_tag`).
   *
   * ```ts
   * for await (const q of client.realtime.quotes("MNQ", { signal })) if (q._tag === "Quote") show(q.lastPrice)
   * const stop = client.realtime.on("orders", undefined, (e) => record(e))
   * ```
   */
  readonly realtime = {
    /** Full quotes (latest-wins under load) for a symbol or contract id. */
    quotes: (symbol: string, options?: StreamOptions): AsyncIterable<Quote | Signal> =>
      this.#iterate(this.#channel("quotes", symbol), options?.signal),
    /** Market prints, never dropped. */
    trades: (symbol: string, options?: StreamOptions): AsyncIterable<MarketTrades | Signal> =>
      this.#iterate(this.#channel("marketTrades", symbol), options?.signal),
    depth: (symbol: string, options?: StreamOptions): AsyncIterable<Depth | Signal> =>
      this.#iterate(this.#channel("depth", symbol), options?.signal),
    /** Order changes of an account (default: the configured one), backfilled from REST after gaps. */
    orders: (accountId?: number, options?: StreamOptions): AsyncIterable<OrderUpdate | Signal> =>
      this.#iterate(this.#channel("orders", accountId), options?.signal),
    positions: (accountId?: number, options?: StreamOptions): AsyncIterable<PositionUpdate | Signal> =>
      this.#iterate(this.#channel("positions", accountId), options?.signal),
    /** The account's fills, each once. */
    fills: (accountId?: number, options?: StreamOptions): AsyncIterable<UserTrade | Signal> =>
      this.#iterate(this.#channel("fills", accountId), options?.signal),
    accounts: (options?: StreamOptions): AsyncIterable<AccountUpdate | Signal> =>
      this.#iterate(this.#channel("accounts", undefined), options?.signal),
    /**
     * Calls `handler` for every element of a channel until the returned function is called or `signal`
     * aborts. `target` is the symbol for market channels and the account id (or undefined) for user ones.
     */
    on: <K extends keyof Channels>(
      channel: K,
      target: string | number | undefined,
      handler: (event: Channels[K]) => void,
      options?: ListenOptions
    ): (() => void) =>
      this.#sdk.listen(
        this.#runtime,
        this.#channel(channel, target),
        this.#sdk.closedOf(this.#runtime),
        handler,
        options
      ),
    /** Both hubs' state, reconnects, message and drop counters, and subscription ages. */
    health: async (options?: CallOptions): Promise<{ readonly user: ChannelHealth; readonly market: ChannelHealth }> =>
      this.#run(
        this.#sdk.Effect.all({
          user: this.#sdk.UserHub.use((u) => u.health),
          market: this.#sdk.MarketHub.use((m) => m.health)
        }),
        options
      )
  }
  /**
   * Live order-and-position state (issue 17): an account's orders, positions and balance from the user hub,
   * reconciled with REST; order handles to await fills; a naked-position guard; L2 books and live bars.
   * Every object here ends with `dispose()` on it or on the client.
   *
   * ```ts
   * const state = await client.state.account()
   * try {
   *   const entry = await state.placeTracked({ type: "market", contractId, side: "buy", size: 1, stopLoss: { ticks: -20 } })
   *   await entry.filled({ timeoutMs: 10_000 }) // rejects with OrderTimeout or OrderNotFilled
   * } finally {
   *   await state.dispose() // Node ≥ 24: `await using state = …` instead
   * }
   * ```
   */
  readonly state = {
    /**
     * The state of an account (default: the configured one), seeded from REST before it resolves, then kept
     * from the user hub and re-synchronised from REST after every reconnect and `Stale` signal.
     */
    account: async (
      accountId?: number,
      options?: StateFacade.AccountStateOptions & CallOptions
    ): Promise<StateFacade.AccountState> => {
      const { signal, ...stateOptions } = options ?? {}
      return (await loadState()).openAccount(this.#runtime, this.#runtime.scope, accountId, stateOptions, signal)
    },
    /**
     * A naked-position guard on an account (default: the configured one), over a state of its own (its
     * `state`): alerts when a position has had no working stop for `policy.grace`, and by policy places a
     * stop or flattens. Disposing it stops the guard and its state.
     */
    guard: async (
      accountId?: number,
      policy?: GuardPolicy,
      options?: CallOptions
    ): Promise<StateFacade.PositionGuard> =>
      (await loadState()).openGuard(this.#runtime, this.#runtime.scope, accountId, policy, options?.signal),
    /** The L2 book of a symbol or contract, one view per depth batch (`depth` levels a side, default 10). */
    book: (symbol: string, options?: StreamOptions & { readonly depth?: number }): AsyncIterable<BookUpdate> =>
      this.#iterate(
        this.#sdk.Stream.unwrap(this.#sdk.DepthBook.useSync((d) => d.book(symbol, options?.depth))),
        options?.signal
      ),
    /** History's closed bars (if asked), then the partial bar on every print and each bar as it closes. */
    liveBars: (symbol: string, request: LiveBarsRequest, options?: StreamOptions): AsyncIterable<BarUpdate> =>
      this.#iterate(
        this.#sdk.Stream.unwrap(this.#sdk.LiveBars.useSync((l) => l.bars(symbol, request))),
        options?.signal
      )
  }

  /** Closes the HTTP pool, flushes telemetry and ends every fiber. Safe to call twice. */
  dispose(): Promise<void> {
    return this.#runtime.dispose()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose()
  }
}
