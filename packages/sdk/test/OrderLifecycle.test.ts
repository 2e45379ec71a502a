import { describe, expect, it } from "@effect/vitest"
import { type Order, OrderStatus } from "@projectx-effect/gateway"
import * as fc from "fast-check"
import { check, isLive, isTerminal, Phase, phaseOf } from "../src/state/OrderLifecycle.ts"
import { at, order } from "./support/stateFixtures.ts"

describe("phaseOf", () => {
  it("maps every Gateway status, with fillVolume splitting Working from PartiallyFilled", () => {
    const cases: Array<[number, number, Phase]> = [
      [OrderStatus.None, 0, Phase.Unknown],
      [OrderStatus.Pending, 0, Phase.Submitted],
      [OrderStatus.Suspended, 0, Phase.Submitted],
      [OrderStatus.Open, 0, Phase.Working],
      [OrderStatus.Open, 1, Phase.PartiallyFilled],
      [OrderStatus.PendingCancellation, 0, Phase.Working],
      [OrderStatus.PendingCancellation, 1, Phase.PartiallyFilled],
      [OrderStatus.Filled, 2, Phase.Filled],
      [OrderStatus.Cancelled, 1, Phase.Cancelled],
      [OrderStatus.Expired, 0, Phase.Expired],
      [OrderStatus.Rejected, 0, Phase.Rejected]
    ]
    for (const [status, fillVolume, phase] of cases) {
      expect(phaseOf({ status: status as OrderStatus, fillVolume })).toBe(phase)
    }
    expect([Phase.Filled, Phase.Cancelled, Phase.Rejected, Phase.Expired].every(isTerminal)).toBe(true)
    expect([Phase.Submitted, Phase.Working, Phase.PartiallyFilled].every(isLive)).toBe(true)
    expect(isLive(Phase.Unknown) || isTerminal(Phase.Unknown)).toBe(false)
  })
})

describe("check", () => {
  it("applies forward moves: a bracket child Suspended → Open → partly filled → Filled", () => {
    const suspended = order({ id: 7, status: OrderStatus.Suspended, type: 4, stopPrice: 20990, limitPrice: null })
    const open = { ...suspended, status: OrderStatus.Open, updateTimestamp: at(1) }
    const partly = { ...open, fillVolume: 1, updateTimestamp: at(2) }
    const filled = { ...partly, status: OrderStatus.Filled, fillVolume: 2, filledPrice: 20990, updateTimestamp: at(3) }
    expect(check(undefined, suspended)).toEqual({ _tag: "Apply", from: undefined, to: Phase.Submitted })
    expect(check(suspended, open)).toEqual({ _tag: "Apply", from: Phase.Submitted, to: Phase.Working })
    expect(check(open, partly)).toEqual({ _tag: "Apply", from: Phase.Working, to: Phase.PartiallyFilled })
    expect(check(partly, filled)).toEqual({ _tag: "Apply", from: Phase.PartiallyFilled, to: Phase.Filled })
    expect(check(filled, filled)._tag).toBe("Duplicate")
  })

  it("refuses what would go backwards: a late Open after Filled, a child back to Suspended, unfilled contracts", () => {
    const open = order({ id: 8, updateTimestamp: at(1) })
    const filled = { ...open, status: OrderStatus.Filled, fillVolume: 2, updateTimestamp: at(2) }
    expect(check(filled, open)).toMatchObject({ _tag: "Backwards", from: Phase.Filled, to: Phase.Working })
    const cancelled = { ...open, status: OrderStatus.Cancelled, updateTimestamp: at(3) }
    expect(check(filled, cancelled)).toMatchObject({ _tag: "Backwards", reason: "fillVolume 2 → 0" })
    expect(check({ ...cancelled, fillVolume: 2 }, filled)).toMatchObject({
      _tag: "Backwards",
      reason: "Cancelled is terminal"
    })
    const suspended = { ...open, status: OrderStatus.Suspended }
    expect(check(open, suspended)).toMatchObject({ _tag: "Backwards", from: Phase.Working, to: Phase.Submitted })
    const partly = { ...open, fillVolume: 1 }
    expect(check(partly, open)).toMatchObject({ _tag: "Backwards" })
  })

  it("within a phase, an older updateTimestamp (a reordered modify) is refused and a newer one applied", () => {
    const v1 = order({ id: 9, limitPrice: 21000, updateTimestamp: at(1) })
    const v2 = { ...v1, limitPrice: 21001, updateTimestamp: at(2) }
    expect(check(v1, v2)._tag).toBe("Apply")
    expect(check(v2, v1)).toMatchObject({ _tag: "Backwards", reason: "an older updateTimestamp" })
  })

  it("an Unknown order accepts whatever REST or the events say next", () => {
    const none = order({ id: 10, status: OrderStatus.None })
    expect(check(none, order({ id: 10, status: OrderStatus.Pending }))._tag).toBe("Apply")
  })

  it("the last version of a path always wins, whatever order its versions arrive in", () => {
    // A random order path with strictly increasing timestamps; deliver a shuffle; keep applying.
    const path = fc
      .record({
        fills: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }),
        modifies: fc.integer({ min: 0, max: 3 }),
        end: fc.constantFrom(OrderStatus.Filled, OrderStatus.Cancelled, OrderStatus.Expired, OrderStatus.Open)
      })
      .map(({ fills, modifies, end }) => {
        const size = fills.reduce((a, b) => a + b, 0) + 1
        let minute = 0
        let v = order({ id: 1, status: OrderStatus.Pending, size, updateTimestamp: at(minute++) })
        const versions: Array<Order> = [v]
        v = { ...v, status: OrderStatus.Open, updateTimestamp: at(minute++) }
        versions.push(v)
        for (let i = 0; i < modifies; i++) {
          v = { ...v, limitPrice: (v.limitPrice ?? 0) + 1, updateTimestamp: at(minute++) }
          versions.push(v)
        }
        for (const f of fills) {
          v = { ...v, fillVolume: (v.fillVolume ?? 0) + f, updateTimestamp: at(minute++) }
          versions.push(v)
        }
        if (end === OrderStatus.Filled) v = { ...v, status: end, fillVolume: size, updateTimestamp: at(minute++) }
        else if (end !== OrderStatus.Open) v = { ...v, status: end, updateTimestamp: at(minute++) }
        versions.push(v)
        return versions
      })
    fc.assert(
      fc.property(
        path.chain((versions) =>
          fc.tuple(fc.constant(versions), fc.shuffledSubarray(versions, { minLength: versions.length }))
        ),
        ([versions, delivered]) => {
          let held: Order | undefined
          for (const next of delivered) if (check(held, next)._tag === "Apply") held = next
          expect(held).toEqual(versions.at(-1))
        }
      ),
      { seed: 17, numRuns: 300 }
    )
  })
})
