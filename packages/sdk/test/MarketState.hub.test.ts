// DepthBook and LiveBars over the market hub against the simulator, on a fixed market clock the test moves:
// the book after 10,000 depth updates equals the simulator's own book (a fresh subscriber's snapshot), and
// bars built from prints equal the REST bars of the same minutes.
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
import { type BarUpdate, LiveBars } from "../src/state/LiveBars.ts"
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

  it.live(
    "live bars built from prints match the REST bars of the same minutes: no gap or duplicate, the seam bar whole",
    () =>
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments).resolve("ES")
        const bars = yield* collect((yield* LiveBars).bars(contract.id, { unit: "minute", closeOnTime: false }))
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
        const closed = bars.seen.filter((u): u is Extract<BarUpdate, { _tag: "Closed" }> => u._tag === "Closed")
        expect(closed.length).toBeGreaterThanOrEqual(3)
        const times = closed.map((u) => u.bar.t.getTime())
        expect(new Set(times).size).toBe(times.length)
        const rest = Bars.toRows(
          yield* (yield* MarketData).bars({
            contractId: contract.id,
            unit: "minute",
            start: new Date(times[0]!),
            end: new Date(times.at(-1)! + 60_000)
          })
        )
        expect(closed.map((u) => u.bar.t)).toEqual(rest.map((b) => b.timestamp))
        // Volume agrees exactly: no print lost or counted twice, seam included. Prices agree within the bar:
        // the simulator's 1-second walk reaches every price in quotes, but a thin second (volume smaller than
        // its points, or none) prints nothing at some of them, so a bar's extremes, open or close may be
        // missing from the prints while REST takes them from the walk.
        for (const [i, { bar }] of closed.entries()) {
          const r = rest[i]!
          expect(bar.v).toBe(r.volume)
          expect(bar.h).toBeLessThanOrEqual(r.high)
          expect(bar.l).toBeGreaterThanOrEqual(r.low)
          for (const price of [bar.o, bar.c]) {
            expect(price).toBeGreaterThanOrEqual(r.low)
            expect(price).toBeLessThanOrEqual(r.high)
          }
        }
        // The seam bar (the subscription began inside it) is REST's own.
        expect(closed[0]!.bar).toEqual({
          t: rest[0]!.timestamp,
          o: rest[0]!.open,
          h: rest[0]!.high,
          l: rest[0]!.low,
          c: rest[0]!.close,
          v: rest[0]!.volume
        })
      }).pipe(
        Effect.scoped,
        Effect.provide(
          LiveBars.layer.pipe(Layer.provideMerge(realtimeSim({ sim: { clock: { mode: "fixed", start: Date.now() } } })))
        )
      ),
    120_000
  )
})
