import { describe, expect, it } from "@effect/vitest"
import type { HalfTrade } from "@projectx-effect/gateway"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { summarize, Trades } from "../src/trading/Trades.ts"
import { makeFake, tradingLayer } from "./support/tradingFake.ts"

const NOW = Date.UTC(2025, 9, 15, 14, 30)

const fill = (contractId: string, pnl: number | null, fees: number, extra: Partial<HalfTrade> = {}): HalfTrade => ({
  id: Math.floor(Math.random() * 1e9),
  accountId: 11,
  contractId,
  creationTimestamp: new Date(NOW),
  price: 100,
  profitAndLoss: pnl,
  fees,
  side: 0,
  size: 1,
  voided: false,
  orderId: 1,
  ...extra
})

describe("Trades", () => {
  it.effect("searches with POST Trade/search over the last 24 hours by default (ending a minute past now)", () => {
    const fake = makeFake()
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const trades = yield* Trades
      yield* trades.search()
      expect(fake.state.calls.at(-1)).toEqual({
        endpoint: "SearchTrade",
        request: { accountId: 11, startTimestamp: new Date(NOW - 86_400_000), endTimestamp: new Date(NOW + 60_000) }
      })
      yield* trades.search({ start: new Date(NOW - 3_600_000) })
      expect(fake.state.calls.at(-1)?.request.endTimestamp).toEqual(new Date(NOW + 60_000))
      yield* trades.search({ end: new Date(NOW - 3_600_000) })
      expect(fake.state.calls.at(-1)?.request).toMatchObject({
        startTimestamp: new Date(NOW - 3_600_000 - 86_400_000),
        endTimestamp: new Date(NOW - 3_600_000)
      })
      const error = yield* Effect.flip(trades.search({ start: new Date(NOW), end: new Date(NOW - 1000) }))
      expect(error).toMatchObject({ _tag: "ValidationError", field: "start" })
    }).pipe(Effect.provide(tradingLayer(fake)))
  })

  it("sums realized P&L and fees per contract; opening fills carry no P&L, voided fills are left out", () => {
    const summary = summarize([
      fill("A", null, 0.37),
      fill("A", 12.5, 0.37),
      fill("B", null, 1.4, { size: 2 }),
      fill("B", -25, 1.4, { size: 2, commissions: 0.5 }),
      fill("A", 1000, 0.37, { voided: true })
    ])
    expect(summary.byContract).toEqual([
      {
        contractId: "A",
        realizedPnl: 12.5,
        fees: 0.74,
        commissions: 0,
        netPnl: 11.76,
        fills: 2,
        closingFills: 1,
        volume: 2
      },
      {
        contractId: "B",
        realizedPnl: -25,
        fees: 2.8,
        commissions: 0.5,
        netPnl: -28.3,
        fills: 2,
        closingFills: 1,
        volume: 4
      }
    ])
    expect(summary).toMatchObject({ realizedPnl: -12.5, fees: 3.54, netPnl: -16.54, fills: 4, voided: 1 })
  })

  it.effect("summary reads the window's fills", () => {
    const fake = makeFake({ trades: [fill("A", null, 1), fill("A", 10, 1)] })
    return Effect.gen(function* () {
      const trades = yield* Trades
      expect((yield* trades.summary()).netPnl).toBe(8)
    }).pipe(Effect.provide(tradingLayer(fake)))
  })
})
