// The trading services against the simulator over real loopback HTTP.
import { describe, expect, it } from "@effect/vitest"
import { OrderStatus } from "@projectx-effect/gateway"
import { Effect, Result } from "effect"
import { Accounts } from "../src/trading/Accounts.ts"
import { AmbiguousOrder, ValidationError } from "../src/client/Errors.ts"
import { Instruments } from "../src/market/Instruments.ts"
import { Orders, type PlaceOrderInput, roundToTick } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { Trades } from "../src/trading/Trades.ts"
import { adminDo, MAIN_ACCOUNT, totalRequests, tradingSim } from "./support/tradingSim.ts"

/** The front MNQ contract and its last price. */
const market = Effect.gen(function* () {
  const contract = yield* (yield* Instruments).resolve("MNQ")
  const state = yield* adminDo((a) => a.market(contract.id))
  expect(state.lastPrice).not.toBeNull()
  return { contract, last: state.lastPrice as number, tick: contract.tickSize }
})

describe("Orders against the simulator", () => {
  it.live(
    "1,000 placements with 30 % of replies dropped after execution: exactly 1,000 orders, no duplicates",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const { contract, last, tick } = yield* market
        yield* (yield* Accounts).selectedId
        yield* adminDo((a) =>
          a.setFaults([{ endpoint: "placeOrder", kind: "dropAfterExecute", probability: 0.3 }], { seed: 1234 })
        )
        // Resting limits far from the market: no fills, so no margin limit stands in the way.
        const input = (i: number): PlaceOrderInput => ({
          type: "limit",
          contractId: contract.id,
          side: i % 2 === 0 ? "buy" : "sell",
          size: 1,
          limitPrice: roundToTick(i % 2 === 0 ? last - 500 - i * tick : last + 500 + i * tick, tick)
        })
        const results = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => Effect.result(orders.place(input(i))),
          { concurrency: 16 }
        )
        const faults = yield* adminDo((a) => a.faults())
        expect(faults.rules[0]?.applied).toBeGreaterThan(200)

        const book = yield* adminDo((a) => a.orders(MAIN_ACCOUNT))
        const tags = book.map((o) => o.customTag)
        expect(book).toHaveLength(1000)
        expect(new Set(tags).size).toBe(1000)
        const byTag = new Map(book.map((o) => [o.customTag, o]))
        let reconciled = 0
        let ambiguous = 0
        for (const result of results) {
          if (Result.isSuccess(result)) {
            const placed = result.success
            expect(byTag.get(placed.customTag)?.id).toBe(placed.orderId)
            if (placed.reconciled) reconciled++
          } else {
            expect(result.failure).toBeInstanceOf(AmbiguousOrder)
            expect(byTag.has((result.failure as AmbiguousOrder).customTag)).toBe(true)
            ambiguous++
          }
        }
        // Every dropped reply was settled by its tag (a stray keep-alive reset could add one more).
        expect(reconciled + ambiguous).toBeGreaterThanOrEqual(faults.rules[0]?.applied ?? 0)
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    60_000
  )

  it.live("every validation rule refuses before a request reaches the simulator", () =>
    Effect.gen(function* () {
      const orders = yield* Orders
      const { contract, last, tick } = yield* market
      const base = { contractId: contract.id, side: "buy", size: 1 } as const
      const limit = roundToTick(last - 20 * tick, tick)
      yield* orders.place({ ...base, type: "limit", limitPrice: limit }) // warms account and contract
      const before = yield* totalRequests
      const bad: ReadonlyArray<unknown> = [
        { ...base, type: "market", size: 0 },
        { ...base, type: "market", size: 2.5 },
        { ...base, type: "limit" },
        { ...base, type: "stop" },
        { ...base, type: "trailingStop" },
        { ...base, type: "limit", limitPrice: limit + tick / 3 },
        { ...base, type: "stop", stopPrice: last + tick * 1.5 },
        { ...base, type: "market", stopLoss: { ticks: 10 } },
        { ...base, type: "market", takeProfit: { ticks: -10 } },
        { ...base, side: "sell", type: "market", stopLoss: { ticks: -10 } },
        { ...base, side: "sell", type: "market", takeProfit: { ticks: 10 } },
        { ...base, type: "market", takeProfit: { ticks: 0 } },
        { ...base, type: "market", stopLoss: { ticks: -8, type: "limit" } },
        { ...base, type: "market", stopLoss: { ticks: -1500, type: "trailingStop" } },
        {
          ...base,
          side: "sell",
          type: "trailingStop",
          trailPrice: roundToTick(last - 1200 * tick, tick),
          referencePrice: last
        }
      ]
      for (const input of bad) {
        const error = yield* Effect.flip(orders.place(input as PlaceOrderInput))
        expect(error).toBeInstanceOf(ValidationError)
      }
      const positions = yield* Positions
      expect(yield* Effect.flip(positions.partialClose(contract.id, 0))).toBeInstanceOf(ValidationError)
      expect(yield* totalRequests).toBe(before)
    }).pipe(Effect.provide(tradingSim()))
  )

  it.live("brackets signed for a long and a short entry are accepted; a wrong sign is caught locally", () =>
    Effect.gen(function* () {
      const orders = yield* Orders
      const { contract, last, tick } = yield* market
      const long = yield* orders.place({
        type: "limit",
        contractId: contract.id,
        side: "buy",
        size: 1,
        limitPrice: roundToTick(last - 40 * tick, tick),
        stopLoss: { ticks: -16 },
        takeProfit: { ticks: 32 }
      })
      const short = yield* orders.place({
        type: "limit",
        contractId: contract.id,
        side: "sell",
        size: 1,
        limitPrice: roundToTick(last + 40 * tick, tick),
        stopLoss: { ticks: 16, type: "trailingStop" },
        takeProfit: { ticks: -32 }
      })
      const children = (yield* orders.query({ statuses: [OrderStatus.Suspended] })).filter(
        (o) => o.parentOrderId === long.orderId || o.parentOrderId === short.orderId
      )
      expect(children).toHaveLength(4)
      const wrong = yield* Effect.flip(
        orders.place({ type: "market", contractId: contract.id, side: "sell", size: 1, stopLoss: { ticks: -16 } })
      )
      expect(wrong.message).toContain("sell (short) entry, so the stop loss needs positive ticks")
      expect(wrong.message).toContain("for a buy (long) entry the stop loss must be below the fill: negative ticks")
    }).pipe(Effect.provide(tradingSim()))
  )

  it.live("the full lifecycle: place, partial fill, modify, cancel, bracket OCO, partial close, close, trades", () =>
    Effect.gen(function* () {
      const orders = yield* Orders
      const positions = yield* Positions
      const trades = yield* Trades
      const { contract, last, tick } = yield* market
      const id = contract.id
      const at = (ticks: number) => roundToTick(last + ticks * tick, tick)
      yield* adminDo((a) => a.setEngine({ maxFillPerStep: 1 }))

      // A resting buy limit, moved closer, then partly filled by a price move.
      const entry = yield* orders.place({ type: "limit", contractId: "MNQ", side: "buy", size: 3, limitPrice: at(-10) })
      yield* orders.modify({ orderId: entry.orderId, limitPrice: at(-8) })
      expect((yield* orders.byId(entry.orderId)).limitPrice).toBe(at(-8))
      yield* adminDo((a) => a.setPrice(id, at(-8)))
      const partial = yield* orders.byId(entry.orderId)
      expect(partial).toMatchObject({ status: OrderStatus.Open, fillVolume: 1 })
      yield* orders.cancel(entry.orderId)
      expect((yield* orders.byId(entry.orderId)).status).toBe(OrderStatus.Cancelled)
      expect((yield* positions.searchOpen()).find((p) => p.contractId === id)?.size).toBe(1)
      yield* adminDo((a) => a.setEngine({ maxFillPerStep: 0 }))

      // A bracketed market buy: the take profit fills, its OCO sibling is cancelled.
      const bracketed = yield* orders.place({
        type: "market",
        contractId: id,
        side: "buy",
        size: 1,
        stopLoss: { ticks: -20 },
        takeProfit: { ticks: 12 }
      })
      const legs = (yield* orders.query({ statuses: [OrderStatus.Open] })).filter(
        (o) => o.parentOrderId === bracketed.orderId
      )
      expect(legs).toHaveLength(2)
      const fill = (yield* orders.byId(bracketed.orderId)).filledPrice as number
      yield* adminDo((a) => a.setPrice(id, roundToTick(fill + 14 * tick, tick)))
      const after = yield* Effect.forEach(legs, (leg) => orders.byId(leg.id))
      expect(after.map((o) => o.status).sort()).toEqual([OrderStatus.Filled, OrderStatus.Cancelled].sort())
      expect((yield* positions.searchOpen()).find((p) => p.contractId === id)?.size).toBe(1)

      // Grow to 3, close 2 (3 + 1 would be too many: refused locally), then close the rest.
      yield* orders.place({ type: "market", contractId: id, side: "buy", size: 2 })
      const tooMany = yield* Effect.flip(positions.partialClose(id, 4))
      expect(tooMany).toMatchObject({ _tag: "ValidationError", field: "size" })
      yield* positions.partialClose(id, 2)
      expect((yield* positions.searchOpen()).find((p) => p.contractId === id)?.size).toBe(1)
      // A fresh bracketed entry, then a close: the Gateway leaves the children working; close cancels them.
      yield* orders.place({
        type: "market",
        contractId: id,
        side: "buy",
        size: 1,
        stopLoss: { ticks: -40 },
        takeProfit: { ticks: 40 }
      })
      const cleanup = yield* positions.close(id)
      expect(cleanup.bracketsCancelled).toHaveLength(2)
      expect((yield* positions.searchOpen()).some((p) => p.contractId === id)).toBe(false)
      expect((yield* orders.searchOpen()).filter((o) => o.contractId === id)).toEqual([])

      const fills = yield* trades.search()
      const opening = fills.filter((t) => t.profitAndLoss == null)
      const closing = fills.filter((t) => t.profitAndLoss != null)
      expect(opening.length).toBe(4) // partial fill, bracket entry, the add, the second bracket entry
      expect(closing.length).toBe(3) // take profit, partial close, close
      const summary = yield* trades.summary()
      expect(summary.byContract).toHaveLength(1)
      const realized = closing.reduce((acc, t) => acc + (t.profitAndLoss ?? 0), 0)
      expect(summary.realizedPnl).toBeCloseTo(realized, 6)
      expect(summary.fees).toBeCloseTo(
        fills.reduce((acc, t) => acc + t.fees, 0),
        6
      )
    }).pipe(Effect.provide(tradingSim()))
  )

  it.live(
    "v2/query returns every row across pages; cancelAll reports a refused cancel",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const { contract, last, tick } = yield* market
        yield* Effect.forEach(
          Array.from({ length: 130 }, (_, i) => i),
          (i) =>
            orders.place({
              type: "limit",
              contractId: contract.id,
              side: "buy",
              size: 1,
              limitPrice: roundToTick(last - (50 + i) * tick, tick)
            }),
          { concurrency: 8 }
        )
        const all = yield* orders.query()
        expect(all).toHaveLength(130)
        expect(new Set(all.map((o) => o.id)).size).toBe(130)
        const open = yield* orders.query({ statuses: [OrderStatus.Open], pageSize: 40 })
        expect(open).toHaveLength(130)

        yield* adminDo((a) =>
          a.setFaults([
            { endpoint: "cancelOrder", kind: "errorCode", errorCode: 3, errorMessage: "engine refused", times: 1 }
          ])
        )
        const report = yield* orders.cancelAll()
        expect(report.cancelled).toHaveLength(129)
        expect(report.failed).toHaveLength(1)
        expect(report.failed[0]?.error.message).toContain("engine refused")
        const still = yield* orders.searchOpen()
        expect(still.map((o) => o.id)).toEqual([report.failed[0]?.order.id])
      }).pipe(Effect.provide(tradingSim({ unthrottled: true }))),
    30_000
  )
})
