// TradingState over the real user hub against the simulator: a hub that loses events in the middle of fills
// is repaired from REST with the repair explained by kind, and 100 random trading steps each settle to
// exactly REST's state from events alone. The market clock is fixed: only the test moves prices.
import { describe, expect, it } from "@effect/vitest"
import { OrderStatus } from "@projectx-effect/gateway"
import { Effect, Layer, Schedule } from "effect"
import * as fc from "fast-check"
import { Instruments } from "../src/market/Instruments.ts"
import { liveOrders, TradingState } from "../src/state/TradingState.ts"
import { Orders, roundToTick } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import type { Simulator } from "@projectx-effect/simulator"
import { adminDo, MAIN_ACCOUNT, realtimeSim } from "./support/realtimeSim.ts"

const simLayer = (maxFillPerStep: number) =>
  TradingState.layer({ accountId: MAIN_ACCOUNT }).pipe(
    Layer.provideMerge(
      realtimeSim({
        sim: { clock: { mode: "fixed", start: Date.now() }, maxFillPerStep },
        realtime: { reconnect: { base: "20 millis", cap: "200 millis" } }
      })
    )
  )

/** REST's view and the state's, in the same terms: live orders with status and fill, positions, balance. */
const views = Effect.gen(function* () {
  const orders = yield* Orders
  const live = yield* orders.query({
    accountId: MAIN_ACCOUNT,
    statuses: [OrderStatus.Open, OrderStatus.Suspended, OrderStatus.Pending, OrderStatus.PendingCancellation]
  })
  const open = yield* (yield* Positions).searchOpen(MAIN_ACCOUNT)
  const account = (yield* adminDo((a) => a.accounts())).find((a) => a.id === MAIN_ACCOUNT)
  const s = yield* (yield* TradingState).snapshot
  const order = (o: {
    id: number
    status: number
    fillVolume?: number
    size: number
    limitPrice?: number | null
    stopPrice?: number | null
  }) => `${o.id}:${o.status}:${o.fillVolume ?? 0}/${o.size}:${o.limitPrice ?? ""}:${o.stopPrice ?? ""}`
  const position = (p: { contractId: string; type: number; size: number; averagePrice: number }) =>
    `${p.contractId}:${p.type}:${p.size}:${p.averagePrice}`
  return {
    rest: {
      live: live.map(order).sort(),
      positions: open.map(position).sort(),
      balance: account?.balance
    },
    state: {
      live: liveOrders(s).map(order).sort(),
      positions: [...s.positions.values()].map(position).sort(),
      balance: s.account?.balance
    }
  }
})

/** Polls until the state equals REST (events take a moment to arrive); fails with both views if it never does. */
const settled = (what: string) =>
  Effect.gen(function* () {
    let last = yield* views
    for (let i = 0; i < 500 && JSON.stringify(last.rest) !== JSON.stringify(last.state); i++) {
      yield* Effect.sleep("20 millis")
      last = yield* views
    }
    expect(last.state, what).toEqual(last.rest)
  })

const mnq = Effect.gen(function* () {
  const contract = yield* (yield* Instruments).resolve("MNQ")
  const m = yield* adminDo((a) => a.market(contract.id))
  return { contract, last: m.lastPrice as number, tick: contract.tickSize }
})

describe("TradingState over the user hub", () => {
  it.live(
    "the hub loses events in the middle of fills: after reconnect the state equals REST, and the divergences say what was repaired",
    () =>
      Effect.gen(function* () {
        const state = yield* TradingState
        const orders = yield* Orders
        const { contract, last, tick } = yield* mnq
        yield* orders.place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        const limit = yield* orders.place({
          type: "limit",
          contractId: contract.id,
          side: "buy",
          size: 3,
          limitPrice: roundToTick(last - 4 * tick, tick)
        })
        yield* settled("before the fault")
        expect((yield* state.divergences).total).toBe(0)

        // The hub goes deaf (events dropped, pings go on); the limit fills in two steps meanwhile.
        yield* adminDo((a) => a.setHubs({ frozen: true }))
        yield* adminDo((a) => a.setPrice(contract.id, roundToTick(last - 6 * tick, tick)))
        yield* adminDo((a) => a.advanceClock(1000))
        const filled = yield* orders.byId(limit.orderId, MAIN_ACCOUNT)
        expect(filled.status).toBe(OrderStatus.Filled)
        // Then the connection drops and comes back: the SDK reconnects and re-synchronises.
        yield* adminDo((a) => a.setHubs({ frozen: false }))
        yield* adminDo((a) => a.dropHubConnections({ hub: "user" }))
        yield* settled("after the reconnect")
        // The state's own REST re-synchronisation after the reconnect (the hub layer's backfill may repair first).
        yield* state.divergences.pipe(
          Effect.repeat({ until: (r) => r.resyncs >= 2, schedule: Schedule.spaced("20 millis") }),
          Effect.timeout("20 seconds")
        )
        yield* settled("after the re-synchronisation")
        const report = yield* state.divergences
        // What the hub never said: the limit's fills (phase), the position's new size, the balance after fees.
        expect(report.byKind.OrderPhase ?? 0).toBeGreaterThanOrEqual(1)
        expect(report.byKind.PositionFields ?? 0).toBeGreaterThanOrEqual(1)
        expect(report.byKind.Balance ?? 0).toBeGreaterThanOrEqual(1)
        // Each repair is counted once, whether the backfill or the re-synchronisation found it first.
        expect(report.recent.filter((d) => d.kind === "OrderPhase" && d.key === String(limit.orderId))).toHaveLength(1)
      }).pipe(Effect.provide(simLayer(2))),
    90_000
  )

  type Step =
    | {
        readonly _tag: "limit"
        readonly buy: boolean
        readonly away: number
        readonly size: number
        readonly bracket: boolean
      }
    | { readonly _tag: "market"; readonly buy: boolean; readonly size: number; readonly bracket: boolean }
    | { readonly _tag: "modify"; readonly pick: number; readonly ticks: number }
    | { readonly _tag: "cancel"; readonly pick: number }
    | { readonly _tag: "move"; readonly ticks: number }
    | { readonly _tag: "time" }
    | { readonly _tag: "close"; readonly partial: boolean }

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      _tag: fc.constant("limit" as const),
      buy: fc.boolean(),
      away: fc.integer({ min: 1, max: 6 }),
      size: fc.integer({ min: 1, max: 3 }),
      bracket: fc.boolean()
    }),
    fc.record({
      _tag: fc.constant("market" as const),
      buy: fc.boolean(),
      size: fc.integer({ min: 1, max: 2 }),
      bracket: fc.boolean()
    }),
    fc.record({ _tag: fc.constant("modify" as const), pick: fc.nat(), ticks: fc.integer({ min: -2, max: 2 }) }),
    fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }),
    fc.record({ _tag: fc.constant("move" as const), ticks: fc.integer({ min: -8, max: 8 }) }),
    fc.constant({ _tag: "time" as const }),
    fc.record({ _tag: fc.constant("close" as const), partial: fc.boolean() })
  )

  it.live(
    "100 random steps (place, modify, cancel, partial and full fills, brackets, closes): after each, the state equals REST",
    () =>
      Effect.gen(function* () {
        const state = yield* TradingState
        const orders = yield* Orders
        const positions = yield* Positions
        const { contract, tick } = yield* mnq
        const steps = fc.sample(fc.array(step, { minLength: 100, maxLength: 100 }), { seed: 2026, numRuns: 1 })[0]!
        const price = () => adminDo((a) => a.market(contract.id)).pipe(Effect.map((m) => m.lastPrice as number))
        for (const [i, s] of steps.entries()) {
          const live = liveOrders(yield* state.snapshot).filter((o) => o.status === OrderStatus.Open)
          const target = live.length === 0 ? undefined : live[("pick" in s ? s.pick : 0) % live.length]
          const act: Effect.Effect<unknown, unknown, Simulator.Simulator> =
            s._tag === "limit"
              ? Effect.flatMap(price(), (p) =>
                  orders.place({
                    type: "limit",
                    contractId: contract.id,
                    side: s.buy ? "buy" : "sell",
                    size: s.size,
                    limitPrice: roundToTick(p + (s.buy ? -s.away : s.away) * tick, tick),
                    ...(s.bracket ? { stopLoss: { ticks: s.buy ? -8 : 8 }, takeProfit: { ticks: s.buy ? 8 : -8 } } : {})
                  })
                )
              : s._tag === "market"
                ? orders.place({
                    type: "market",
                    contractId: contract.id,
                    side: s.buy ? "buy" : "sell",
                    size: s.size,
                    ...(s.bracket ? { stopLoss: { ticks: s.buy ? -8 : 8 }, takeProfit: { ticks: s.buy ? 8 : -8 } } : {})
                  })
                : s._tag === "modify" && target !== undefined && (target.limitPrice != null || target.stopPrice != null)
                  ? orders.modify({
                      orderId: target.id,
                      accountId: MAIN_ACCOUNT,
                      contractId: contract.id,
                      ...(target.limitPrice != null
                        ? { limitPrice: roundToTick(target.limitPrice + s.ticks * tick, tick) }
                        : { stopPrice: roundToTick(target.stopPrice! + s.ticks * tick, tick) })
                    })
                  : s._tag === "cancel" && target !== undefined
                    ? orders.cancel(target.id, { accountId: MAIN_ACCOUNT })
                    : s._tag === "move"
                      ? adminDo((a) => a.nudgePrice(contract.id, s.ticks))
                      : s._tag === "time"
                        ? adminDo((a) => a.advanceClock(1000))
                        : s._tag === "close"
                          ? s.partial
                            ? positions.partialClose(contract.id, 1, { accountId: MAIN_ACCOUNT })
                            : positions.close(contract.id, { accountId: MAIN_ACCOUNT })
                          : Effect.void
          // Refusals (a modify on an order that just filled, a close with no position) are steps too.
          yield* Effect.result(act)
          yield* settled(`step ${i}: ${JSON.stringify(s)}`)
        }
        const report = yield* state.divergences
        // The hub never failed: events alone kept the state right, REST had nothing to repair.
        expect(report.total).toBe(0)
        expect(report.backwards).toBe(0)
        const placed = (yield* orders.query({ accountId: MAIN_ACCOUNT })).length
        expect(placed).toBeGreaterThan(30)
      }).pipe(Effect.provide(simLayer(1))),
    180_000
  )
})
