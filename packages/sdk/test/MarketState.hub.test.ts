// DepthBook and LiveBars over the market hub against the simulator, on a fixed market clock the test moves:
// the book after 10,000 depth updates equals the simulator's own book (a fresh subscriber's snapshot), and
// the live bars (history, the seam, then bars built from prints) equal the REST bars of the same minutes.
import { describe, expect, it } from "@effect/vitest"
import {
  HttpClient,
  HttpError,
  type HttpRequest,
  HttpResponse,
  HttpTransportType,
  HubConnectionBuilder,
  LogLevel
} from "@microsoft/signalr"
import { type GatewayDepthEntry, DomType } from "@projectx-effect/gateway"
import { Simulator } from "@projectx-effect/simulator"
import { Effect, Layer } from "effect"
import WebSocket from "ws"
import { Instruments } from "../src/market/Instruments.ts"
import * as Bars from "../src/market/Bars.ts"
import { MarketData } from "../src/market/MarketData.ts"
import { type BookUpdate, DepthBook } from "../src/state/DepthBook.ts"
import { slotOf } from "../src/state/internal/barAggregator.ts"
import { LiveBars } from "../src/state/LiveBars.ts"
import { adminDo, collect, realtimeSim } from "./support/realtimeSim.ts"

class FetchHttpClient extends HttpClient {
  override async send(request: HttpRequest): Promise<HttpResponse> {
    const response = await fetch(request.url ?? "", { method: request.method ?? "GET", headers: request.headers ?? {} })
    const text = await response.text()
    if (!response.ok) throw new HttpError(response.statusText, response.status)
    return new HttpResponse(response.status, response.statusText, text)
  }
}

/** The simulator's book as a new subscriber receives it: the snapshot batch (Reset, bests, every level). */
const simulatorBook = (contractId: string) =>
  Effect.gen(function* () {
    const sim = yield* Simulator.Simulator
    return yield* Effect.acquireUseRelease(
      Effect.promise(async () => {
        const login = await fetch(`${sim.url}/api/Auth/loginKey`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(Simulator.credentials)
        })
        const { token } = (await login.json()) as { token: string }
        const connection = new HubConnectionBuilder()
          .withUrl(`${sim.url}/hubs/market`, {
            accessTokenFactory: () => token,
            skipNegotiation: true,
            transport: HttpTransportType.WebSockets,
            httpClient: new FetchHttpClient(),
            WebSocket
          } as never)
          .configureLogging(LogLevel.None)
          .build()
        const first = new Promise<ReadonlyArray<GatewayDepthEntry>>((resolve) =>
          connection.on("GatewayDepth", (_id: string, entries: ReadonlyArray<GatewayDepthEntry>) => resolve(entries))
        )
        await connection.start()
        await connection.invoke("SubscribeContractMarketDepth", contractId)
        return { connection, first }
      }),
      ({ first }) => Effect.promise(() => first),
      ({ connection }) => Effect.promise(() => connection.stop())
    )
  }).pipe(
    Effect.map((entries) => {
      expect(entries[0]?.type).toBe(DomType.Reset)
      const side = (type: number, descending: boolean) =>
        entries
          .filter((e) => e.type === type)
          .map((e) => ({ price: e.price, volume: e.volume }))
          .sort((a, b) => (descending ? b.price - a.price : a.price - b.price))
      return { bids: side(DomType.Bid, true), asks: side(DomType.Ask, false) }
    })
  )

describe("market state over the hub", () => {
  it.live(
    "the depth book equals the simulator's book after 10,000 updates",
    () =>
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const depth = yield* DepthBook
        const views = yield* collect(depth.book(contract.id, 100))
        yield* views.until("the snapshot", (seen) => (seen.length > 0 ? true : undefined))
        const latest = () => views.seen.at(-1) as BookUpdate
        // Each market second re-sizes every level; the feed sends the changes as one batch per wake.
        while (latest().updates < 10_000) {
          const before = views.seen.length
          yield* adminDo((a) => a.advanceClock(1000))
          yield* views.until("the next batch", (seen) => (seen.length > before ? true : undefined))
        }
        const mine = (yield* depth.latest(contract.id))!
        expect(mine.updates).toBeGreaterThanOrEqual(10_000)
        expect(mine.dropped).toBe(0)
        const theirs = yield* simulatorBook(contract.id)
        expect(theirs.bids).toHaveLength(100)
        expect({ bids: mine.bids, asks: mine.asks }).toEqual(theirs)
        expect(mine.bestBid).toEqual(theirs.bids[0])
        expect(mine.bestAsk).toEqual(theirs.asks[0])
      }).pipe(
        Effect.scoped,
        Effect.provide(
          DepthBook.layer({ maxLevels: 100 }).pipe(
            Layer.provideMerge(
              realtimeSim({
                sim: { clock: { mode: "fixed", start: Date.now() }, hubs: { ticksPerSecond: 100, depthLevels: 100 } }
              })
            )
          )
        )
      ),
    120_000
  )

  // The market 7.5 s into the next minute (ahead of this machine's clock) or into the one before (behind it):
  // every 15 s step then ends ≥ 7.5 s into its minute, which always holds a print. LiveBars keeps time by the
  // Gateway's clock, so a local clock ahead of it neither drops the seam's prints nor closes bars early.
  // (Started at the wall clock, a step could end in a minute's first second before any print, and the wait
  // for that minute's bar timed out: ≈ 1 run in 15.)
  for (const [market, minutes] of [
    ["ahead of", 1],
    ["behind", -1]
  ] as const)
    it.live(
      `live bars equal the REST bars of the same minutes, field by field: history, the seam and bars from prints (market clock ${market} ours)`,
      () =>
        Effect.gen(function* () {
          const contract = yield* (yield* Instruments).resolve("ES")
          const subscribedAt = (yield* adminDo((a) => a.clock())).nowMs
          const bars = yield* collect(
            (yield* LiveBars).bars(contract.id, { unit: "minute", history: 3, closeOnTime: false })
          )
          yield* adminDo((a) => a.stats()).pipe(
            Effect.repeat({ until: (s) => (s.hubs?.subscriptions?.marketTrades ?? 0) >= 1 }),
            Effect.timeout("20 seconds")
          )
          // Four market minutes, 15 s at a time, each step's prints received before the next.
          for (let i = 0; i < 16; i++) {
            const clock = yield* adminDo((a) => a.advanceClock(15_000))
            const [slot] = slotOf(2, 1, clock.nowMs - 1)
            yield* bars.until(`prints up to ${clock.now}`, (seen) =>
              seen.some((u) => u.bar.t.getTime() === slot) ? true : undefined
            )
          }
          const closed = bars.seen.filter((u) => u._tag === "Closed").map((u) => u.bar)
          // History (3 bars, and the minute before if REST had no print of this one yet), the minute the
          // subscription began in, and at least three minutes built from prints alone.
          const seam = slotOf(2, 1, subscribedAt)[0]
          expect(closed.filter((b) => b.t.getTime() < seam).length).toBeGreaterThanOrEqual(3)
          expect(closed.filter((b) => b.t.getTime() === seam)).toHaveLength(1)
          expect(closed.filter((b) => b.t.getTime() > seam).length).toBeGreaterThanOrEqual(3)
          // No gap, no duplicate: one bar a minute (the simulator trades around the clock).
          const times = closed.map((b) => b.t.getTime())
          expect(times).toEqual(times.map((_, i) => times[0]! + i * 60_000))
          const rest = Bars.toRows(
            yield* (yield* MarketData).bars({
              contractId: contract.id,
              unit: "minute",
              start: new Date(times[0]!),
              end: new Date(times.at(-1)! + 60_000)
            })
          )
          // Every closed minute is REST's bar exactly: open, high, low, close, volume and time.
          expect(closed).toEqual(
            rest.map((r) => ({ t: r.timestamp, o: r.open, h: r.high, l: r.low, c: r.close, v: r.volume }))
          )
        }).pipe(
          Effect.scoped,
          Effect.provide(
            LiveBars.layer.pipe(
              Layer.provideMerge(
                realtimeSim({
                  sim: { clock: { mode: "fixed", start: (Math.floor(Date.now() / 60_000) + minutes) * 60_000 + 7_500 } }
                })
              )
            )
          )
        ),
      120_000
    )
})
