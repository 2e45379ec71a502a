// The market hub's tick path against the bars it is derived from, without sockets: for any second and
// any rate, the points walk the second's bar, and the prints alone aggregate to exactly its REST bar.
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { contractFor } from "../src/internal/Contracts.ts"
import { FeedState, type Point, pointsOf } from "../src/internal/hubs/MarketFeed.ts"
import { Agg, type Block, Market } from "../src/internal/Market.ts"

const market = new Market({ seed: 42, historyStartMs: Date.parse("2025-01-01T00:00:00Z"), tradingHours: "cme" })
const mnq = contractFor(0, 2025 * 4 + 3)
const wednesday = Date.parse("2025-11-19T00:00:00Z") / 1000

/** The bar of a run of prints, as a client builds it. */
const printsBar = (prints: ReadonlyArray<Point>) => ({
  o: prints[0]!.ticks,
  h: Math.max(...prints.map((p) => p.ticks)),
  l: Math.min(...prints.map((p) => p.ticks)),
  c: prints.at(-1)!.ticks,
  v: prints.reduce((sum, p) => sum + p.volume, 0)
})

describe("market feed", () => {
  it("walks every second's bar: inside its range, through its extremes, ending on its close, its prints the bar", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_399 }), fc.integer({ min: 1, max: 50 }), (offset, n) => {
        const sec = wednesday + offset
        if (!market.isOpen(sec * 1000)) {
          // the daily halt
          expect(pointsOf(market, mnq, sec, n)).toEqual([])
          return
        }
        const blocks: Array<Block> = []
        market.forEachBlock(mnq, sec, sec + 1, (b) => blocks.push(b))
        const [bar] = blocks
        const points = pointsOf(market, mnq, sec, n)
        expect(points).toHaveLength(Math.max(4, n))
        const ticks = points.map((p) => p.ticks)
        expect(ticks[0]).toBe(bar!.o)
        expect(Math.max(...ticks)).toBe(bar!.h)
        expect(Math.min(...ticks)).toBe(bar!.l)
        expect(ticks.at(-1)).toBe(bar!.c)
        expect(points.every((p) => Math.floor(p.ms / 1000) === sec)).toBe(true)
        expect(points.map((p) => p.ms)).toEqual([...points.map((p) => p.ms)].sort((a, b) => a - b))
        // The prints alone are the second's REST bar; a second without trades prints nothing and has no bar.
        const rest = market.aggregate(mnq, sec, sec + 1, new Agg())
        const prints = points.filter((p) => p.volume > 0)
        if (bar!.v === 0) {
          expect(prints).toEqual([])
          expect(rest.has).toBe(false)
          expect([bar!.o, bar!.h, bar!.l]).toEqual([bar!.c, bar!.c, bar!.c])
          return
        }
        expect(printsBar(prints)).toEqual({ o: rest.o, h: rest.h, l: rest.l, c: rest.c, v: rest.v })
      }),
      { numRuns: 300 }
    )
  })

  it("prints a tape whose bars are the REST minutes, thin and busy contracts alike", () => {
    // MNQ in the cash session, YM (the thinnest) overnight: every minute, aggregated from prints at 4 a
    // second, equals the market's minute bar.
    const ym = contractFor(4, 2025 * 4 + 3)
    for (const [contract, from] of [
      [mnq, Date.parse("2025-11-19T15:00:00Z") / 1000],
      [ym, Date.parse("2025-11-19T03:00:00Z") / 1000]
    ] as const) {
      let quiet = 0
      for (let minute = from; minute < from + 30 * 60; minute += 60) {
        const prints: Array<Point> = []
        for (let sec = minute; sec < minute + 60; sec++) {
          const points = pointsOf(market, contract, sec, 4)
          if (!points.some((p) => p.volume > 0)) quiet++
          prints.push(...points.filter((p) => p.volume > 0))
        }
        const rest = market.aggregate(contract, minute, minute + 60, new Agg())
        expect(printsBar(prints)).toEqual({ o: rest.o, h: rest.h, l: rest.l, c: rest.c, v: rest.v })
      }
      // Only a thin market has seconds without a trade.
      if (contract === ym) expect(quiet).toBeGreaterThan(0)
      else expect(quiet).toBe(0)
    }
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
