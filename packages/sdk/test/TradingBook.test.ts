import { describe, expect, it } from "@effect/vitest"
import { type Order, OrderStatus, type Position, type TradingAccount } from "@projectx-effect/gateway"
import * as fc from "fast-check"
import { Phase } from "../src/state/OrderLifecycle.ts"
import {
  apply,
  byTag,
  empty,
  liveOrders,
  reconcile,
  type RestSnapshot,
  submitted,
  type TradingSnapshot,
  type UserEvent,
  unknown
} from "../src/state/internal/tradingBook.ts"
import { ACCOUNT, account, at, MNQ, order, position, T0 } from "./support/stateFixtures.ts"

const applyAll = (s: TradingSnapshot, events: ReadonlyArray<UserEvent>) =>
  events.reduce((acc, event) => apply(acc, event).state, s)

describe("tradingBook.apply", () => {
  it("builds orders, positions and balance from events; a flat position (size 0) removes it", () => {
    const s = applyAll(empty(ACCOUNT), [
      { _tag: "Order", order: order({ id: 1, status: OrderStatus.Pending, type: 2, limitPrice: null }) },
      { _tag: "Order", order: order({ id: 1, status: OrderStatus.Filled, type: 2, limitPrice: null, fillVolume: 2 }) },
      { _tag: "Position", position: position({ id: 5, size: 2 }) },
      { _tag: "Account", account: account(49_998.6) }
    ])
    expect(s.orders.get(1)?.phase).toBe(Phase.Filled)
    expect(s.positions.get(MNQ)?.size).toBe(2)
    expect(s.account?.balance).toBe(49_998.6)
    const flat = apply(s, { _tag: "Position", position: position({ id: 5, size: 0 }) }).state
    expect(flat.positions.size).toBe(0)
  })

  it("a late flat announcement of the row before a flip leaves the new row open", () => {
    const s = applyAll(empty(ACCOUNT), [
      { _tag: "Position", position: position({ id: 5, size: 1, type: 1 }) },
      { _tag: "Position", position: position({ id: 6, size: 1, type: 2 }) }
    ])
    const after = apply(s, { _tag: "Position", position: position({ id: 5, size: 0 }) })
    expect(after.result).toMatchObject({ _tag: "Ignored" })
    expect(after.state.positions.get(MNQ)?.id).toBe(6)
  })

  it("reports a backwards event and leaves the order as it was; other accounts' events are ignored", () => {
    const filled = order({ id: 3, status: OrderStatus.Filled, fillVolume: 2, updateTimestamp: at(2) })
    const s = apply(empty(ACCOUNT), { _tag: "Order", order: filled }).state
    const late = apply(s, { _tag: "Order", order: order({ id: 3, status: OrderStatus.Open, updateTimestamp: at(1) }) })
    expect(late.result).toMatchObject({ _tag: "Backwards", orderId: 3, from: Phase.Filled, to: Phase.Working })
    expect(late.state.orders.get(3)?.order).toBe(filled)
    const other = apply(s, { _tag: "Order", order: order({ id: 4, accountId: 99 }) })
    expect(other.result).toMatchObject({ _tag: "Ignored", reason: "another account" })
  })

  it("a placement is Submitted until its tag appears; Unknown is settled by the tag (events or REST)", () => {
    let s = submitted(empty(ACCOUNT), "px-a", T0)
    s = unknown(s, "px-a")
    expect(s.placements.get("px-a")?.phase).toBe(Phase.Unknown)
    s = apply(s, { _tag: "Order", order: order({ id: 11, customTag: "px-a" }) }).state
    expect(s.placements.size).toBe(0)
    expect(byTag(s, "px-a")?.order.id).toBe(11)

    const lost = unknown(submitted(empty(ACCOUNT), "px-b", T0), "px-b")
    const found = reconcile(
      lost,
      { account: undefined, orders: [order({ id: 12, customTag: "px-b" })], positions: [] },
      T0
    )
    expect(found.divergences.map((d) => d.kind)).toEqual(["OrderMissing", "PlacementFound"])
    const absent = reconcile(lost, { account: undefined, orders: [], positions: [] }, T0 + 120_000)
    expect(absent.divergences.map((d) => d.kind)).toEqual(["PlacementAbsent"])
    expect(absent.state.placements.size).toBe(0)
  })
})

describe("tradingBook.reconcile", () => {
  it("names what the events missed, kind by kind, and takes REST's word", () => {
    const s = applyAll(empty(ACCOUNT), [
      { _tag: "Account", account: account(50_000) },
      { _tag: "Order", order: order({ id: 1 }) },
      { _tag: "Order", order: order({ id: 2, limitPrice: 20990 }) },
      { _tag: "Order", order: order({ id: 3 }) },
      { _tag: "Position", position: position({ id: 5, size: 1 }) },
      { _tag: "Position", position: position({ id: 6, contractId: "CON.F.US.MES.Z25", size: 1 }) }
    ])
    const rest: RestSnapshot = {
      account: account(50_012.5),
      orders: [
        order({ id: 1, status: OrderStatus.Filled, fillVolume: 2 }),
        order({ id: 2, limitPrice: 20995 }),
        order({ id: 4, status: OrderStatus.Suspended, type: 4, limitPrice: null, stopPrice: 20980 })
      ],
      positions: [position({ id: 5, size: 3 })]
    }
    const { state, divergences } = reconcile(s, rest, T0)
    expect(divergences.map((d) => `${d.kind}:${d.key}`).sort()).toEqual(
      [
        "Balance:1001",
        "OrderFields:2",
        "OrderMissing:4",
        "OrderPhase:1",
        "OrderVanished:3",
        "PositionExtra:CON.F.US.MES.Z25",
        "PositionFields:CON.F.US.MNQ.Z25"
      ].sort()
    )
    expect(reconcile(state, rest, T0).divergences).toEqual([])
    expect(liveOrders(state).map((o) => o.id)).toEqual([2, 4])
  })
})

/** A random account history: order paths with increasing timestamps, position rows, balances. */
const history = fc
  .record({
    orders: fc.array(
      fc.record({
        fills: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 3 }),
        modifies: fc.integer({ min: 0, max: 2 }),
        end: fc.constantFrom(OrderStatus.Filled, OrderStatus.Cancelled, OrderStatus.Rejected, OrderStatus.Open)
      }),
      { minLength: 1, maxLength: 8 }
    ),
    positions: fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 10 }),
    balances: fc.array(fc.integer({ min: 49_000, max: 51_000 }), { minLength: 1, maxLength: 5 })
  })
  .map(({ orders, positions, balances }) => {
    const events: Array<UserEvent> = []
    const finalOrders: Array<Order> = []
    orders.forEach((p, i) => {
      const id = 100 + i
      let minute = 0
      const size = p.fills.reduce((a, b) => a + b, 0) + 1
      let v = order({ id, size, status: OrderStatus.Pending, updateTimestamp: at(minute++) })
      const push = (next: Order) => {
        v = next
        events.push({ _tag: "Order", order: v })
      }
      push(v)
      if (p.end === OrderStatus.Rejected) push({ ...v, status: OrderStatus.Rejected, updateTimestamp: at(minute++) })
      else {
        push({ ...v, status: OrderStatus.Open, updateTimestamp: at(minute++) })
        for (let k = 0; k < p.modifies; k++)
          push({ ...v, limitPrice: (v.limitPrice ?? 0) + 1, updateTimestamp: at(minute++) })
        for (const f of p.fills) push({ ...v, fillVolume: (v.fillVolume ?? 0) + f, updateTimestamp: at(minute++) })
        if (p.end === OrderStatus.Filled)
          push({ ...v, status: OrderStatus.Filled, fillVolume: size, updateTimestamp: at(minute++) })
        if (p.end === OrderStatus.Cancelled)
          push({ ...v, status: OrderStatus.Cancelled, updateTimestamp: at(minute++) })
      }
      finalOrders.push(v)
    })
    // Position rows: a signed size per step; crossing zero closes the row and opens a new one.
    let row: Position | undefined
    let nextId = 500
    for (const signed of positions) {
      if (row !== undefined && (signed === 0 || Math.sign(signed) !== (row.type === 1 ? 1 : -1))) {
        events.push({ _tag: "Position", position: { ...row, size: 0 } })
        row = undefined
      }
      if (signed !== 0) {
        row = position({
          id: row?.id ?? nextId++,
          type: signed > 0 ? 1 : 2,
          size: Math.abs(signed),
          averagePrice: 21000 + signed
        })
        events.push({ _tag: "Position", position: row })
      }
    }
    let last: TradingAccount = account(50_000)
    for (const b of balances) {
      last = account(b)
      events.push({ _tag: "Account", account: last })
    }
    const rest: RestSnapshot = { account: last, orders: finalOrders, positions: row === undefined ? [] : [row] }
    return { events, rest }
  })

/** The state says what REST says: same orders (id → record), same positions, same balance. */
const expectEqualsRest = (s: TradingSnapshot, rest: RestSnapshot) => {
  expect(new Map([...s.orders].map(([id, o]) => [id, o.order]))).toEqual(new Map(rest.orders.map((o) => [o.id, o])))
  expect(new Map(s.positions)).toEqual(new Map(rest.positions.map((p) => [p.contractId, p])))
  expect(s.account).toEqual(rest.account)
}

describe("tradingBook properties", () => {
  it("events delivered whole, with duplicates and orders' versions reordered, build exactly REST's state", () => {
    fc.assert(
      fc.property(
        history.chain(({ events, rest }) =>
          fc.tuple(
            fc.constant(rest),
            fc.constant(events),
            fc.array(fc.nat(), { minLength: events.length, maxLength: events.length })
          )
        ),
        ([rest, events, noise]) => {
          // Order events move by a random distance; positions and balances keep their order (they carry no
          // timestamp to sort them by); every fourth event is delivered twice.
          const keyed = events.map((e, i) => ({ e, key: e._tag === "Order" ? i + (noise[i]! % 7) : i }))
          const orderEvents = keyed.filter((k) => k.e._tag === "Order").sort((a, b) => a.key - b.key)
          const others = keyed.filter((k) => k.e._tag !== "Order")
          const delivered = [...orderEvents, ...others].flatMap((k, i) => (i % 4 === 0 ? [k.e, k.e] : [k.e]))
          const s = applyAll(empty(ACCOUNT), delivered)
          expectEqualsRest(s, rest)
          expect(reconcile(s, rest, T0).divergences).toEqual([])
        }
      ),
      { seed: 42, numRuns: 200 }
    )
  })

  it("events dropped at random: REST repairs the state, and divergences are reported exactly when it differed", () => {
    fc.assert(
      fc.property(
        history.chain(({ events, rest }) =>
          fc.tuple(
            fc.constant(rest),
            fc.constant(events),
            fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length })
          )
        ),
        ([rest, events, keep]) => {
          const s = applyAll(
            apply(empty(ACCOUNT), { _tag: "Account", account: account(50_000) }).state,
            events.filter((_, i) => keep[i])
          )
          const liveEqual =
            JSON.stringify(liveOrders(s)) === JSON.stringify(liveOrders(reconcile(empty(ACCOUNT), rest, T0).state)) &&
            [...s.orders.values()].every((o) => {
              const r = rest.orders.find((x) => x.id === o.order.id)
              return r !== undefined && JSON.stringify(r) === JSON.stringify(o.order)
            }) &&
            JSON.stringify([...s.positions.values()]) === JSON.stringify(rest.positions) &&
            s.account?.balance === rest.account?.balance
          const { state, divergences } = reconcile(s, rest, T0)
          expectEqualsRest(state, rest)
          // Every divergence names a real difference; no difference goes unreported.
          expect(divergences.length === 0).toBe(liveEqual)
        }
      ),
      { seed: 7, numRuns: 300 }
    )
  })
})
