import { describe, expect, it } from "@effect/vitest"
import { DomType } from "@projectx-effect/gateway"
import * as fc from "fast-check"
import { type DepthEntryLike, L2Book, type Level } from "../src/state/internal/l2Book.ts"

/** The obvious book: two maps, sorted on read. What L2Book must equal (up to its bound). */
const reference = (entries: ReadonlyArray<DepthEntryLike>) => {
  const bids = new Map<number, number>()
  const asks = new Map<number, number>()
  const set = (side: Map<number, number>, price: number, volume: number) =>
    volume > 0 ? side.set(price, volume) : side.delete(price)
  for (const e of entries) {
    if (e.type === DomType.Bid) set(bids, e.price, e.volume)
    else if (e.type === DomType.Ask) set(asks, e.price, e.volume)
    else if (e.type === DomType.BestBid || e.type === DomType.NewBestBid) {
      for (const p of [...bids.keys()]) if (p > e.price) bids.delete(p)
      set(bids, e.price, e.volume)
    } else if (e.type === DomType.BestAsk || e.type === DomType.NewBestAsk) {
      for (const p of [...asks.keys()]) if (p < e.price) asks.delete(p)
      set(asks, e.price, e.volume)
    } else if (e.type === DomType.Reset) {
      bids.clear()
      asks.clear()
    }
  }
  const levels = (side: Map<number, number>, descending: boolean): Array<Level> =>
    [...side].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0])).map(([price, volume]) => ({ price, volume }))
  return { bids: levels(bids, true), asks: levels(asks, false) }
}

const entry = fc.record({
  type: fc.constantFrom(1, 1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
  price: fc.integer({ min: 0, max: 80 }).map((t) => 21000 + t * 0.25),
  volume: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 }))
})

describe("L2Book", () => {
  it("applies levels, removals at volume 0, new bests, prints, session extremes and resets", () => {
    const book = new L2Book()
    book.applyAll([
      { type: DomType.Reset, price: 0, volume: 0 },
      { type: DomType.Bid, price: 100, volume: 5 },
      { type: DomType.Bid, price: 99.75, volume: 7 },
      { type: DomType.Ask, price: 100.25, volume: 4 },
      { type: DomType.Ask, price: 100.5, volume: 9 },
      { type: DomType.Trade, price: 100.25, volume: 2 },
      { type: DomType.Low, price: 98, volume: 0 },
      { type: DomType.High, price: 101, volume: 0 }
    ])
    expect(book.bestBid).toEqual({ price: 100, volume: 5 })
    expect(book.bestAsk).toEqual({ price: 100.25, volume: 4 })
    book.apply({ type: DomType.Ask, price: 100.25, volume: 0 })
    expect(book.bestAsk).toEqual({ price: 100.5, volume: 9 })
    book.apply({ type: DomType.NewBestBid, price: 99.75, volume: 8 })
    const view = book.view()
    expect(view.bids).toEqual([{ price: 99.75, volume: 8 }])
    expect(view).toMatchObject({ lastTrade: { price: 100.25, volume: 2 }, sessionLow: 98, sessionHigh: 101 })
    book.apply({ type: DomType.Reset, price: 0, volume: 0 })
    expect(book.view()).toMatchObject({ bids: [], asks: [], bestBid: undefined, resets: 2, updates: 11 })
  })

  it("equals the obvious two-map book on any sequence of entries", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 400 }), (entries) => {
        const book = new L2Book(1000)
        book.applyAll(entries)
        const view = book.view()
        const expected = reference(entries)
        expect({ bids: view.bids, asks: view.asks }).toEqual(expected)
        expect(view.bestBid).toEqual(expected.bids[0])
        expect(view.bestAsk).toEqual(expected.asks[0])
      }),
      { seed: 82, numRuns: 300 }
    )
  })

  it("keeps only the best `maxLevels` per side, counting what it drops", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (entries, max) => {
        const bounded = new L2Book(max)
        bounded.applyAll(entries)
        const view = bounded.view()
        expect(view.bids.length).toBeLessThanOrEqual(max)
        expect(view.asks.length).toBeLessThanOrEqual(max)
        // Every kept level is a level of the unbounded book (a bound may forget, never invent).
        const full = reference(entries)
        for (const level of view.bids) expect(full.bids).toContainEqual(level)
        for (const level of view.asks) expect(full.asks).toContainEqual(level)
      }),
      { seed: 6, numRuns: 200 }
    )
    const book = new L2Book(2)
    for (let i = 0; i < 5; i++) book.apply({ type: DomType.Bid, price: 100 - i, volume: 1 })
    expect(book.view().bids.map((l) => l.price)).toEqual([100, 99])
    expect(book.dropped).toBe(3)
    book.apply({ type: DomType.Bid, price: 101, volume: 1 })
    expect(book.view().bids.map((l) => l.price)).toEqual([101, 100])
  })
})
