import { describe, expect, it } from "@effect/vitest"
import { AggregateBarUnit } from "@projectx-effect/gateway"
import * as fc from "fast-check"
import {
  BarAggregator,
  type BarUpdate,
  joinHistory,
  type LiveBar,
  slotOf
} from "../src/state/internal/barAggregator.ts"

const T0 = Date.UTC(2025, 10, 19, 15, 30) // a Wednesday

interface Print {
  readonly price: number
  readonly volume: number
  readonly ms: number
}

/** The obvious aggregation: group prints by slot, in time order. */
const expectedBars = (prints: ReadonlyArray<Print>, unit: number, n: number): Array<LiveBar> => {
  const bySlot = new Map<number, Array<Print>>()
  for (const p of prints) {
    const [start] = slotOf(unit, n, p.ms)
    bySlot.set(start, [...(bySlot.get(start) ?? []), p])
  }
  return [...bySlot]
    .sort((a, b) => a[0] - b[0])
    .map(([start, ps]) => ({
      t: new Date(start),
      o: ps[0]!.price,
      h: Math.max(...ps.map((p) => p.price)),
      l: Math.min(...ps.map((p) => p.price)),
      c: ps.at(-1)!.price,
      v: ps.reduce((s, p) => s + p.volume, 0)
    }))
}

const closedOf = (updates: ReadonlyArray<BarUpdate>) => updates.filter((u) => u._tag === "Closed").map((u) => u.bar)

const prints = fc
  .array(
    fc.record({
      price: fc.integer({ min: 0, max: 40 }).map((t) => 21000 + t * 0.25),
      volume: fc.integer({ min: 1, max: 9 }),
      gap: fc.integer({ min: 0, max: 50_000 })
    }),
    { minLength: 1, maxLength: 200 }
  )
  .map((xs) => {
    let ms = T0
    return xs.map(({ price, volume, gap }) => {
      ms += gap
      return { price, volume, ms }
    })
  })

describe("slotOf", () => {
  it("aligns slots as History/retrieveBars does: UTC seconds to days, weeks from Monday, calendar months", () => {
    expect(slotOf(AggregateBarUnit.Minute, 5, T0 + 7 * 60_000 + 1)).toEqual([T0 + 5 * 60_000, T0 + 10 * 60_000])
    expect(slotOf(AggregateBarUnit.Hour, 1, T0)).toEqual([T0 - 30 * 60_000, T0 + 30 * 60_000])
    const monday = Date.UTC(2025, 10, 17)
    expect(slotOf(AggregateBarUnit.Week, 1, T0)).toEqual([monday, monday + 7 * 86_400_000])
    expect(slotOf(AggregateBarUnit.Month, 1, T0)).toEqual([Date.UTC(2025, 10, 1), Date.UTC(2025, 11, 1)])
    expect(() => slotOf(AggregateBarUnit.Tick, 1, T0)).toThrow(RangeError)
  })
})

describe("BarAggregator", () => {
  it("emits the partial bar on every print, and the closed bar when a print opens the next slot or time passes", () => {
    const agg = new BarAggregator(AggregateBarUnit.Minute, 1)
    expect(agg.push(100, 1, T0 + 1000)).toEqual([
      { _tag: "Partial", bar: { t: new Date(T0), o: 100, h: 100, l: 100, c: 100, v: 1 } }
    ])
    expect(agg.push(101, 2, T0 + 2000)[0]!.bar).toMatchObject({ h: 101, c: 101, v: 3 })
    const next = agg.push(99, 1, T0 + 61_000)
    expect(next.map((u) => u._tag)).toEqual(["Closed", "Partial"])
    expect(next[0]!.bar).toEqual({ t: new Date(T0), o: 100, h: 101, l: 100, c: 101, v: 3 })
    expect(agg.tick(T0 + 119_999)).toEqual([])
    expect(agg.tick(T0 + 120_000)).toEqual([
      { _tag: "Closed", bar: { t: new Date(T0 + 60_000), o: 99, h: 99, l: 99, c: 99, v: 1 } }
    ])
    // A print for a slot already closed is late: dropped and counted, never a second bar for that slot.
    expect(agg.push(98, 1, T0 + 90_000)).toEqual([])
    expect(agg.late).toBe(1)
  })

  it("aggregates any prints into exactly the bars of their slots, for every unit", () => {
    fc.assert(
      fc.property(
        prints,
        fc.constantFrom(AggregateBarUnit.Second, AggregateBarUnit.Minute, AggregateBarUnit.Hour, AggregateBarUnit.Day),
        fc.integer({ min: 1, max: 15 }),
        (ps, unit, n) => {
          const agg = new BarAggregator(unit, n)
          const updates = ps.flatMap((p) => agg.push(p.price, p.volume, p.ms))
          const bars = [...closedOf(updates), ...closedOf(agg.tick(Number.MAX_SAFE_INTEGER))]
          expect(bars).toEqual(expectedBars(ps, unit, n))
        }
      ),
      { seed: 3, numRuns: 300 }
    )
  })

  it("joined to REST history at any seam: no slot missing, none twice, and the seam bar whole", () => {
    fc.assert(
      fc.property(prints, fc.nat(), fc.integer({ min: 1, max: 5 }), (ps, cut, n) => {
        const unit = AggregateBarUnit.Minute
        const all = expectedBars(ps, unit, n)
        // REST answered at `seamMs`: the slots that ended before it are history, the one in progress partial.
        const seamMs = ps[cut % ps.length]!.ms + 1
        const [slotStart] = slotOf(unit, n, seamMs)
        const history = expectedBars(
          ps.filter((p) => p.ms < slotStart),
          unit,
          n
        )
        const partial = expectedBars(
          ps.filter((p) => p.ms >= slotStart && p.ms < seamMs),
          unit,
          n
        )[0]
        const agg = new BarAggregator(unit, n)
        agg.seed(history, partial, seamMs)
        // The live feed began earlier than the REST call: it repeats prints REST already counted.
        const updates = ps.flatMap((p) => agg.push(p.price, p.volume, p.ms))
        const live = [...closedOf(updates), ...closedOf(agg.tick(Number.MAX_SAFE_INTEGER))]
        expect([...history, ...live]).toEqual(all)
      }),
      { seed: 11, numRuns: 300 }
    )
  })
  it("joined as LiveBars joins it, with the client's clock up to a slot off the server's: every bar exact", () => {
    fc.assert(
      fc.property(
        prints,
        fc.nat(),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: -59_999, max: 59_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        (ps, cut, n, skew, lead) => {
          const unit = AggregateBarUnit.Minute
          const all = expectedBars(ps, unit, n)
          // The server answers REST at `serverMs`; the subscription began `lead` ms before; the client's
          // clock reads `serverMs + skew`. REST returns what it has up to one slot past the client's.
          const serverMs = ps[cut % ps.length]!.ms + 1
          const nowMs = serverMs + skew
          const [, clientEnd] = slotOf(unit, n, nowMs)
          const requestEnd = slotOf(unit, n, clientEnd)[1]
          const rows = expectedBars(
            ps.filter((p) => p.ms < serverMs),
            unit,
            n
          ).filter((b) => b.t.getTime() < requestEnd)
          const join = joinHistory(unit, n, rows, nowMs)
          const agg = new BarAggregator(unit, n)
          agg.seed(join.closed, join.partial, join.cutoffMs)
          const received = ps.filter((p) => p.ms >= serverMs - lead)
          const updates = received.flatMap((p) => agg.push(p.price, p.volume, p.ms))
          // The seam slot's closed bar is REST's, read once it has closed.
          const live = [...closedOf(updates), ...closedOf(agg.tick(Number.MAX_SAFE_INTEGER))].map((bar) =>
            bar.t.getTime() === join.seam ? all.find((b) => b.t.getTime() === join.seam)! : bar
          )
          expect([...join.closed, ...live]).toEqual(all)
        }
      ),
      { seed: 17, numRuns: 500 }
    )
  })
})
