// The market hub's tick path against the bars it is derived from, without sockets: for any second and
// any rate, the points stay inside the second's bar, end on its close and carry exactly its volume.
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { contractFor } from "../src/internal/Contracts.ts"
import { FeedState, pointsOf } from "../src/internal/hubs/MarketFeed.ts"
import { Agg, Market } from "../src/internal/Market.ts"

const market = new Market({ seed: 42, historyStartMs: Date.parse("2025-01-01T00:00:00Z"), tradingHours: "cme" })
const mnq = contractFor(0, 2025 * 4 + 3)
const wednesday = Date.parse("2025-11-19T00:00:00Z") / 1000

describe("market feed", () => {
  it("walks every second's bar: inside its range, through its extremes, ending on its close, with its volume", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_399 }), fc.integer({ min: 1, max: 50 }), (offset, n) => {
        const sec = wednesday + offset
        if (!market.isOpen(sec * 1000)) {
          // the daily halt
          expect(pointsOf(market, mnq, sec, n)).toEqual([])
          return
        }
        const bar = market.aggregate(mnq, sec, sec + 1, new Agg())
        const points = pointsOf(market, mnq, sec, n)
        expect(points).toHaveLength(n)
        const ticks = points.map((p) => p.ticks)
        expect(Math.max(...ticks)).toBeLessThanOrEqual(bar.h)
        expect(Math.min(...ticks)).toBeGreaterThanOrEqual(bar.l)
        expect(ticks.at(-1)).toBe(bar.c)
        if (n >= 4) expect(ticks[0]).toBe(bar.o)
        if (n >= 3) {
          expect(Math.max(...ticks)).toBe(bar.h)
          expect(Math.min(...ticks)).toBe(bar.l)
        }
        expect(points.reduce((sum, p) => sum + p.volume, 0)).toBe(bar.v)
        expect(points.every((p) => Math.floor(p.ms / 1000) === sec)).toBe(true)
        expect(points.map((p) => p.ms)).toEqual([...points.map((p) => p.ms)].sort((a, b) => a - b))
      }),
      { numRuns: 200 }
    )
  })

  it("has no points while the market is closed", () => {
    const saturday = Date.parse("2025-11-22T12:00:00Z") / 1000
    expect(pointsOf(market, mnq, saturday, 4)).toEqual([])
  })

  it("keeps session values that agree with the day's bars, and starts a new session at midnight", () => {
    const feed = new FeedState(market, mnq)
    const start = Date.parse("2025-11-19T23:59:00Z")
    expect(feed.resync(start)).toBe(true)
    for (let sec = start / 1000; sec < start / 1000 + 120; sec++)
      for (const p of pointsOf(market, mnq, sec, 4)) feed.apply(p)
    const thursday = Date.parse("2025-11-20T00:00:00Z") / 1000
    const day = market.aggregate(mnq, thursday, thursday + 60, new Agg())
    const wednesdayClose = market.lastTicks(mnq, thursday * 1000 - 1)
    const quote = feed.quote()
    expect(quote.open).toBe(feed.price(day.o))
    expect(quote.high).toBe(feed.price(day.h))
    expect(quote.low).toBe(feed.price(day.l))
    expect(quote.volume).toBe(day.v)
    expect(quote.lastPrice).toBe(feed.price(day.c))
    expect(quote.change).toBe(feed.price(day.c - wednesdayClose!))
  })
})
