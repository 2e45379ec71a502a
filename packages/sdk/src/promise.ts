/**
 * The SDK for plain TypeScript: every service as methods returning Promises, backed by one
 * `ManagedRuntime`. Methods accept an `AbortSignal`; rejections are the SDK's tagged errors (`_tag`,
 * `reason` intact); Streams are `AsyncIterable`s; `dispose()` (or `await using`) closes the HTTP pool,
 * flushes telemetry and ends every fiber, so the process can exit on its own.
 *
 * ```ts
 * import { ProjectXClient } from "@projectx-effect/sdk/promise"
 * await using client = await ProjectXClient.fromEnv()
 * const bars = await client.marketData.bars({ symbol: "MNQ", unit: "minute", unitNumber: 5, days: 5 })
 * ```
 */
import type { Contract, HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { SessionInfo } from "./client/Auth.ts"
import type { ProjectXOptions } from "./client/ProjectXConfig.ts"
import type * as Sdk from "./internal/promiseRuntime.ts"
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

/** Per-call options. */
export interface CallOptions {
  /** Aborting interrupts the call: its HTTP request is cancelled and the Promise rejects. */
  readonly signal?: AbortSignal
}

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
}

/** Options of a realtime subscription. */
export interface StreamOptions {
  /** Aborting ends the subscription (the iterator finishes; `on` stops calling back). */
  readonly signal?: AbortSignal
}

/** Options of an `on(…)` subscription. */
export interface ListenOptions extends StreamOptions {
  /** Called once if the subscription fails (a refused subscription, an overflow); default: logged by Effect. */
  readonly onError?: (error: unknown) => void
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

  #run<A>(effect: Effect.Effect<A, unknown, ProjectX.Services>, options?: CallOptions): Promise<A> {
    return this.#runtime.runPromise(effect, options?.signal === undefined ? undefined : { signal: options.signal })
  }

  #iterate<A>(stream: Stream.Stream<A, unknown, ProjectX.Services>, signal?: AbortSignal): AsyncIterable<A> {
    const runtime = this.#runtime
    const { Stream } = this.#sdk
    if (signal !== undefined) stream = Stream.interruptWhen(stream, this.#sdk.aborted(signal))
    return {
      [Symbol.asyncIterator]: () => {
        let iterator: AsyncIterator<A> | undefined
        return {
          next: async () => {
            iterator ??= Stream.toAsyncIterableWith(stream, await runtime.context())[Symbol.asyncIterator]()
            return iterator.next()
          },
          return: async (value?: unknown) => {
            await iterator?.return?.(value)
            return { done: true, value: undefined as never }
          }
        }
      }
    }
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
    ): (() => void) => {
      const { Effect, Fiber, Stream } = this.#sdk
      let stream = this.#channel(channel, target)
      if (options?.signal !== undefined) stream = Stream.interruptWhen(stream, this.#sdk.aborted(options.signal))
      const onError = options?.onError
      const fiber = this.#runtime.runFork(
        Stream.runForEach(stream, (event) => Effect.sync(() => handler(event))).pipe(
          onError === undefined ? (self) => self : Effect.catch((error) => Effect.sync(() => onError(error)))
        )
      )
      return () => {
        this.#runtime.runFork(Fiber.interrupt(fiber))
      }
    },
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
  /** Closes the HTTP pool, flushes telemetry and ends every fiber. Safe to call twice. */
  dispose(): Promise<void> {
    return this.#runtime.dispose()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose()
  }
}
