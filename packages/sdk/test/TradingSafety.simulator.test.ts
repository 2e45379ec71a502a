// Lost and unreadable replies to orders against the simulator over real loopback HTTP: an order that
// executed is never reported as failed, and nothing is placed twice, even with the Gateway's clock a
// year away from ours.
import { describe, expect, it } from "@effect/vitest"
import { OrderStatus } from "@projectx-effect/gateway"
import { Effect, Result } from "effect"
import { AmbiguousOrder } from "../src/client/Errors.ts"
import { Instruments } from "../src/market/Instruments.ts"
import { Orders, type PlaceOrderInput, roundToTick } from "../src/trading/Orders.ts"
import { Trades } from "../src/trading/Trades.ts"
import { adminDo, MAIN_ACCOUNT, tradingSim } from "./support/tradingSim.ts"

const YEAR = 365 * 86_400_000

/** The front MNQ contract and a resting limit far from its last price (no fills, no margin in the way). */
const restingLimits = Effect.gen(function* () {
  const contract = yield* (yield* Instruments).resolve("MNQ")
  const last = (yield* adminDo((a) => a.market(contract.id))).lastPrice as number
  const tick = contract.tickSize
  return (i: number): PlaceOrderInput => ({
    type: "limit",
    contractId: contract.id,
    side: i % 2 === 0 ? "buy" : "sell",
    size: 1,
    limitPrice: roundToTick(i % 2 === 0 ? last - 500 - i * tick : last + 500 + i * tick, tick)
  })
})

describe("Trading safety against the simulator", () => {
  it.live("a placement whose 200 reply is cut in half returns the order it created", () =>
    Effect.gen(function* () {
      const orders = yield* Orders
      const input = yield* restingLimits
      yield* adminDo((a) => a.setFaults([{ endpoint: "placeOrder", kind: "malformed", probability: 1, times: 1 }]))
      const placed = yield* orders.place(input(0))
      expect(placed).toMatchObject({ reconciled: true, sends: 1 })
      const book = yield* adminDo((a) => a.orders(MAIN_ACCOUNT))
      expect(book.map((o) => o.customTag)).toEqual([placed.customTag])
      expect(book[0]?.id).toBe(placed.orderId)
    }).pipe(Effect.provide(tradingSim()))
  )

  it.live(
    "200 placements, 30 % malformed and 30 % dropped replies, the Gateway's clock a year behind: no duplicate, no live order reported failed",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const input = yield* restingLimits
        yield* adminDo((a) =>
          a.setFaults(
            [
              { endpoint: "placeOrder", kind: "malformed", probability: 0.3 },
              { endpoint: "placeOrder", kind: "dropAfterExecute", probability: 0.3 }
            ],
            { seed: 99 }
          )
        )
        const results = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => i),
          (i) => Effect.result(orders.place(input(i))),
          { concurrency: 8 }
        )
        const faults = yield* adminDo((a) => a.faults())
        expect(faults.rules[0]?.applied).toBeGreaterThan(20)
        expect(faults.rules[1]?.applied).toBeGreaterThan(20)

        const book = yield* adminDo((a) => a.orders(MAIN_ACCOUNT))
        const live = book.filter((o) => o.status !== OrderStatus.Rejected)
        expect(live).toHaveLength(200)
        expect(new Set(live.map((o) => o.customTag)).size).toBe(200)
        // The orders carry the Gateway's time, a year before ours: the lookups searched there.
        expect(Math.abs(new Date(live[0]?.creationTimestamp ?? 0).getTime() - (Date.now() - YEAR))).toBeLessThan(
          60 * 60_000
        )
        const byTag = new Map(live.map((o) => [o.customTag, o]))
        let reconciled = 0
        for (const result of results) {
          if (Result.isSuccess(result)) {
            expect(byTag.get(result.success.customTag)?.id).toBe(result.success.orderId)
            if (result.success.reconciled) reconciled++
          } else {
            // Never a definite failure: only an AmbiguousOrder whose tag is a real order.
            expect(result.failure).toBeInstanceOf(AmbiguousOrder)
            expect(byTag.has((result.failure as AmbiguousOrder).customTag)).toBe(true)
          }
        }
        expect(reconciled).toBeGreaterThan(40)
      }).pipe(
        Effect.provide(tradingSim({ unthrottled: true, sim: { clock: { mode: "fixed", start: Date.now() - YEAR } } }))
      ),
    90_000
  )

  it.live(
    "with the Gateway's clock a year behind ours, the default search windows still find today's orders and fills",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const resting = (yield* restingLimits)(0)
        const limit = yield* orders.place(resting)
        const market = yield* orders.place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        // Both searches default to "the last 24 hours" — of the Gateway's clock, where its timestamps are.
        const found = (yield* orders.search()).map((o) => o.id)
        expect(found).toEqual(expect.arrayContaining([limit.orderId, market.orderId]))
        const fills = yield* (yield* Trades).search()
        expect(fills.map((t) => t.orderId)).toContain(market.orderId)
      }).pipe(Effect.provide(tradingSim({ sim: { clock: { mode: "fixed", start: Date.now() - YEAR } } })))
  )
})
