/**
 * Live bars of any unit: the market hub's prints aggregated on the Gateway's slot grid, joined to REST
 * history. The prints are subscribed before the history is read, so nothing falls between the two; prints
 * REST already counted are dropped at the seam; and the one slot that straddles the seam (REST's newest bar
 * when it may still be forming, whichever side of a slot boundary the local clock is) is emitted, when it
 * closes, as REST's own bar, so it is whole even though the subscription began inside it. Every instant
 * (the history window, the seam, closing a slot on time) is the Gateway's clock as its replies' `Date`
 * headers tell it, not this machine's: a local clock running ahead would otherwise drop the seam's first
 * prints as "already in REST" and close every slot before its last prints arrived.
 */
import { barUnitCode } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { ContractNotFound, GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import type * as Bars from "../market/Bars.ts"
import { barsKit } from "../market/internal/barsLoader.ts"
import { Instruments } from "../market/Instruments.ts"
import { type BarUnit, MarketData } from "../market/MarketData.ts"
import type { MarketTrades, Signal } from "../realtime/Events.ts"
import { MarketHub, type MarketStreamError } from "../realtime/MarketHub.ts"
import { BarAggregator, type BarUpdate, joinHistory, type LiveBar, slotOf } from "./internal/barAggregator.ts"

export type { BarUpdate, LiveBar } from "./internal/barAggregator.ts"

export interface LiveBarsRequest {
  readonly unit: Exclude<BarUnit, 7>
  /** Bars of N units (default 1). */
  readonly unitNumber?: number | undefined
  /** Closed bars of history to emit first (default 0: only live updates). */
  readonly history?: number | undefined
  /**
   * Close a slot when the clock passes its end, even without a print (default true). With false a slot
   * closes when the first print of a later slot arrives (a simulator on a clock of its own).
   */
  readonly closeOnTime?: boolean | undefined
}

export type LiveBarsError = MarketStreamError | GatewayError | ValidationError | ContractNotFound

export interface LiveBarsShape {
  /** History's closed bars (if asked), then the partial bar on every print and each bar as it closes. */
  readonly bars: (symbol: string, request: LiveBarsRequest) => Stream.Stream<BarUpdate, LiveBarsError>
}

const unitNumbers: Readonly<Record<string, number>> = barUnitCode

const toLive = (b: Bars.Bar): LiveBar => ({ t: b.timestamp, o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })

const make: Effect.Effect<LiveBarsShape, never, MarketHub | MarketData | Instruments | GatewayClient> = Effect.gen(
  function* () {
    const market = yield* MarketHub
    const data = yield* MarketData
    const instruments = yield* Instruments
    // The Gateway's clock (this machine's, corrected by the offset its last reply's Date header showed).
    const gatewayNow = (yield* GatewayClient).serverTime

    const bars = (symbol: string, request: LiveBarsRequest) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const contract = yield* instruments.resolve(symbol)
          const unit = typeof request.unit === "number" ? request.unit : unitNumbers[request.unit]!
          const n = request.unitNumber ?? 1
          const agg = new BarAggregator(unit, n)
          // Listen first: prints queue up while the history is read.
          const prints = yield* Queue.unbounded<MarketTrades | Signal, MarketStreamError>()
          yield* market.trades(contract.id).pipe(
            Stream.runForEach((e) => Queue.offer(prints, e)),
            Effect.catchCause((cause) => Queue.failCause(prints, cause)),
            Effect.forkScoped
          )
          const [slotStart, slotEnd] = slotOf(unit, n, yield* gatewayNow)
          const span = slotEnd - slotStart
          // One slot more on each side: a server clock ahead of ours may have opened the next slot, and the
          // newest bar may be the seam rather than history (joinHistory).
          const table = yield* data.bars({
            contractId: contract.id,
            unit: request.unit,
            unitNumber: n,
            start: new Date(slotStart - (Math.max(1, request.history ?? 0) + 1) * span),
            end: new Date(slotOf(unit, n, slotEnd)[1]),
            includePartialBar: true
          })
          // Arrow loads with the first bars, not with the layer (see barsLoader): it is loaded by now.
          const { toRows } = (yield* barsKit).Bars
          // The bars reply's own Date header has just refreshed the estimate: the seam is where REST stopped.
          const {
            closed: rows,
            partial,
            seam,
            cutoffMs
          } = joinHistory(unit, n, toRows(table).map(toLive), yield* gatewayNow)
          agg.seed(rows, partial, cutoffMs)
          const restBar = (start: number) =>
            data
              .bars({
                contractId: contract.id,
                unit: request.unit,
                unitNumber: n,
                start: new Date(start),
                end: new Date(slotOf(unit, n, start)[1]),
                includePartialBar: false
              })
              .pipe(
                Effect.map((t) =>
                  toRows(t)
                    .map(toLive)
                    .find((b) => b.t.getTime() === start)
                )
              )
          const settle = (updates: ReadonlyArray<BarUpdate>) =>
            Effect.forEach(updates, (u) =>
              u._tag === "Closed" && u.bar.t.getTime() === seam
                ? Effect.map(restBar(seam), (b): BarUpdate => ({ _tag: "Closed", bar: b ?? u.bar }))
                : Effect.succeed(u)
            )
          const history = Stream.fromIterable(
            rows.slice(-(request.history ?? 0) || rows.length).map((bar): BarUpdate => ({ _tag: "Closed", bar }))
          )
          const live = Stream.fromQueue(prints).pipe(
            Stream.mapEffect((e) => {
              if (e._tag !== "MarketTrades") return Effect.succeed<ReadonlyArray<BarUpdate>>([])
              const out: Array<BarUpdate> = []
              for (const p of e.trades) out.push(...agg.push(p.price, p.volume, p.timestamp.getTime()))
              return settle(out)
            })
          )
          const ticks =
            request.closeOnTime === false
              ? Stream.empty
              : Stream.fromSchedule(Schedule.spaced("1 second")).pipe(
                  Stream.mapEffect(() => Effect.flatMap(gatewayNow, (t) => settle(agg.tick(t))))
                )
          return Stream.concat(
            (request.history ?? 0) > 0 ? history : Stream.empty,
            Stream.merge(live, ticks).pipe(Stream.flattenIterable)
          )
        })
      ).pipe(Stream.withSpan("LiveBars.bars", { attributes: { "projectx.symbol": symbol } }))

    return { bars } satisfies LiveBarsShape
  }
)

export class LiveBars extends Context.Service<LiveBars, LiveBarsShape>()("@projectx-effect/sdk/LiveBars") {
  static readonly make = make
  static readonly layer: Layer.Layer<LiveBars, never, MarketHub | MarketData | Instruments | GatewayClient> =
    Layer.effect(LiveBars, make)
}
