// The README's examples, run as written (so they cannot rot).
import { HubConnectionBuilder, HttpTransportType, LogLevel } from "@microsoft/signalr"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Simulator } from "../src/index.ts"
import { FetchHttpClient } from "./hubs.ts"

describe("README", () => {
  it("plain TypeScript quick start", async () => {
    const sim = await Simulator.start({ seed: 42, clock: { mode: "fixed", start: "2025-11-19T15:30:00Z" } })
    const login = await fetch(`${sim.url}/api/Auth/loginKey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Simulator.credentials) // { userName: "demo", apiKey: "sim-demo-api-key" }
    })
    await sim.setFaults([{ endpoint: "placeOrder", kind: "dropAfterExecute", times: 1 }])
    const stats = await sim.stats()
    await sim.stop()
    expect((await login.json()).success).toBe(true)
    expect(stats.logins.succeeded).toBe(1)
  })

  it("Effect quick start", async () => {
    const program = Effect.gen(function* () {
      const sim = yield* Simulator.Simulator // { url, port, admin }
      return yield* Effect.promise(() => sim.admin.clock())
    }).pipe(Effect.provide(Simulator.layer({ port: 0, rateLimit: { timeScale: 0.01 } })))
    expect((await Effect.runPromise(program)).mode).toBe("live")
  })

  it("realtime hubs quick start", async () => {
    const sim = await Simulator.start({ seed: 42, clock: { mode: "fixed", start: "2025-11-19T15:30:00Z" } })
    const login = await fetch(`${sim.url}/api/Auth/loginKey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Simulator.credentials)
    })
    const { token } = await login.json()
    const quotes: Array<[string, unknown]> = []
    const market = new HubConnectionBuilder()
      .withUrl(`${sim.url}/hubs/market`, {
        accessTokenFactory: () => token, // from Auth/loginKey
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
        httpClient: new FetchHttpClient() // only under Vitest (see test/hubs.ts)
      })
      .withAutomaticReconnect()
      .configureLogging(LogLevel.None)
      .build()
    market.on("GatewayQuote", (contractId, quote) => quotes.push([contractId, quote]))
    await market.start()
    await market.invoke("SubscribeContractQuotes", "CON.F.US.MNQ.Z25")
    for (let i = 0; i < 400 && quotes.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25))
    await market.stop()
    await sim.stop()
    expect(quotes[0]?.[0]).toBe("CON.F.US.MNQ.Z25")
    expect(quotes[0]?.[1]).toMatchObject({ symbol: "F.US.MNQ" })
  })
})
