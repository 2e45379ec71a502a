// Both hubs through the SDK against the simulator over loopback: quotes agree with REST bars, a market
// order produces order, fill and position events, and depth snapshots over 12 KB arrive whole.
import { describe, expect, it } from "@effect/vitest"
import { OrderStatus, OrderType } from "@projectx-effect/gateway"
import { Effect } from "effect"
import { Instruments } from "../src/market/Instruments.ts"
import * as Bars from "../src/market/Bars.ts"
import { MarketData } from "../src/market/MarketData.ts"
import type { Depth, Quote, UserEvent } from "../src/realtime/Events.ts"
import { MarketHub } from "../src/realtime/MarketHub.ts"
import { UserHub } from "../src/realtime/UserHub.ts"
import { Orders } from "../src/trading/Orders.ts"
import { adminDo, collect, MAIN_ACCOUNT, realtimeSim } from "./support/realtimeSim.ts"

describe("Realtime against the simulator", () => {
  it.live(
    "quotes arrive merged into full quotes and stay inside the REST bars of the same minutes",
    () =>
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const market = yield* MarketHub
        const quotes = yield* collect(market.quotes("MNQ"))
        yield* quotes.until("three minutes' worth of quotes", (seen) =>
          seen.filter((q) => q._tag === "Quote").length >= 12 ? true : undefined
        )
        const received = quotes.seen.filter((q): q is Quote => q._tag === "Quote")
        // Every quote is full: the deltas were merged into the first snapshot.
        for (const quote of received) {
          expect(quote.contractId).toBe(contract.id)
          expect(typeof quote.lastPrice).toBe("number")
          expect(typeof quote.bestBid).toBe("number")
          expect(typeof quote.bestAsk).toBe("number")
        }
        const first = received[0]!.timestamp!
        const last = received.at(-1)!.timestamp!
        const table = yield* (yield* MarketData).bars({
          contractId: contract.id,
          unit: "second",
          start: new Date(first.getTime() - 1000),
          end: new Date(last.getTime() + 2000),
          includePartialBar: true
        })
        const bars = new Map(Bars.toRows(table).map((bar) => [bar.timestamp.getTime(), bar]))
        let checked = 0
        for (const quote of received) {
          const second = Math.floor(quote.timestamp!.getTime() / 1000) * 1000
          const bar = bars.get(second)
          if (bar === undefined) continue
          expect(quote.lastPrice!).toBeGreaterThanOrEqual(bar.low)
          expect(quote.lastPrice!).toBeLessThanOrEqual(bar.high)
          checked++
        }
        expect(checked).toBeGreaterThan(5)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim())),
    60_000
  )

  it.live(
    "a market order yields order, fill and position events that agree with each other",
    () =>
      Effect.gen(function* () {
        const user = yield* UserHub
        const orders = yield* collect(user.orders())
        const fills = yield* collect(user.trades())
        const positions = yield* collect(user.positions())
        // The subscriptions are in place once the hub answers; the stats show them.
        yield* adminDo((a) => a.stats()).pipe(
          Effect.repeat({ until: (s) => (s.hubs?.subscriptions?.positions ?? 0) >= 1 }),
          Effect.timeout("20 seconds")
        )
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const placed = yield* (yield* Orders).place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        const filled = yield* orders.until("the filled order", (seen) =>
          seen.find(
            (e): e is Extract<UserEvent, { _tag: "OrderUpdate" }> =>
              e._tag === "OrderUpdate" && e.order.id === placed.orderId && e.order.status === OrderStatus.Filled
          )
        )
        expect(filled.order.type).toBe(OrderType.Market)
        expect(filled.source).toBe("hub")
        const fill = yield* fills.until("the fill", (seen) =>
          seen.find((e) => e._tag === "UserTrade" && e.trade.orderId === placed.orderId)
        )
        expect(fill._tag === "UserTrade" && fill.trade.profitAndLoss == null).toBe(true)
        const position = yield* positions.until("the position", (seen) =>
          seen.find((e) => e._tag === "PositionUpdate" && e.position.accountId === MAIN_ACCOUNT)
        )
        expect(position._tag === "PositionUpdate" && position.position.size).toBe(1)
        // Sensible: nothing about the order after it filled, and the fill, order and position agree on price.
        const events = orders.seen.filter((e) => e._tag === "OrderUpdate" && e.order.id === placed.orderId)
        expect(events.at(-1)).toBe(filled)
        const price = fill._tag === "UserTrade" ? fill.trade.price : Number.NaN
        expect(filled.order.filledPrice).toBe(price)
        expect(position._tag === "PositionUpdate" && position.position.averagePrice).toBe(price)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim())),
    60_000
  )

  it.live(
    "depth snapshots over 12 KB arrive whole, starting with a Reset",
    () =>
      Effect.gen(function* () {
        const market = yield* MarketHub
        const depth = yield* collect(market.depth("MNQ"))
        const first = yield* depth.until("a depth snapshot", (seen) => seen.find((e): e is Depth => e._tag === "Depth"))
        expect(first.entries[0]?.type).toBe(6)
        expect(JSON.stringify(first.entries).length).toBeGreaterThan(12_000)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim({ sim: { hubs: { depthLevels: 80 } } }))),
    60_000
  )
})
