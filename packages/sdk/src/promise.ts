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
import { type Effect, Layer, ManagedRuntime, Stream } from "effect"
import { Accounts } from "./trading/Accounts.ts"
import { Auth, type SessionInfo } from "./client/Auth.ts"
import type * as BarCacheModule from "./market/BarCache.ts"
import type * as Bars from "./market/Bars.ts"
import { Health, type HealthReport, type ProbeReport } from "./observability/Health.ts"
import { Instruments } from "./market/Instruments.ts"
import { type BarsChunk, type BarsRequest, MarketData, type PlannedRange } from "./market/MarketData.ts"
import {
  type CancelAllOptions,
  type CancelAllReport,
  type ModifyOrderInput,
  Orders,
  type PlacedOrder,
  type PlaceOrderInput,
  type QueryOrdersOptions,
  type SearchOrdersOptions
} from "./trading/Orders.ts"
import {
  type BracketCleanup,
  type FlattenAllOptions,
  type FlattenAllReport,
  Positions,
  type PositionsShape
} from "./trading/Positions.ts"
import * as ProjectX from "./ProjectX.ts"
import type { ProjectXOptions } from "./client/ProjectXConfig.ts"
import * as Telemetry from "./observability/Telemetry.ts"
import { type SearchTradesOptions, Trades, type TradesSummary } from "./trading/Trades.ts"

export type {
  BarsChunk,
  BarsRequest,
  CancelAllReport,
  FlattenAllReport,
  HealthReport,
  PlacedOrder,
  PlaceOrderInput,
  ProbeReport
}
export { AggregateBarUnit, nameOf, OrderSide, OrderStatus, OrderType, PositionType } from "@projectx-effect/gateway"
export {
  AccountNotFound,
  AmbiguousOrder,
  ConfigurationError,
  ContractNotFound,
  GatewayError,
  ValidationError
} from "./client/Errors.ts"

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
}

type Runtime = ManagedRuntime.ManagedRuntime<ProjectX.Services, unknown>

const telemetryLayer = (options: ClientOptions) =>
  options.otlp === false
    ? Layer.empty
    : options.otlp === undefined
      ? // The standard OTEL_* variables decide, read through Config like every other setting.
        Layer.orDie(Telemetry.layerOtlp({ whenConfigured: true }))
      : Telemetry.layerOtlp(options.otlp === true ? {} : options.otlp)

export class ProjectXClient implements AsyncDisposable {
  readonly #runtime: Runtime

  private constructor(runtime: Runtime) {
    this.#runtime = runtime
  }

  /** A client from explicit options; rejects with `ConfigurationError` naming a bad option. */
  static async create(options: ProjectXOptions & ClientOptions): Promise<ProjectXClient> {
    return ProjectXClient.#start(
      Layer.mergeAll(ProjectX.layer(options), telemetryLayer(options)) as Layer.Layer<ProjectX.Services, unknown>
    )
  }

  /**
   * A client from the environment (`PROJECT_X_USERNAME`, `PROJECT_X_API_KEY`, `PROJECT_X_ACCOUNT_NAME`,
   * `PROJECTX_*`); `overrides` win. Rejects with `ConfigurationError` naming the variable.
   */
  static async fromEnv(overrides: Partial<ProjectXOptions> & ClientOptions = {}): Promise<ProjectXClient> {
    return ProjectXClient.#start(
      Layer.mergeAll(ProjectX.layerConfig(overrides), telemetryLayer(overrides)) as Layer.Layer<
        ProjectX.Services,
        unknown
      >
    )
  }

  static async #start(layer: Layer.Layer<ProjectX.Services, unknown>): Promise<ProjectXClient> {
    const runtime = ManagedRuntime.make(layer)
    try {
      await runtime.context()
    } catch (error) {
      await runtime.dispose()
      throw error
    }
    return new ProjectXClient(runtime)
  }

  #run<A>(effect: Effect.Effect<A, unknown, ProjectX.Services>, options?: CallOptions): Promise<A> {
    return this.#runtime.runPromise(effect, options?.signal === undefined ? undefined : { signal: options.signal })
  }

  #iterate<A>(stream: Stream.Stream<A, unknown, ProjectX.Services>): AsyncIterable<A> {
    const runtime = this.#runtime
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
        Auth.use((a) => a.login),
        options
      ),
    logout: (options?: CallOptions): Promise<void> =>
      this.#run(
        Auth.use((a) => a.logout),
        options
      )
  }

  readonly accounts = {
    search: (
      search?: { readonly onlyActive?: boolean },
      options?: CallOptions
    ): Promise<ReadonlyArray<TradingAccount>> =>
      this.#run(
        Accounts.use((s) => s.search(search)),
        options
      ),
    /** The configured account (by name, case-insensitive) or the first that can trade. */
    selected: (options?: CallOptions): Promise<TradingAccount> =>
      this.#run(
        Accounts.use((s) => s.selected),
        options
      ),
    byId: (id: number, options?: CallOptions): Promise<TradingAccount> =>
      this.#run(
        Accounts.use((s) => s.byId(id)),
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
        Instruments.use((s) => s.search(text, search)),
        options
      ),
    available: (search?: { readonly live?: boolean }, options?: CallOptions): Promise<ReadonlyArray<Contract>> =>
      this.#run(
        Instruments.use((s) => s.available(search)),
        options
      ),
    byId: (contractId: string, options?: CallOptions): Promise<Contract> =>
      this.#run(
        Instruments.use((s) => s.byId(contractId)),
        options
      ),
    /** A root (MNQ, NQ, ES), a contract name (MNQZ5) or an id, to the front-month contract. */
    resolve: (symbol: string, options?: CallOptions): Promise<Contract> =>
      this.#run(
        Instruments.use((s) => s.resolve(symbol)),
        options
      )
  }

  readonly marketData = {
    /** Bars as one ascending Arrow table (cached). */
    bars: (request: BarsRequest, options?: CallOptions): Promise<Bars.BarTable> =>
      this.#run(
        MarketData.use((s) => s.bars(request)),
        options
      ),
    /** The same range, one chunk per Gateway request, newest first. */
    chunks: (request: BarsRequest): AsyncIterable<BarsChunk> =>
      this.#iterate(Stream.unwrap(MarketData.useSync((s) => s.chunks(request)))),
    plan: (request: BarsRequest, options?: CallOptions): Promise<PlannedRange> =>
      this.#run(
        MarketData.use((s) => s.plan(request)),
        options
      )
  }

  readonly orders = {
    /** Places an order; never sends it twice (see `AmbiguousOrder`). */
    place: (input: PlaceOrderInput, options?: CallOptions): Promise<PlacedOrder> =>
      this.#run(
        Orders.use((s) => s.place(input)),
        options
      ),
    modify: (input: ModifyOrderInput, options?: CallOptions): Promise<void> =>
      this.#run(
        Orders.use((s) => s.modify(input)),
        options
      ),
    cancel: (orderId: number, account?: { readonly accountId?: number }, options?: CallOptions): Promise<void> =>
      this.#run(
        Orders.use((s) => s.cancel(orderId, account)),
        options
      ),
    search: (search?: SearchOrdersOptions, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        Orders.use((s) => s.search(search)),
        options
      ),
    searchOpen: (accountId?: number, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        Orders.use((s) => s.searchOpen(accountId)),
        options
      ),
    byId: (orderId: number, accountId?: number, options?: CallOptions): Promise<Order> =>
      this.#run(
        Orders.use((s) => s.byId(orderId, accountId)),
        options
      ),
    findByTag: (customTag: string, search?: SearchOrdersOptions, options?: CallOptions): Promise<Order | undefined> =>
      this.#run(
        Orders.use((s) => s.findByTag(customTag, search)),
        options
      ),
    query: (query?: QueryOrdersOptions, options?: CallOptions): Promise<ReadonlyArray<Order>> =>
      this.#run(
        Orders.use((s) => s.query(query)),
        options
      ),
    /** Every order of the query, page by page as you iterate. */
    queryStream: (query?: QueryOrdersOptions): AsyncIterable<Order> =>
      this.#iterate(Stream.unwrap(Orders.useSync((s) => s.queryStream(query)))),
    cancelAll: (cancel?: CancelAllOptions, options?: CallOptions): Promise<CancelAllReport> =>
      this.#run(
        Orders.use((s) => s.cancelAll(cancel)),
        options
      )
  }

  readonly positions = {
    searchOpen: (accountId?: number, options?: CallOptions): Promise<ReadonlyArray<Position>> =>
      this.#run(
        Positions.use((s) => s.searchOpen(accountId)),
        options
      ),
    close: (
      contractId: string,
      close?: Parameters<PositionsShape["close"]>[1],
      options?: CallOptions
    ): Promise<BracketCleanup> =>
      this.#run(
        Positions.use((s) => s.close(contractId, close)),
        options
      ),
    partialClose: (
      contractId: string,
      size: number,
      account?: Parameters<PositionsShape["partialClose"]>[2],
      options?: CallOptions
    ): Promise<void> =>
      this.#run(
        Positions.use((s) => s.partialClose(contractId, size, account)),
        options
      ),
    flattenAll: (flatten?: FlattenAllOptions, options?: CallOptions): Promise<FlattenAllReport> =>
      this.#run(
        Positions.use((s) => s.flattenAll(flatten)),
        options
      )
  }

  readonly trades = {
    search: (search?: SearchTradesOptions, options?: CallOptions): Promise<ReadonlyArray<HalfTrade>> =>
      this.#run(
        Trades.use((s) => s.search(search)),
        options
      ),
    summary: (search?: SearchTradesOptions, options?: CallOptions): Promise<TradesSummary> =>
      this.#run(
        Trades.use((s) => s.summary(search)),
        options
      )
  }

  /** Session, circuits, rate limits, cache, HTTP pool and error counters in one report. */
  health(options?: CallOptions): Promise<HealthReport> {
    return this.#run(
      Health.use((h) => h.check),
      options
    )
  }

  /** `health()` plus a `Status/ping` round trip to the Gateway. */
  probe(options?: CallOptions): Promise<ProbeReport> {
    return this.#run(
      Health.use((h) => h.probe),
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
