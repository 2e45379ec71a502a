// TradingState over the real user hub against the simulator: a hub that loses events in the middle of fills
// is repaired from REST with the repair explained by kind, and 100 random scenarios, each from a flat account,
// settle after every step to exactly REST's state from events alone. The market clock is fixed: only the test
// moves prices and time.
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
    restOrders: live,
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

/**
 * Polls until the state equals REST (events take a moment to arrive); fails with both views if it never does.
 * Returns REST's live orders as they were when the two agreed.
 */
const settled = (what: string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 15_000
    let last = yield* views
    while (JSON.stringify(last.rest) !== JSON.stringify(last.state) && Date.now() < deadline) {
      yield* Effect.sleep("10 millis")
      last = yield* views
    }
    expect(last.state, what).toEqual(last.rest)
    return last.restOrders
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

  /** A bracket's stop and target, in ticks from the entry's fill. */
  interface Bracket {
    readonly stop: number
    readonly target: number
  }

  type Step =
    | {
        readonly _tag: "limit"
        readonly buy: boolean
        readonly away: number
        readonly size: number
        readonly bracket: Bracket | null
      }
    | {
        readonly _tag: "market"
        readonly buy: boolean
        readonly size: number
        readonly bracket: Bracket | null
      }
    | { readonly _tag: "modify"; readonly pick: number; readonly ticks: number }
    | { readonly _tag: "cancel"; readonly pick: number }
    | { readonly _tag: "move"; readonly ticks: number }
    | { readonly _tag: "time" }
    | { readonly _tag: "close"; readonly partial: boolean }

  const bracketArb: fc.Arbitrary<Bracket | null> = fc.option(
    fc.record({ stop: fc.integer({ min: 2, max: 8 }), target: fc.integer({ min: 2, max: 8 }) })
  )

  const limitStep: fc.Arbitrary<Step> = fc.record({
    _tag: fc.constant("limit" as const),
    buy: fc.boolean(),
    // 0: a buy rests at the bid and fills a lot on any touch; a sell at the bid is marketable and fills at once.
    away: fc.integer({ min: 0, max: 4 }),
    size: fc.integer({ min: 1, max: 3 }),
    bracket: bracketArb
  })
  const marketStep: fc.Arbitrary<Step> = fc.record({
    _tag: fc.constant("market" as const),
    buy: fc.boolean(),
    size: fc.integer({ min: 1, max: 2 }),
    bracket: bracketArb
  })

  // Weighted towards price moves: with one lot filled per touch, a limit needs several to fill completely.
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: limitStep },
    { weight: 2, arbitrary: marketStep },
    {
      weight: 2,
      arbitrary: fc.record({
        _tag: fc.constant("modify" as const),
        pick: fc.nat(),
        ticks: fc.integer({ min: -2, max: 2 })
      })
    },
    { weight: 2, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }) },
    { weight: 6, arbitrary: fc.record({ _tag: fc.constant("move" as const), ticks: fc.integer({ min: -8, max: 8 }) }) },
    { weight: 2, arbitrary: fc.constant({ _tag: "time" as const }) },
    { weight: 3, arbitrary: fc.record({ _tag: fc.constant("close" as const), partial: fc.boolean() }) }
  )

  /** One scenario, from a flat account at the base price: a placement, then up to 9 more steps of any kind. */
  const scenario: fc.Arbitrary<ReadonlyArray<Step>> = fc
    .tuple(fc.oneof(limitStep, marketStep), fc.array(step, { maxLength: 9 }))
    .map(([first, rest]) => [first, ...rest])

  // A reported failure replays with its seed: SCENARIOS_SEED=<seed> npx vitest run test/TradingState.hub.test.ts
  // (every scenario starts flat, so the same seed replays the same 100 scenarios). Local runs explore new
  // scenarios each time; CI runs one fixed set, so a red CI run is reproducible from its log alone.
  const replaySeed = process.env["SCENARIOS_SEED"] ?? (process.env["CI"] === "true" ? "2026" : undefined)

  it.live(
    "100 random scenarios (place, modify, cancel, partial and full fills, brackets, closes): after each step, the state equals REST",
    () =>
      Effect.gen(function* () {
        const state = yield* TradingState
        const orders = yield* Orders
        const positions = yield* Positions
        const { contract, last: base, tick } = yield* mnq
        const price = adminDo((a) => a.market(contract.id)).pipe(Effect.map((m) => m.lastPrice as number))
        const bracket = (buy: boolean, b: Bracket | null) =>
          b === null
            ? {}
            : { stopLoss: { ticks: buy ? -b.stop : b.stop }, takeProfit: { ticks: buy ? b.target : -b.target } }

        // What the run did, counted from REST after each step settled: the property cannot pass on idle scenarios.
        const done = { limit: 0, market: 0, modify: 0, cancel: 0, move: 0, time: 0, close: 0, partialClose: 0 }
        const partiallyFilled = new Set<number>()
        const childrenWorking = new Set<number>()
        let scenarios = 0

        /** The step's action, or undefined when it has nothing to act on (no working order to modify or cancel). */
        const action = (s: Step) =>
          Effect.gen(function* () {
            const live = liveOrders(yield* state.snapshot).filter((o) => o.status === OrderStatus.Open)
            const target = live.length === 0 ? undefined : live[("pick" in s ? s.pick : 0) % live.length]
            const act: Effect.Effect<unknown, unknown, Simulator.Simulator> | undefined =
              s._tag === "limit"
                ? Effect.flatMap(price, (p) =>
                    orders.place({
                      type: "limit",
                      contractId: contract.id,
                      side: s.buy ? "buy" : "sell",
                      size: s.size,
                      limitPrice: roundToTick(p + (s.buy ? -s.away : s.away) * tick, tick),
                      ...bracket(s.buy, s.bracket)
                    })
                  )
                : s._tag === "market"
                  ? orders.place({
                      type: "market",
                      contractId: contract.id,
                      side: s.buy ? "buy" : "sell",
                      size: s.size,
                      ...bracket(s.buy, s.bracket)
                    })
                  : s._tag === "modify"
                    ? target === undefined || (target.limitPrice == null && target.stopPrice == null)
                      ? undefined
                      : orders.modify({
                          orderId: target.id,
                          accountId: MAIN_ACCOUNT,
                          contractId: contract.id,
                          ...(target.limitPrice != null
                            ? { limitPrice: roundToTick(target.limitPrice + s.ticks * tick, tick) }
                            : { stopPrice: roundToTick(target.stopPrice! + s.ticks * tick, tick) })
                        })
                    : s._tag === "cancel"
                      ? target === undefined
                        ? undefined
                        : orders.cancel(target.id, { accountId: MAIN_ACCOUNT })
                      : s._tag === "move"
                        ? adminDo((a) => a.nudgePrice(contract.id, s.ticks))
                        : s._tag === "time"
                          ? adminDo((a) => a.advanceClock(1000))
                          : s.partial
                            ? positions.partialClose(contract.id, 1, { accountId: MAIN_ACCOUNT })
                            : positions.close(contract.id, { accountId: MAIN_ACCOUNT })
            return act
          })

        /**
         * Back to flat: cancels every working order and closes every position, waits for the state, and puts the
         * price back. The state equals REST since the last step settled, so a flat state needs no REST calls.
         */
        const flatten = (what: string) =>
          Effect.gen(function* () {
            for (let round = 0; ; round++) {
              const now = yield* state.snapshot
              if (liveOrders(now).length === 0 && now.positions.size === 0) break
              expect(round, `${what}: still not flat`).toBeLessThan(5)
              yield* orders.cancelAll({ accountId: MAIN_ACCOUNT })
              yield* positions.flattenAll({ accountId: MAIN_ACCOUNT })
              yield* settled(what)
            }
            // Nothing works and nothing is held: the move fills nothing and changes nothing the state holds.
            yield* adminDo((a) => a.setPrice(contract.id, base))
          })

        const run = (steps: ReadonlyArray<Step>) =>
          Effect.gen(function* () {
            const n = ++scenarios
            yield* flatten(`scenario ${n}: flat at the start`)
            for (const [i, s] of steps.entries()) {
              const act = yield* action(s)
              // Nothing to modify or cancel: nothing happened, and the last settled state still stands.
              if (act === undefined) continue
              // Refusals (a modify on an order that just filled, a close with no position) are steps too.
              const outcome = yield* Effect.result(act)
              if (outcome._tag === "Success") done[s._tag === "close" && s.partial ? "partialClose" : s._tag]++
              const live = yield* settled(`scenario ${n}, step ${i}: ${JSON.stringify(s)}`)
              for (const o of live) {
                const filled = o.fillVolume ?? 0
                if (filled > 0 && filled < o.size) partiallyFilled.add(o.id)
                if (o.parentOrderId != null && o.status === OrderStatus.Open) childrenWorking.add(o.id)
              }
            }
          })

        yield* settled("before the first scenario")
        const runPromise = Effect.runPromiseWith(
          yield* Effect.context<Orders | Positions | TradingState | Simulator.Simulator>()
        )
        // No shrinking: each shrink step would replay scenarios on the live simulator; the report still names
        // the seed, the path and the failing scenario with the step that diverged.
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(scenario, (steps) => runPromise(run(steps))),
            replaySeed === undefined
              ? { numRuns: 100, endOnFailure: true }
              : { numRuns: 100, endOnFailure: true, seed: Number(replaySeed) }
          )
        )

        expect(scenarios).toBe(100)
        // The hub never failed: events alone kept the state right, REST had nothing to repair.
        const report = yield* state.divergences
        expect(report.total).toBe(0)
        expect(report.backwards).toBe(0)
        // Every kind of step happened, and the market did what the criterion names: partial fills that went on to
        // complete, bracket children working and some of them hit.
        const all = yield* orders.query({ accountId: MAIN_ACCOUNT })
        const filled = all.filter((o) => o.status === OrderStatus.Filled)
        const exercised = {
          ...done,
          partiallyFilled: partiallyFilled.size,
          partialThenFilled: filled.filter((o) => partiallyFilled.has(o.id)).length,
          childrenWorking: childrenWorking.size,
          childrenFilled: filled.filter((o) => o.parentOrderId != null).length
        }
        for (const [what, count] of Object.entries(exercised)) {
          expect(count, `${what}, of ${JSON.stringify(exercised)}`).toBeGreaterThan(0)
        }
      }).pipe(Effect.provide(simLayer(1))),
    180_000
  )
})
