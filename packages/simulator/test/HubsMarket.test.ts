import type { HubConnection } from "@microsoft/signalr"
import {
  DomType,
  Endpoints,
  GatewayDepthArgs,
  GatewayQuoteArgs,
  GatewayTradeArgs,
  type GatewayQuote,
  type GatewayTradePrint,
  type GatewayDepthEntry
} from "@projectx-effect/gateway"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, startSim, wednesday } from "./helpers.ts"
import { connect, eventually } from "./hubs.ts"

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  sim = await startSim({ hubs: { ticksPerSecond: 4, keepAliveMs: 1000 } })
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())

const decodeQuote = Schema.decodeUnknownSync(GatewayQuoteArgs)
const decodeTrade = Schema.decodeUnknownSync(GatewayTradeArgs)
const decodeDepth = Schema.decodeUnknownSync(GatewayDepthArgs)

describe("market hub", () => {
  it("streams quotes and trades that agree with the REST bars of the same minute", async () => {
    const raw: Array<Record<string, unknown>> = []
    const quotes: Array<GatewayQuote> = []
    const prints: Array<GatewayTradePrint> = []
    const connection = await connect(sim.url, "market", () => api.token, {
      build: (c) => {
        c.on("GatewayQuote", (id: unknown, data: unknown) => {
          raw.push(data as Record<string, unknown>)
          quotes.push(decodeQuote([id, data])[1])
        })
        c.on("GatewayTrade", (id: unknown, data: unknown) => prints.push(...decodeTrade([id, data])[1]))
      }
    })
    try {
      await connection.invoke("SubscribeContractQuotes", front)
      await connection.invoke("SubscribeContractTrades", front)
      // The first quote is a full snapshot, sent on subscribe.
      await eventually("the snapshot", () => (quotes.length > 0 ? true : undefined))
      expect(Object.keys(raw[0]!).sort()).toEqual(
        [
          "bestAsk",
          "bestBid",
          "change",
          "changePercent",
          "high",
          "lastPrice",
          "lastUpdated",
          "low",
          "open",
          "symbol",
          "symbolName",
          "timestamp",
          "volume"
        ].sort()
      )
      // Walk the market clock through the whole minute 15:30 and into the next one.
      const end = Date.parse(wednesday) + 65_000
      for (let t = Date.parse(wednesday) + 5_000; t <= end; t += 5_000) {
        await sim.setClock({ now: t })
        await eventually(`quotes up to ${new Date(t).toISOString()}`, () =>
          quotes.some((q) => (q.timestamp?.getTime() ?? 0) >= t - 250) ? true : undefined
        )
      }
      // After the snapshot, quotes are deltas: the symbol is not repeated.
      expect(raw.slice(1).every((q) => !("symbol" in q))).toBe(true)

      const r = await api.call(Endpoints.retrieveBars, {
        contractId: front,
        live: false,
        startTime: wednesday,
        endTime: "2025-11-19T15:31:00Z",
        unit: 2,
        unitNumber: 1,
        limit: 10,
        includePartialBar: false
      })
      expect(r.bars).toHaveLength(1)
      const bar = r.bars[0] as { o: number; h: number; l: number; c: number; v: number }

      // Merge the deltas into full quotes, as a client does, and keep those of minute 15:30.
      const inMinute = (d: Date | null | undefined) => {
        const ms = d?.getTime() ?? 0
        return ms >= Date.parse(wednesday) && ms < Date.parse(wednesday) + 60_000
      }
      let merged: GatewayQuote = {}
      const minuteQuotes: Array<GatewayQuote> = []
      for (const q of quotes) {
        merged = { ...merged, ...q }
        if (inMinute(merged.timestamp)) minuteQuotes.push(merged)
      }
      const lasts = minuteQuotes.map((q) => q.lastPrice!)
      expect(Math.max(...lasts)).toBe(bar.h)
      expect(Math.min(...lasts)).toBe(bar.l)
      expect(lasts.at(-1)).toBe(bar.c)
      for (const q of minuteQuotes) {
        expect(q.bestBid!).toBeLessThan(q.bestAsk!)
        expect(q.high!).toBeGreaterThanOrEqual(q.lastPrice!)
        expect(q.low!).toBeLessThanOrEqual(q.lastPrice!)
      }

      const minutePrints = prints.filter((p) => inMinute(p.timestamp))
      expect(minutePrints.every((p) => p.price >= bar.l && p.price <= bar.h)).toBe(true)
      expect(minutePrints.at(-1)?.price).toBe(bar.c)
      // The snapshot came from 15:30:00.000 itself; every print after it adds up to the bar's volume
      // except what second 0 printed before the subscription.
      const volume = minutePrints.reduce((sum, p) => sum + p.volume, 0)
      expect(volume).toBeLessThanOrEqual(bar.v)
      expect(volume).toBeGreaterThan(bar.v * 0.9)
    } finally {
      await connection.stop()
    }
  })

  it("sends depth as batches, a Reset first, and refuses a contract id that is not a string", async () => {
    const batches: Array<ReadonlyArray<GatewayDepthEntry>> = []
    let connection: HubConnection | undefined
    try {
      connection = await connect(sim.url, "market", () => api.token, {
        skipNegotiation: false,
        build: (c) => c.on("GatewayDepth", (id: unknown, data: unknown) => batches.push(decodeDepth([id, data])[1]))
      })
      await connection.invoke("SubscribeContractMarketDepth", front)
      const first = await eventually("a depth snapshot", () => batches[0])
      expect(first[0]?.type).toBe(DomType.Reset)
      const bids = first.filter((e) => e.type === DomType.Bid)
      const asks = first.filter((e) => e.type === DomType.Ask)
      expect(bids).toHaveLength(10)
      expect(asks).toHaveLength(10)
      expect(Math.max(...bids.map((e) => e.price))).toBeLessThan(Math.min(...asks.map((e) => e.price)))

      await expect(connection.invoke("SubscribeContractQuotes", 42)).rejects.toThrow(/Error binding arguments/)
      await expect(connection.invoke("SubscribeEverything", front)).rejects.toThrow(/Unknown hub method/)
      // The connection survives both errors.
      await connection.invoke("UnsubscribeContractMarketDepth", front)
    } finally {
      await connection?.stop()
    }
  })

  it("delivers depth snapshots over 12 KB to the official client", async () => {
    await sim.setHubs({ depthLevels: 80 })
    const frames: Array<{ size: number; entries: ReadonlyArray<GatewayDepthEntry> }> = []
    const connection = await connect(sim.url, "market", () => api.token, {
      build: (c) =>
        c.on("GatewayDepth", (id: unknown, data: unknown) =>
          frames.push({ size: JSON.stringify([id, data]).length, entries: decodeDepth([id, data])[1] })
        )
    })
    try {
      await connection.invoke("SubscribeContractMarketDepth", front)
      const snapshot = await eventually("the snapshot", () => frames[0])
      expect(snapshot.size).toBeGreaterThan(12 * 1024)
      expect(snapshot.entries.filter((e) => e.type === DomType.Bid)).toHaveLength(80)
      const stats = await sim.stats()
      expect(stats.hubs.subscriptions.depth).toBe(1)
      expect(stats.hubs.sent.GatewayDepth).toBeGreaterThanOrEqual(1)
    } finally {
      await connection.stop()
      await sim.setHubs({ depthLevels: 10 })
    }
  })
})
