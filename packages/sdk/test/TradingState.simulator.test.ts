// TradingState over the simulator's REST API, with a user feed the test controls: what the state knows
// when the hub says nothing (a dropped hub), what a REST re-synchronisation repairs, and order handles.
import { describe, expect, it } from "@effect/vitest"
import { OrderStatus } from "@projectx-effect/gateway"
import { Effect, Fiber, Layer, Queue, Stream } from "effect"
import { Instruments } from "../src/market/Instruments.ts"
import { Phase } from "../src/state/OrderLifecycle.ts"
import { type FeedItem, liveOrders, OrderNotFilled, TradingState } from "../src/state/TradingState.ts"
import { Orders, roundToTick } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { adminDo, MAIN_ACCOUNT, tradingSim } from "./support/tradingSim.ts"

const market = Effect.gen(function* () {
  const contract = yield* (yield* Instruments).resolve("MNQ")
  const state = yield* adminDo((a) => a.market(contract.id))
  return { contract, last: state.lastPrice as number, tick: contract.tickSize }
})

/** The state over a feed the test writes to. */
const withFeed = <A, E, R>(body: (feed: Queue.Queue<FeedItem>) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const feed = yield* Queue.unbounded<FeedItem>()
    return yield* body(feed).pipe(
      Effect.provide(
        Layer.effect(TradingState, TradingState.makeFromFeed(Stream.fromQueue(feed), { accountId: MAIN_ACCOUNT }))
      )
    )
  })

/** REST's view, in the state's terms: live orders by id, positions by contract, the balance. */
const restView = Effect.gen(function* () {
  const orders = yield* Orders
  const positions = yield* Positions
  const live = yield* orders.query({
    accountId: MAIN_ACCOUNT,
    statuses: [OrderStatus.Open, OrderStatus.Suspended, OrderStatus.Pending, OrderStatus.PendingCancellation]
  })
  const open = yield* positions.searchOpen(MAIN_ACCOUNT)
  const account = (yield* adminDo((a) => a.accounts())).find((a) => a.id === MAIN_ACCOUNT)
  return {
    live: live.map((o) => o.id).sort((a, b) => a - b),
    positions: open.map((p) => `${p.contractId}:${p.type}:${p.size}`).sort(),
    balance: account?.balance
  }
})

const stateView = Effect.gen(function* () {
  const s = yield* (yield* TradingState).snapshot
  return {
    live: liveOrders(s).map((o) => o.id),
    positions: [...s.positions.values()].map((p) => `${p.contractId}:${p.type}:${p.size}`).sort(),
    balance: s.account?.balance
  }
})

describe("TradingState against the simulator", () => {
  it.live(
    "seeds from REST — bracket children Suspended included, which searchOpen omits (#100)",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const { contract, last, tick } = yield* market
        yield* orders.place({
          type: "limit",
          contractId: contract.id,
          side: "buy",
          size: 1,
          limitPrice: roundToTick(last - 100 * tick, tick),
          stopLoss: { ticks: -20 },
          takeProfit: { ticks: 40 }
        })
        const open = yield* orders.searchOpen(MAIN_ACCOUNT)
        yield* withFeed(() =>
          Effect.gen(function* () {
            const s = yield* (yield* TradingState).snapshot
            const live = liveOrders(s)
            expect(live).toHaveLength(3)
            expect(open).toHaveLength(1)
            expect(live.filter((o) => o.status === OrderStatus.Suspended)).toHaveLength(2)
            expect(yield* stateView).toEqual(yield* restView)
            expect((yield* (yield* TradingState).divergences).total).toBe(0)
          })
        )
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    60_000
  )

  it.live(
    "a silent feed during fills: a Reconnected signal re-synchronises, and the divergences say what was repaired",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const { contract, last, tick } = yield* market
        const limit = yield* orders.place({
          type: "limit",
          contractId: contract.id,
          side: "buy",
          size: 2,
          limitPrice: roundToTick(last - 4 * tick, tick)
        })
        yield* withFeed((feed) =>
          Effect.gen(function* () {
            const state = yield* TradingState
            expect((yield* state.snapshot).orders.get(limit.orderId)?.phase).toBe(Phase.Working)
            // The hub is gone: the limit fills and a market order opens a second position, unannounced.
            yield* adminDo((a) => a.setPrice(contract.id, roundToTick(last - 10 * tick, tick)))
            yield* orders.place({ type: "market", contractId: "MES", side: "sell", size: 1 })
            yield* Queue.offer(feed, { _tag: "Reconnected" })
            const repaired = yield* state.changes.pipe(
              Stream.filter((s) => s.orders.get(limit.orderId)?.phase === Phase.Filled),
              Stream.runHead
            )
            expect(repaired._tag).toBe("Some")
            expect(yield* stateView).toEqual(yield* restView)
            const report = yield* state.divergences
            expect(report.byKind).toMatchObject({ OrderPhase: 1, PositionMissing: 2, Balance: 1 })
            expect(report.byKind.OrderMissing ?? 0).toBe(0)
            expect(report.resyncs).toBe(2)
          })
        )
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    60_000
  )

  it.live(
    "a late event that would move an order backwards is logged and not applied",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        yield* withFeed((feed) =>
          Effect.gen(function* () {
            const state = yield* TradingState
            const handle = yield* state.placeTracked({ type: "market", contractId: "MNQ", side: "buy", size: 1 })
            yield* state.resync
            const filled = yield* handle.filled("20 seconds")
            expect(filled.phase).toBe(Phase.Filled)
            const stale = { ...filled.order, status: OrderStatus.Pending, fillVolume: 0 }
            yield* Queue.offer(feed, { _tag: "OrderUpdate", order: stale, source: "hub" })
            yield* Effect.gen(function* () {
              while ((yield* state.divergences).backwards === 0) yield* Effect.sleep("10 millis")
            }).pipe(Effect.timeout("10 seconds"))
            expect((yield* handle.current)?.phase).toBe(Phase.Filled)
            expect((yield* orders.byId(filled.order.id, MAIN_ACCOUNT)).status).toBe(OrderStatus.Filled)
          })
        )
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    60_000
  )

  it.live(
    "order handles: await a fill, see a cancel as OrderNotFilled, follow a bracket's parent and children",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const { contract, last, tick } = yield* market
        yield* withFeed(() =>
          Effect.gen(function* () {
            const state = yield* TradingState
            const resting = yield* state.placeTracked({
              type: "limit",
              contractId: contract.id,
              side: "buy",
              size: 1,
              limitPrice: roundToTick(last - 50 * tick, tick)
            })
            expect(yield* resting.phase).toBe(Phase.Submitted)
            yield* state.resync
            expect(yield* resting.phase).toBe(Phase.Working)
            const waiting = yield* Effect.forkChild(resting.filled("30 seconds"))
            yield* orders.cancel((yield* resting.orderId)!, { accountId: MAIN_ACCOUNT })
            yield* state.resync
            const outcome = yield* Effect.flip(Fiber.join(waiting))
            expect(outcome).toBeInstanceOf(OrderNotFilled)

            const entry = yield* state.placeTracked({
              type: "market",
              contractId: contract.id,
              side: "buy",
              size: 1,
              stopLoss: { ticks: -10 },
              takeProfit: { ticks: 10 }
            })
            yield* state.resync
            const bracket = yield* entry.bracket
            expect(bracket?.parent.phase).toBe(Phase.Filled)
            expect(bracket?.children.map((c) => c.phase)).toEqual([Phase.Working, Phase.Working])
            const done = yield* Effect.forkChild(entry.bracketDone("30 seconds"))
            yield* adminDo((a) => a.nudgePrice(contract.id, 15))
            yield* state.resync
            const over = yield* Fiber.join(done)
            expect(over.children.map((c) => c.phase).sort()).toEqual([Phase.Cancelled, Phase.Filled])
          })
        )
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    60_000
  )
})
