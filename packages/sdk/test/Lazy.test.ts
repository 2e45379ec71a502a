// What a session does not use costs it nothing: building `ProjectX.layer` (hubs, depth books and live bars
// included) and making REST calls loads neither the SignalR client nor Arrow and builds no hub connection;
// the first subscription loads the client once, builds that hub's connection, and streams as before.
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { vi } from "vitest"
import { MarketHub } from "../src/realtime/MarketHub.ts"
import { Accounts } from "../src/trading/Accounts.ts"
import { collect, realtimeSim } from "./support/realtimeSim.ts"

const counts = vi.hoisted(() => ({ loads: 0, builds: 0, arrow: 0 }))

// The SDK loads Arrow by subpath; every use of it loads its Table module.
vi.mock("apache-arrow/table", async (importOriginal) => {
  counts.arrow++
  return await importOriginal()
})

vi.mock("@microsoft/signalr", async (importOriginal) => {
  counts.loads++
  const actual = await importOriginal<typeof import("@microsoft/signalr")>()
  class CountingBuilder extends actual.HubConnectionBuilder {
    override build() {
      counts.builds++
      return super.build()
    }
  }
  return { ...actual, HubConnectionBuilder: CountingBuilder }
})

describe("lazy loading", () => {
  it.live(
    "the layer and REST calls load no SignalR client; the first subscription builds one connection and streams",
    () =>
      Effect.gen(function* () {
        const accounts = yield* (yield* Accounts).search()
        expect(accounts.length).toBeGreaterThan(0)
        const market = yield* MarketHub
        expect((yield* market.health).state).toBe("idle")
        expect(counts).toEqual({ loads: 0, builds: 0, arrow: 0 })

        const quotes = yield* collect(market.quotes("MNQ"))
        yield* quotes.until("a quote", (seen) => (seen.some((q) => q._tag === "Quote") ? true : undefined))
        expect((yield* market.health).state).toBe("connected")
        // One client load, one connection: the market hub's (the user hub is still untouched).
        expect(counts).toEqual({ loads: 1, builds: 1, arrow: 0 })
      }).pipe(Effect.scoped, Effect.provide(realtimeSim())),
    60_000
  )
})
