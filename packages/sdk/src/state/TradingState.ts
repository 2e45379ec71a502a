/**
 * What is working, filled and unknown on one account, at any moment: orders with an explicit lifecycle,
 * positions and balance, built from user-hub events, seeded from REST, and re-synchronised from REST after
 * every reconnect and `Stale` signal. REST is the truth: every divergence it reveals is counted by kind,
 * logged and repaired, and the orders snapshot uses `Order/v2/query`, never `searchOpen` alone (#100).
 */
import { OrderNotFilled, OrderTimeout } from "./Errors.ts"
import type { HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"
import { OrderStatus } from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type {
  AccountNotFound,
  AmbiguousOrder,
  ContractNotFound,
  GatewayError,
  ValidationError
} from "../client/Errors.ts"
import type { UserStreamError } from "../realtime/UserHub.ts"
import { UserHub } from "../realtime/UserHub.ts"
import { Accounts } from "../trading/Accounts.ts"
import { generateTag, Orders, type PlaceOrderInput } from "../trading/Orders.ts"
import { Positions } from "../trading/Positions.ts"
import {
  apply,
  type Applied,
  byTag,
  type Divergence,
  type DivergenceKind,
  empty,
  reconcile,
  type RestSnapshot,
  submitted,
  type TrackedOrder,
  type TradingSnapshot,
  unknown,
  type UserEvent,
  withdrawn
} from "./internal/tradingBook.ts"
import { isTerminal, Phase, phaseOf } from "./OrderLifecycle.ts"

export type { Divergence, DivergenceKind, Placement, TrackedOrder, TradingSnapshot } from "./internal/tradingBook.ts"
export { DivergenceKind as DivergenceKinds, liveOrders } from "./internal/tradingBook.ts"

export type CallError = GatewayError | ValidationError | AccountNotFound | ContractNotFound

/** Where a user event came from: the hub, or a REST backfill the hub layer sent after a gap. */
export type Source = "hub" | "rest"

/**
 * What the state consumes: the user hub's events and signals for one account (the shapes `UserHub`'s
 * Streams deliver). A signal makes the state re-synchronise from REST.
 */
export type FeedItem =
  | { readonly _tag: "OrderUpdate"; readonly order: Order; readonly source: Source }
  | { readonly _tag: "PositionUpdate"; readonly position: Position; readonly source: Source }
  | { readonly _tag: "UserTrade"; readonly trade: HalfTrade; readonly source: Source }
  | { readonly _tag: "AccountUpdate"; readonly account: TradingAccount; readonly source: Source }
  | { readonly _tag: "Stale" | "Recovered" | "Reconnected" | "Logout" }

export interface TradingStateOptions {
  /** The account (default: the selected one). */
  readonly accountId?: number | undefined
  /** How far back the REST snapshot lists terminal orders (default 24 hours). Live ones are listed at any age. */
  readonly orderLookback?: Duration.Input | undefined
  /** Also re-synchronise on this period, whatever the hub says (default: only on start and signals). */
  readonly resyncEvery?: Duration.Input | undefined
  /** Fills kept in the snapshot (default 200). */
  readonly maxTrades?: number | undefined
}

/** Divergences repaired so far, by kind, and the most recent ones. */
export interface DivergenceReport {
  readonly total: number
  readonly byKind: Readonly<Partial<Record<DivergenceKind, number>>>
  readonly recent: ReadonlyArray<Divergence>
  /** REST re-synchronisations done, and events refused because they would have moved an order backwards. */
  readonly resyncs: number
  readonly backwards: number
}

export { OrderNotFilled, OrderTimeout } from "./Errors.ts"

/** A bracket entry and its children, as they stand. */
export interface BracketView {
  readonly parent: TrackedOrder
  readonly children: ReadonlyArray<TrackedOrder>
}

/** A placed order to follow: its phase as events and REST move it, its fill, its bracket children. */
export interface OrderHandle {
  readonly customTag: string
  /** The order id, once known (at once after a clean placement; by tag after a lost reply). */
  readonly orderId: Effect.Effect<number | undefined>
  /** The order as it stands (undefined while its placement is Unknown). */
  readonly current: Effect.Effect<TrackedOrder | undefined>
  /** The phase: Unknown while the placement's outcome is not known. */
  readonly phase: Effect.Effect<Phase>
  /** Waits for a terminal phase (Filled, Cancelled, Rejected, Expired). */
  readonly terminal: (timeout: Duration.Input) => Effect.Effect<TrackedOrder, OrderTimeout>
  /** Waits for the complete fill; another terminal phase fails with `OrderNotFilled`. */
  readonly filled: (timeout: Duration.Input) => Effect.Effect<TrackedOrder, OrderTimeout | OrderNotFilled>
  /** The entry with its bracket children (orders whose `parentOrderId` is this order). */
  readonly bracket: Effect.Effect<BracketView | undefined>
  /** Waits until the entry and every child are terminal (the bracket is over: target, stop or cancel). */
  readonly bracketDone: (timeout: Duration.Input) => Effect.Effect<BracketView, OrderTimeout>
}

export interface TradingStateShape {
  readonly accountId: number
  /** The state now. */
  readonly snapshot: Effect.Effect<TradingSnapshot>
  /** The state now, then after every change. */
  readonly changes: Stream.Stream<TradingSnapshot>
  /** Re-synchronises from REST now; returns what it repaired. */
  readonly resync: Effect.Effect<ReadonlyArray<Divergence>, CallError>
  readonly divergences: Effect.Effect<DivergenceReport>
  /** Places an order (as `Orders.place`) and returns a handle that follows it. */
  readonly placeTracked: (
    input: PlaceOrderInput
  ) => Effect.Effect<OrderHandle, CallError | ContractNotFound | AmbiguousOrder>
  /** A handle on an order placed elsewhere, by tag. */
  readonly track: (customTag: string, orderId?: number) => OrderHandle
}

const workingStatuses = [
  OrderStatus.Open,
  OrderStatus.Suspended,
  OrderStatus.Pending,
  OrderStatus.PendingCancellation
] as const

const divergencesTotal = Metric.counter("projectx_state_divergences_total", {
  description: "Differences between the event-built trading state and REST, repaired in REST's favour"
})

const RECENT = 100

/** What an event from a REST backfill repaired, by kind (hub events repair nothing). */
const repairOf = (before: TradingSnapshot, event: UserEvent): Divergence | undefined => {
  switch (event._tag) {
    case "Order": {
      const held = before.orders.get(event.order.id)
      const to = phaseOf(event.order)
      const key = String(event.order.id)
      if (held === undefined) return { kind: "OrderMissing", key, detail: `absent → ${to}` }
      return held.phase !== to
        ? { kind: "OrderPhase", key, detail: `${held.phase} → ${to}` }
        : { kind: "OrderFields", key, detail: `fill ${held.order.fillVolume ?? 0} → ${event.order.fillVolume ?? 0}` }
    }
    case "Position": {
      const p = event.position
      const held = before.positions.get(p.contractId)
      if (p.size === 0) return { kind: "PositionExtra", key: p.contractId, detail: "open → flat" }
      return held === undefined
        ? { kind: "PositionMissing", key: p.contractId, detail: `flat → ${p.size}` }
        : { kind: "PositionFields", key: p.contractId, detail: `${held.size} → ${p.size}` }
    }
    case "Account":
      return before.account !== undefined && before.account.balance !== event.account.balance
        ? {
            kind: "Balance",
            key: String(event.account.id),
            detail: `${before.account.balance} → ${event.account.balance}`
          }
        : undefined
    case "Trade":
      return undefined
  }
}

const toEvent = (item: FeedItem): UserEvent | undefined => {
  switch (item._tag) {
    case "OrderUpdate":
      return { _tag: "Order", order: item.order }
    case "PositionUpdate":
      return { _tag: "Position", position: item.position }
    case "UserTrade":
      return { _tag: "Trade", trade: item.trade }
    case "AccountUpdate":
      return { _tag: "Account", account: item.account }
    default:
      return undefined
  }
}

/**
 * Builds the state for one account over `feed`, seeds it from REST, and keeps it: events applied as they
 * come, a REST re-synchronisation after every signal. Scoped: the feed is consumed until the scope closes.
 */
export const makeFromFeed = <E>(
  feed: Stream.Stream<FeedItem, E>,
  options: TradingStateOptions = {},
  /** Awaited after the feed starts and before the REST seed (the hub layer waits for its subscriptions). */
  ready?: Effect.Effect<void>
): Effect.Effect<TradingStateShape, CallError, Accounts | Orders | Positions | Scope.Scope> =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const orders = yield* Orders
    const positions = yield* Positions
    const accountId = yield* accounts.idOr(options.accountId)
    const lookbackMs = Duration.toMillis(Duration.fromInputUnsafe(options.orderLookback ?? "24 hours"))
    const maxTrades = options.maxTrades ?? 200
    const ref = yield* SubscriptionRef.make(empty(accountId))
    const report = yield* Ref.make<DivergenceReport>({ total: 0, byKind: {}, recent: [], resyncs: 0, backwards: 0 })
    /** Events applied so far: a REST read that saw this move started before some event and is read again. */
    let eventsSeen = 0
    let seeded = false
    const syncLock = yield* Semaphore.make(1)

    const count = (found: ReadonlyArray<Divergence>, resynced: boolean) =>
      Effect.gen(function* () {
        for (const d of found) {
          yield* Effect.logWarning(`TradingState: ${d.kind} ${d.key}: ${d.detail} (repaired from REST)`).pipe(
            Effect.annotateLogs({ "projectx.account_id": accountId, "projectx.divergence": d.kind })
          )
          yield* Metric.update(Metric.withAttributes(divergencesTotal, { kind: d.kind }), 1)
        }
        yield* Ref.update(report, (r) => {
          const byKind: Partial<Record<DivergenceKind, number>> = { ...r.byKind }
          for (const d of found) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1
          return {
            ...r,
            total: r.total + found.length,
            byKind,
            recent: [...r.recent, ...found].slice(-RECENT),
            resyncs: r.resyncs + (resynced ? 1 : 0)
          }
        })
      })

    const readRest = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const [recent, working, open, account] = yield* Effect.all(
        [
          orders.query({ accountId, createdAfter: new Date(now - lookbackMs) }),
          orders.query({ accountId, statuses: workingStatuses }),
          positions.searchOpen(accountId),
          accounts.search({ onlyActive: false }).pipe(Effect.map((all) => all.find((a) => a.id === accountId)))
        ],
        { concurrency: 4 }
      )
      const byId = new Map<number, Order>()
      for (const o of recent) byId.set(o.id, o)
      for (const o of working) byId.set(o.id, o)
      return { account, orders: [...byId.values()], positions: open } satisfies RestSnapshot
    })

    const resyncOnce = Effect.gen(function* () {
      // A read that raced with events is read again (twice at most), so REST's older word cannot undo them.
      let rest: RestSnapshot | undefined
      for (let attempt = 0; attempt < 3; attempt++) {
        const before = eventsSeen
        rest = yield* readRest
        if (eventsSeen === before) break
      }
      const now = yield* Clock.currentTimeMillis
      const found = yield* SubscriptionRef.modify(ref, (s) => {
        const r = reconcile(s, rest!, now)
        return [r.divergences, r.state] as const
      })
      // The seed fills an empty state: nothing it adds is a divergence.
      const repaired = seeded ? found : []
      seeded = true
      yield* count(repaired, true)
      return repaired
    })

    const resync = syncLock.withPermits(1)(resyncOnce).pipe(Effect.withSpan("TradingState.resync"))

    /** Signals ask for a re-synchronisation; several in a row (one per stream) make one. */
    const wanted = yield* Queue.sliding<void>(1)
    const requestResync = Queue.offer(wanted, undefined).pipe(Effect.asVoid)

    const onItem = (item: FeedItem) =>
      Effect.gen(function* () {
        const event = toEvent(item)
        if (event === undefined) {
          yield* Effect.logInfo(`TradingState: ${item._tag}; re-synchronising from REST`)
          return yield* requestResync
        }
        eventsSeen++
        const before = yield* SubscriptionRef.get(ref)
        const { state, result } = apply(before, event, maxTrades)
        if (result._tag === "Applied") {
          yield* SubscriptionRef.set(ref, state)
          if ("source" in item && item.source === "rest") {
            const repaired = repairOf(before, event)
            if (repaired !== undefined) yield* count([repaired], false)
          }
        } else if (result._tag === "Backwards") yield* onBackwards(result)
      })

    const onBackwards = (r: Extract<Applied, { _tag: "Backwards" }>) =>
      Effect.logWarning(`TradingState: order ${r.orderId} event ${r.from} → ${r.to} not applied (${r.reason})`).pipe(
        Effect.andThen(Ref.update(report, (x) => ({ ...x, backwards: x.backwards + 1 })))
      )

    // Listen first, then read REST: an event between the two is applied and then confirmed (or corrected) by
    // the snapshot, never lost in between.
    // A feed that fails (a subscriber overflow, a refused subscription) is run again after a pause, and
    // whatever it missed meanwhile comes from the REST re-synchronisation it asks for.
    yield* feed.pipe(
      Stream.runForEach(onItem),
      Effect.catchCause((cause) =>
        Effect.logWarning("TradingState: the user feed failed; resubscribing and re-synchronising", cause).pipe(
          Effect.andThen(requestResync),
          Effect.andThen(Effect.sleep("200 millis")),
          Effect.andThen(Effect.fail("restart" as const))
        )
      ),
      Effect.retry(Schedule.forever),
      Effect.forkScoped
    )
    if (ready !== undefined) yield* ready
    yield* resync.pipe(
      Effect.tapError((e) => Effect.logError(`TradingState: the initial REST snapshot failed: ${e.message}`))
    )
    // The resync loop: waits for a request, then reads REST (failures are logged and retried on the next signal).
    yield* Queue.take(wanted).pipe(
      Effect.andThen(resync),
      Effect.catch((e) => Effect.logWarning(`TradingState: resync failed: ${e.message}`)),
      Effect.forever,
      Effect.forkScoped
    )
    if (options.resyncEvery !== undefined) {
      const every = options.resyncEvery
      yield* Effect.gen(function* () {
        while (true) {
          yield* Effect.sleep(every)
          yield* requestResync
        }
      }).pipe(Effect.forkScoped)
    }

    const changes = SubscriptionRef.changes(ref)

    const waitFor = <A>(customTag: string, timeout: Duration.Input, pick: (s: TradingSnapshot) => A | undefined) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const found = yield* changes.pipe(
          Stream.map(pick),
          Stream.filter((a): a is A => a !== undefined),
          Stream.runHead,
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () =>
              Effect.gen(function* () {
                const s = yield* SubscriptionRef.get(ref)
                const o = byTag(s, customTag)
                const now = yield* Clock.currentTimeMillis
                return yield* new OrderTimeout({
                  customTag,
                  ...(o === undefined ? {} : { orderId: o.order.id }),
                  phase: o?.phase ?? s.placements.get(customTag)?.phase ?? Phase.Unknown,
                  waitedMs: now - started
                })
              }).pipe(Effect.map(() => undefined as never))
          })
        )
        return found._tag === "Some" ? found.value : (undefined as never)
      })

    const track = (customTag: string, knownId?: number): OrderHandle => {
      const find = (s: TradingSnapshot): TrackedOrder | undefined =>
        (knownId === undefined ? undefined : s.orders.get(knownId)) ?? byTag(s, customTag)
      const bracketOf = (s: TradingSnapshot): BracketView | undefined => {
        const parent = find(s)
        if (parent === undefined) return undefined
        const children = [...s.orders.values()].filter((o) => o.order.parentOrderId === parent.order.id)
        return { parent, children }
      }
      const current = Effect.map(SubscriptionRef.get(ref), find)
      return {
        customTag,
        orderId: Effect.map(current, (o) => o?.order.id ?? knownId),
        current,
        phase: Effect.map(
          SubscriptionRef.get(ref),
          (s) => find(s)?.phase ?? s.placements.get(customTag)?.phase ?? Phase.Unknown
        ),
        terminal: (timeout) =>
          waitFor(customTag, timeout, (s) => {
            const o = find(s)
            return o !== undefined && isTerminal(o.phase) ? o : undefined
          }),
        filled: (timeout) =>
          waitFor(customTag, timeout, (s) => {
            const o = find(s)
            return o !== undefined && isTerminal(o.phase) ? o : undefined
          }).pipe(
            Effect.flatMap((o) =>
              o.phase === Phase.Filled
                ? Effect.succeed(o)
                : Effect.fail(
                    new OrderNotFilled({ orderId: o.order.id, phase: o.phase, fillVolume: o.order.fillVolume ?? 0 })
                  )
            )
          ),
        bracket: Effect.map(SubscriptionRef.get(ref), bracketOf),
        bracketDone: (timeout) =>
          waitFor(customTag, timeout, (s) => {
            const b = bracketOf(s)
            if (b === undefined || !isTerminal(b.parent.phase)) return undefined
            return b.children.every((c) => isTerminal(c.phase)) ? b : undefined
          })
      }
    }

    const placeTracked = Effect.fn("TradingState.placeTracked")(function* (input: PlaceOrderInput) {
      const customTag = input.customTag ?? (yield* generateTag)
      const sentAt = yield* Clock.currentTimeMillis
      yield* SubscriptionRef.update(ref, (s) => submitted(s, customTag, sentAt))
      const placed = yield* orders
        .place({ ...input, accountId, customTag })
        .pipe(
          Effect.tapError((e) =>
            e._tag === "AmbiguousOrder"
              ? SubscriptionRef.update(ref, (s) => unknown(s, customTag)).pipe(Effect.andThen(requestResync))
              : SubscriptionRef.update(ref, (s) => withdrawn(s, customTag))
          )
        )
      yield* Effect.annotateCurrentSpan({ "projectx.order_id": placed.orderId, "projectx.custom_tag": customTag })
      return track(customTag, placed.orderId)
    })

    return {
      accountId,
      snapshot: SubscriptionRef.get(ref),
      changes,
      resync,
      divergences: Ref.get(report),
      placeTracked,
      track
    } satisfies TradingStateShape
  })

/** The state over the user hub: its four streams for the account, every signal a REST re-synchronisation. */
const make = (
  options: TradingStateOptions = {}
): Effect.Effect<TradingStateShape, CallError, UserHub | Accounts | Orders | Positions | Scope.Scope> =>
  Effect.gen(function* () {
    const hub = yield* UserHub
    const accountId = yield* (yield* Accounts).idOr(options.accountId)
    const feed = Stream.mergeAll(
      [hub.orders(accountId), hub.positions(accountId), hub.trades(accountId), hub.accounts()] as ReadonlyArray<
        Stream.Stream<FeedItem, UserStreamError>
      >,
      { concurrency: "unbounded" }
    )
    // The subscriptions are made when the feed runs: seed from REST once the hub is connected.
    const connected = hub.health.pipe(
      Effect.flatMap((h) => (h.state === "connected" ? Effect.void : Effect.fail("waiting" as const))),
      Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 500 }),
      Effect.catch(() => Effect.logWarning("TradingState: the user hub is not connected yet; seeding from REST anyway"))
    )
    return yield* makeFromFeed(feed, { ...options, accountId }, connected)
  })

export class TradingState extends Context.Service<TradingState, TradingStateShape>()(
  "@projectx-effect/sdk/TradingState"
) {
  /** The state of one account over the user hub (scoped: the hub subscriptions last as long as the scope). */
  static readonly make = make
  /** The state of one account (default: the selected one) over the user hub. */
  static readonly layer = (
    options?: TradingStateOptions
  ): Layer.Layer<TradingState, CallError, UserHub | Accounts | Orders | Positions> =>
    Layer.effect(TradingState, make(options))
  /** The state over a feed of user events you provide (a test double, a recorded session). */
  static readonly makeFromFeed = makeFromFeed
  static readonly layerFromFeed = <E>(
    feed: Stream.Stream<FeedItem, E>,
    options?: TradingStateOptions
  ): Layer.Layer<TradingState, CallError, Accounts | Orders | Positions> =>
    Layer.effect(TradingState, makeFromFeed(feed, options))
}
