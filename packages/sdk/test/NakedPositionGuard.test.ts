// The naked-position guard over the user hub and the simulator: a bracket's stop cancelled from outside
// raises the alert and the guard's stop restores protection; a fill without a bracket is flattened.
import { describe, expect, it } from "@effect/vitest"
import { OrderSide, OrderStatus, OrderType } from "@projectx-effect/gateway"
import { Effect, Layer, Stream } from "effect"
import { Instruments } from "../src/market/Instruments.ts"
import { exposures, type GuardEvent, type GuardPolicy, NakedPositionGuard } from "../src/state/NakedPositionGuard.ts"
import { empty } from "../src/state/internal/tradingBook.ts"
import { TradingState } from "../src/state/TradingState.ts"
import { Orders } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { collect, MAIN_ACCOUNT, realtimeSim } from "./support/realtimeSim.ts"
import { order, position } from "./support/stateFixtures.ts"

const guarded = (policy: GuardPolicy) =>
  NakedPositionGuard.layer(policy).pipe(
    Layer.provideMerge(TradingState.layer({ accountId: MAIN_ACCOUNT })),
    Layer.provideMerge(realtimeSim({ sim: { clock: { mode: "fixed", start: Date.now() } } }))
  )

const events = Effect.gen(function* () {
  return yield* collect((yield* NakedPositionGuard).events)
})

describe("exposures", () => {
  it("counts only live stops on the closing side of the same contract; Suspended children protect nothing", () => {
    const s = {
      ...empty(1001),
      positions: new Map([["CON.F.US.MNQ.Z25", position({ id: 1, size: 2, type: 1 })]]),
      orders: new Map(
        [
          order({ id: 10, type: OrderType.Stop, side: OrderSide.Ask, size: 1, limitPrice: null, stopPrice: 20990 }),
          order({ id: 11, type: OrderType.Stop, side: OrderSide.Ask, size: 1, status: OrderStatus.Suspended }),
          order({ id: 12, type: OrderType.Stop, side: OrderSide.Bid, size: 5 }),
          order({ id: 13, type: OrderType.Limit, side: OrderSide.Ask, size: 5 })
        ].map((o) => [
          o.id,
          { order: o, phase: o.status === OrderStatus.Suspended ? ("Submitted" as const) : ("Working" as const) }
        ])
      )
    }
    expect(exposures(s).map((e) => e.coveredSize)).toEqual([1])
  })
})

describe("NakedPositionGuard against the simulator", () => {
  it.live(
    "a bracket's stop cancelled from outside: the alert fires, and the guard's stop restores protection",
    () =>
      Effect.gen(function* () {
        const seen = yield* events
        const guard = yield* NakedPositionGuard
        const orders = yield* Orders
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const entry = yield* orders.place({
          type: "market",
          contractId: contract.id,
          side: "buy",
          size: 2,
          stopLoss: { ticks: -12 },
          takeProfit: { ticks: 20 }
        })
        const state = yield* TradingState
        // Protected by the bracket's stop: no alert while it works.
        const stop = yield* state.changes.pipe(
          Stream.map((s) =>
            [...s.orders.values()].find(
              (o) => o.order.parentOrderId === entry.orderId && o.order.type === OrderType.Stop && o.phase === "Working"
            )
          ),
          Stream.filter((o) => o !== undefined),
          Stream.runHead,
          Effect.timeout("20 seconds")
        )
        expect(yield* guard.naked).toEqual([])

        yield* orders.cancel(stop._tag === "Some" ? stop.value!.order.id : -1, { accountId: MAIN_ACCOUNT })
        const naked = yield* seen.until("the alert", (xs) => xs.find((e) => e._tag === "Naked"))
        expect(naked).toMatchObject({ contractId: contract.id, exposure: { coveredSize: 0, position: { size: 2 } } })
        const placed = yield* seen.until("the guard's stop", (xs) =>
          xs.find((e): e is Extract<GuardEvent, { _tag: "StopPlaced" }> => e._tag === "StopPlaced")
        )
        yield* seen.until("covered again", (xs) => xs.find((e) => e._tag === "Covered"))
        const restored = yield* orders.byId(placed.orderId, MAIN_ACCOUNT)
        expect(restored).toMatchObject({ type: OrderType.Stop, side: OrderSide.Ask, size: 2, status: OrderStatus.Open })
        const avg = (yield* (yield* Positions).searchOpen(MAIN_ACCOUNT))[0]!.averagePrice
        expect(restored.stopPrice).toBeLessThanOrEqual(avg - 10 * contract.tickSize)
        expect(yield* guard.naked).toEqual([])
        expect(seen.seen.filter((e) => e._tag === "Naked")).toHaveLength(1)
      }).pipe(Effect.scoped, Effect.provide(guarded({ grace: "300 millis", action: { _tag: "Stop", ticks: 10 } }))),
    60_000
  )

  it.live(
    "a fill without a bracket, with the flatten policy: alerted, then closed at market",
    () =>
      Effect.gen(function* () {
        const seen = yield* events
        const contract = yield* (yield* Instruments).resolve("MNQ")
        yield* (yield* Orders).place({ type: "market", contractId: contract.id, side: "sell", size: 1 })
        yield* seen.until("the alert", (xs) => xs.find((e) => e._tag === "Naked"))
        yield* seen.until("the flatten", (xs) => xs.find((e) => e._tag === "Flattened"))
        expect(yield* (yield* Positions).searchOpen(MAIN_ACCOUNT)).toEqual([])
      }).pipe(Effect.scoped, Effect.provide(guarded({ grace: "200 millis", action: { _tag: "Flatten" } }))),
    60_000
  )

  it.live(
    "a subscriber that starts after the guard's first check still gets the alert (recent events are replayed)",
    () =>
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments).resolve("MNQ")
        yield* (yield* Orders).place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        const state = yield* TradingState
        yield* Stream.runHead(Stream.filter(state.changes, (s) => s.positions.size > 0))
        // Naked before the guard starts, grace 0: the first check alerts before anyone subscribes.
        const guard = yield* NakedPositionGuard.make({ grace: 0 })
        yield* Effect.sleep("300 millis")
        const seen = yield* collect(guard.events)
        const alert = yield* seen.until("the replayed alert", (xs) => xs.find((e) => e._tag === "Naked"))
        expect(alert._tag === "Naked" && alert.contractId).toBe(contract.id)
      }).pipe(
        Effect.scoped,
        Effect.provide(
          TradingState.layer({ accountId: MAIN_ACCOUNT }).pipe(
            Layer.provideMerge(realtimeSim({ sim: { clock: { mode: "fixed", start: Date.now() } } }))
          )
        )
      ),
    60_000
  )
})
