/**
 * The user hub as Streams per account: orders, positions, fills, and balances. These are never dropped
 * (a subscriber that falls a whole buffer behind gets a typed `RealtimeOverflow`), and never lost to a
 * reconnect: the Gateway does not replay, so after every reconnect (and after long silence) the SDK diffs a
 * REST snapshot against what it delivered and sends the difference, marked `source: "rest"`, once.
 */
import {
  GatewayUserAccountArgs,
  GatewayUserOrderArgs,
  GatewayUserPositionArgs,
  GatewayUserTradeArgs,
  UserHubEvent,
  UserHubMethod
} from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Auth } from "../client/Auth.ts"
import type { AccountNotFound, GatewayError, ValidationError } from "../client/Errors.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { Accounts } from "../trading/Accounts.ts"
import { Orders } from "../trading/Orders.ts"
import { Positions } from "../trading/Positions.ts"
import { Trades } from "../trading/Trades.ts"
import {
  type AccountUpdate,
  type ChannelHealth,
  type OrderUpdate,
  type PositionUpdate,
  RealtimeOverflow,
  type RealtimeError,
  type Signal,
  SubscriptionRefused,
  type UserEvent,
  type UserTrade
} from "./Events.ts"
import { channelHealth, makeHub } from "./internal/HubConnection.ts"
import { lossless, type Sink } from "./internal/Mailbox.ts"
import { makeFlush } from "./internal/metrics.ts"
import { byTime, Seen, tradesByTime } from "./internal/Reconcile.ts"
import * as Watchdog from "./internal/Watchdog.ts"
import { type RealtimeOptions, resolveRealtime } from "./Options.ts"

export type UserStreamError = RealtimeError | AccountNotFound | GatewayError | ValidationError

type Kind = "orders" | "positions" | "trades"

const methods: Record<Kind | "accounts", { readonly subscribe: string; readonly unsubscribe: string }> = {
  orders: { subscribe: UserHubMethod.SubscribeOrders, unsubscribe: UserHubMethod.UnsubscribeOrders },
  positions: { subscribe: UserHubMethod.SubscribePositions, unsubscribe: UserHubMethod.UnsubscribePositions },
  trades: { subscribe: UserHubMethod.SubscribeTrades, unsubscribe: UserHubMethod.UnsubscribeTrades },
  accounts: { subscribe: UserHubMethod.SubscribeAccounts, unsubscribe: UserHubMethod.UnsubscribeAccounts }
}

export interface UserHubShape {
  /** Order changes of an account (default: the configured account). */
  readonly orders: (accountId?: number) => Stream.Stream<OrderUpdate | Signal, UserStreamError>
  /** Position changes; `size: 0` is a flat position. */
  readonly positions: (accountId?: number) => Stream.Stream<PositionUpdate | Signal, UserStreamError>
  /** Fills (half-turn trades), each exactly once. */
  readonly trades: (accountId?: number) => Stream.Stream<UserTrade | Signal, UserStreamError>
  /** Balance and status changes of every account of the user. */
  readonly accounts: () => Stream.Stream<AccountUpdate | Signal, UserStreamError>
  /** Diffs REST against what was delivered and sends the difference now (the SDK does this after every reconnect). */
  readonly backfill: (accountId?: number) => Effect.Effect<number, UserStreamError>
  readonly health: Effect.Effect<ChannelHealth>
}

export class UserHub extends Context.Service<UserHub, UserHubShape>()("@projectx-effect/sdk/UserHub") {
  static readonly make = (
    options?: RealtimeOptions
  ): Effect.Effect<UserHubShape, never, Scope.Scope | ProjectXConfig | Auth | Accounts | Orders | Positions | Trades> =>
    make(options)

  /** The user hub, connected on the first subscription and closed with the layer. */
  static readonly layer = (
    options?: RealtimeOptions
  ): Layer.Layer<UserHub, never, ProjectXConfig | Auth | Accounts | Orders | Positions | Trades> =>
    Layer.effect(UserHub, make(options))
}

const decodeOrder = Schema.decodeUnknownResult(GatewayUserOrderArgs)
const decodePosition = Schema.decodeUnknownResult(GatewayUserPositionArgs)
const decodeTrade = Schema.decodeUnknownResult(GatewayUserTradeArgs)
const decodeAccount = Schema.decodeUnknownResult(GatewayUserAccountArgs)

interface AccountState {
  readonly accountId: number
  readonly tracked: Watchdog.Tracked
  readonly seen: Seen
  readonly sinks: Record<Kind, Set<Sink<UserEvent>>>
  /** Hub events so far: a backfill that saw this change while fetching fetches again. */
  events: number
  /** Start of the next backfill window (Clock ms). */
  syncedAt: number
  holders: number
}

/** Where the accounts stream lives: one pseudo-account, id 0. */
const ALL = 0

const make = Effect.fnUntraced(function* (options?: RealtimeOptions) {
  const settings = resolveRealtime(options)
  const config = yield* ProjectXConfig
  const auth = yield* Auth
  const accountsService = yield* Accounts
  const orders = yield* Orders
  const positions = yield* Positions
  const trades = yield* Trades
  const clock = yield* Clock.Clock
  const context = yield* Effect.context<never>()
  const fork = Effect.runForkWith(context)
  const hub = yield* makeHub({ name: "user", url: config.urls.userHub, settings, auth })
  const { stats } = hub

  const states = new Map<number, AccountState>()
  const accountSinks = new Set<Sink<UserEvent>>()
  const accountSeen = new Seen()
  let invalid = 0

  const count = (type: string) => {
    stats.messages[type] = (stats.messages[type] ?? 0) + 1
  }
  const rejectInvalid = (event: string, issue: unknown) => {
    stats.messages.invalid = ++invalid
    if (invalid <= 5) fork(Effect.logWarning(`ProjectX user hub: ${event} did not decode: ${String(issue)}`))
  }
  const arrived = (accountId: number): AccountState | undefined => {
    const state = states.get(accountId)
    if (state === undefined) return undefined
    state.events++
    Watchdog.touch(state.tracked, clock.currentTimeMillisUnsafe())
    return state
  }
  const deliver = (sinks: Iterable<Sink<UserEvent>>, event: UserEvent) => {
    for (const sink of sinks) sink.push(event)
  }

  hub.on(UserHubEvent.Order, (...args: Array<unknown>) => {
    count(UserHubEvent.Order)
    const decoded = decodeOrder(args)
    if (Result.isFailure(decoded)) return rejectInvalid(UserHubEvent.Order, decoded.failure)
    const [order] = decoded.success
    const state = arrived(order.accountId)
    if (state?.seen.order(order, false)) {
      deliver(state.sinks.orders, { _tag: "OrderUpdate", order, source: "hub" })
    }
  })
  hub.on(UserHubEvent.Position, (...args: Array<unknown>) => {
    count(UserHubEvent.Position)
    const decoded = decodePosition(args)
    if (Result.isFailure(decoded)) return rejectInvalid(UserHubEvent.Position, decoded.failure)
    const [position] = decoded.success
    const state = arrived(position.accountId)
    if (state?.seen.position(position)) {
      deliver(state.sinks.positions, { _tag: "PositionUpdate", position, source: "hub" })
    }
  })
  hub.on(UserHubEvent.Trade, (...args: Array<unknown>) => {
    count(UserHubEvent.Trade)
    const decoded = decodeTrade(args)
    if (Result.isFailure(decoded)) return rejectInvalid(UserHubEvent.Trade, decoded.failure)
    const [trade] = decoded.success
    const state = arrived(trade.accountId)
    if (state?.seen.trade(trade)) {
      deliver(state.sinks.trades, { _tag: "UserTrade", trade, source: "hub" })
    }
  })
  hub.on(UserHubEvent.Account, (...args: Array<unknown>) => {
    count(UserHubEvent.Account)
    const decoded = decodeAccount(args)
    if (Result.isFailure(decoded)) return rejectInvalid(UserHubEvent.Account, decoded.failure)
    const [account] = decoded.success
    arrived(ALL)
    if (accountSeen.account(account)) deliver(accountSinks, { _tag: "AccountUpdate", account, source: "hub" })
  })

  const sinksOf = (state: AccountState): Array<Sink<UserEvent>> =>
    state.accountId === ALL
      ? [...accountSinks]
      : [...state.sinks.orders, ...state.sinks.positions, ...state.sinks.trades]

  /**
   * The REST snapshot's difference from what was delivered, as events in the order they happened. A hub
   * event arriving while fetching could be older than the snapshot or newer: the fetch is repeated (up to
   * three times) until no hub event interleaves.
   */
  const missed = (state: AccountState) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      // A minute of margin: REST timestamps come from the server's clock.
      const start = new Date(Math.min(state.syncedAt, now) - 60_000)
      for (let attempt = 0; ; attempt++) {
        const before = state.events
        if (state.accountId === ALL) {
          const all = yield* accountsService.search({ onlyActive: false })
          if (state.events !== before && attempt < 2) continue
          state.syncedAt = now
          return all
            .filter((a) => accountSeen.account(a))
            .map((account): UserEvent => ({ _tag: "AccountUpdate", account, source: "rest" }))
        }
        const accountId = state.accountId
        const [orderList, tradeList, openPositions] = yield* Effect.all(
          [
            state.sinks.orders.size > 0
              ? // A search by account resolves no contract: ContractNotFound cannot happen here.
                orders.search({ accountId, start }).pipe(Effect.catchTag("ContractNotFound", Effect.die))
              : Effect.succeed([]),
            state.sinks.trades.size > 0 ? trades.search({ accountId, start }) : Effect.succeed([]),
            state.sinks.positions.size > 0 ? positions.searchOpen(accountId) : Effect.succeed(undefined)
          ],
          { concurrency: 3 }
        )
        if (state.events !== before && attempt < 2) continue
        state.syncedAt = now
        const events: Array<UserEvent> = []
        for (const order of byTime(orderList)) {
          if (state.seen.order(order, true)) events.push({ _tag: "OrderUpdate", order, source: "rest" })
        }
        for (const trade of tradesByTime(tradeList)) {
          if (state.seen.trade(trade)) events.push({ _tag: "UserTrade", trade, source: "rest" })
        }
        if (openPositions !== undefined) {
          for (const position of state.seen.positionsFromRest(openPositions)) {
            events.push({ _tag: "PositionUpdate", position, source: "rest" })
          }
        }
        return events
      }
    })

  const route = (state: AccountState, event: UserEvent) => {
    if (state.accountId === ALL) return deliver(accountSinks, event)
    const kind: Kind = event._tag === "OrderUpdate" ? "orders" : event._tag === "UserTrade" ? "trades" : "positions"
    deliver(state.sinks[kind], event)
  }

  /** Backfills one account; `stale` wraps a non-empty difference in `Stale` … `Recovered`. */
  const backfillState = (state: AccountState, stale: boolean) =>
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const events = yield* missed(state)
      if (events.length === 0) return 0
      const subscription = state.accountId === ALL ? "accounts" : `account:${state.accountId}`
      const silentMs = started - (state.tracked.lastMessageAt ?? state.tracked.baseline)
      if (stale) {
        stats.stale++
        for (const sink of sinksOf(state)) sink.signal({ _tag: "Stale", hub: "user", subscription, silentMs })
      }
      for (const event of events) route(state, event)
      if (stale) {
        const signal: Signal = { _tag: "Recovered", hub: "user", subscription, gapMs: silentMs, via: "backfill" }
        for (const sink of sinksOf(state)) sink.signal(signal)
      }
      yield* Effect.logInfo(`ProjectX user hub: ${subscription}: ${events.length} missed events from REST`)
      return events.length
    }).pipe(Effect.withSpan("Realtime.backfill", { attributes: { hub: "user", accountId: state.accountId } }))

  const backfillQuietly = (state: AccountState, stale: boolean) =>
    backfillState(state, stale).pipe(
      Effect.catch((error) => Effect.logWarning(`ProjectX user hub: backfill failed: ${error.message}`)),
      Effect.asVoid
    )

  hub.onLifecycle((event) => {
    const all = [...states.values()]
    if (event._tag === "Logout") {
      for (const state of all) {
        for (const sink of sinksOf(state)) sink.signal({ _tag: "Logout", hub: "user", streak: event.streak })
      }
    } else if (event._tag === "Connected" && event.reconnect) {
      for (const state of all) {
        for (const sink of sinksOf(state)) {
          sink.signal({ _tag: "Reconnected", hub: "user", reconnects: stats.reconnects })
        }
      }
      if (settings.backfill) fork(Effect.forEach(all, (state) => backfillQuietly(state, false), { discard: true }))
    }
  })

  const flush = makeFlush("user", stats)
  yield* Effect.forkScoped(
    Watchdog.watch({
      thresholdMs: settings.staleUserMs,
      entries: () => [...states.values()].map((s) => s.tracked),
      open: () => hub.state() === "connected",
      // A quiet account is normal: resubscribe and reconcile; only a real difference is reported stale.
      onStale: (tracked) =>
        Effect.gen(function* () {
          const state = [...states.values()].find((s) => s.tracked === tracked)
          tracked.staleSince = undefined
          tracked.step = 0
          tracked.baseline = yield* Clock.currentTimeMillis
          if (state === undefined) return
          const keys =
            state.accountId === ALL
              ? ["accounts"]
              : (["orders", "positions", "trades"] as const)
                  .filter((k) => state.sinks[k].size > 0)
                  .map((k) => `${k}:${state.accountId}`)
          for (const key of keys) yield* hub.resubscribe(key)
          if (settings.backfill) yield* backfillQuietly(state, true)
        }),
      onReconnect: () => Effect.void,
      onTick: flush
    })
  )

  const stateFor = (accountId: number, now: number): AccountState => {
    let state = states.get(accountId)
    if (state === undefined) {
      state = {
        accountId,
        tracked: Watchdog.track(accountId === ALL ? "accounts" : `account:${accountId}`, now),
        seen: accountId === ALL ? accountSeen : new Seen(),
        sinks: { orders: new Set(), positions: new Set(), trades: new Set() },
        events: 0,
        syncedAt: now,
        holders: 0
      }
      states.set(accountId, state)
    }
    return state
  }

  const subscribe = <A extends UserEvent>(kind: Kind | "accounts", accountId: number | undefined) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const id = kind === "accounts" ? ALL : (accountId ?? (yield* accountsService.selectedId))
        const key = kind === "accounts" ? "accounts" : `${kind}:${id}`
        const box = yield* lossless<UserEvent>(
          settings.buffer,
          () => new RealtimeOverflow({ hub: "user", subscription: key, capacity: settings.buffer })
        )
        const state = stateFor(id, yield* Clock.currentTimeMillis)
        state.holders++
        const set = kind === "accounts" ? accountSinks : state.sinks[kind]
        set.add(box.sink)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            set.delete(box.sink)
            if (--state.holders === 0) states.delete(id)
          })
        )
        yield* hub.acquire({
          key,
          args: kind === "accounts" ? [] : [id],
          ...methods[kind],
          refused: (reason) => {
            const error = new SubscriptionRefused({ hub: "user", method: methods[kind].subscribe, reason })
            for (const sink of set) sink.fail(error)
          }
        })
        return box.stream as Stream.Stream<A | Signal, RealtimeError>
      })
    )

  return UserHub.of({
    orders: (accountId) => subscribe<OrderUpdate>("orders", accountId),
    positions: (accountId) => subscribe<PositionUpdate>("positions", accountId),
    trades: (accountId) => subscribe<UserTrade>("trades", accountId),
    accounts: () => subscribe<AccountUpdate>("accounts", undefined),
    backfill: (accountId) =>
      Effect.gen(function* () {
        const id = accountId ?? (yield* accountsService.selectedId)
        const state = states.get(id)
        return state === undefined ? 0 : yield* backfillState(state, false)
      }),
    health: Effect.sync(() =>
      channelHealth(
        "user",
        config.urls.userHub,
        hub.state(),
        stats,
        settings.staleUserMs,
        Array.from(states.values(), (s) => ({ key: s.tracked.key, tracked: s.tracked, stale: false })),
        clock.currentTimeMillisUnsafe()
      )
    )
  })
})
