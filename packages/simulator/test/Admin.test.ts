import { Endpoints } from "@projectx-effect/gateway"
import { Context, Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Simulator, SimulatorAdmin } from "../src/index.ts"
import { client, front, startSim, wednesday } from "./helpers.ts"

let sim: Simulator.Handle

beforeAll(async () => {
  sim = await startSim()
})
afterAll(() => sim.stop())

describe("admin API", () => {
  it("moves the clock: fixed, advanced, set, and live", async () => {
    expect(await sim.clock()).toEqual({ mode: "fixed", now: "2025-11-19T15:30:00.000Z", nowMs: Date.parse(wednesday) })
    expect((await sim.advanceClock(90_000)).now).toBe("2025-11-19T15:31:30.000Z")
    expect((await sim.setClock({ now: "2025-11-20T10:00:00Z" })).now).toBe("2025-11-20T10:00:00.000Z")
    const live = await sim.setClock({ mode: "live", now: Date.parse("2025-11-21T09:00:00Z") })
    expect(live.mode).toBe("live")
    expect((await sim.clock()).nowMs).toBeGreaterThanOrEqual(Date.parse("2025-11-21T09:00:00Z"))
    await expect(sim.setClock({ now: "yesterday" })).rejects.toBeInstanceOf(SimulatorAdmin.AdminError)
    await sim.reset()
    expect((await sim.clock()).now).toBe("2025-11-19T15:30:00.000Z")
  })

  it("moves the market, changes accounts, and resets state and counters", async () => {
    const api = client(sim.url)
    await api.login()
    const m = await sim.setPrice(front, 21000.5)
    expect(m).toMatchObject({ lastPrice: 21000.5, bid: 21000.5, ask: 21000.75, open: true })
    expect((await sim.nudgePrice(front, -2)).lastPrice).toBe(21000)
    await expect(sim.setPrice(front, 21000.1)).rejects.toThrow(/aligned/)
    await api.call(Endpoints.placeOrder, { accountId: 1001, contractId: front, type: 2, side: 0, size: 1 })
    expect((await sim.orders(1001)).length).toBe(1)
    expect((await sim.positions(1001))[0]).toMatchObject({ averagePrice: 21000.25, size: 1 })
    expect((await sim.trades(1001)).length).toBe(1)
    const updated = await sim.updateAccount({ id: 1001, balance: 1234.5, name: "RENAMED" })
    expect(updated).toMatchObject({ balance: 1234.5, name: "RENAMED", bracketMode: "autoOco" })
    const seen = await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })
    expect(seen.accounts[0]).toMatchObject({ id: 1001, balance: 1234.5, name: "RENAMED" })
    expect((await sim.stats()).endpoints.placeOrder!.requests).toBe(1)

    await sim.reset()
    expect(await sim.orders(1001)).toEqual([])
    expect((await sim.accounts())[0]).toMatchObject({ id: 1001, balance: 50_000, name: "PRAC-V2-DEMO-1" })
    expect((await sim.market(front)).lastPrice).not.toBe(21000)
    expect((await sim.stats()).totalRequests).toBe(0)
    // Tokens survive a reset unless asked otherwise.
    expect((await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })).success).toBe(true)
  })

  it("reports settings: token lifetime, rate limits, engine, and an index of users", async () => {
    expect(await sim.setTokenLifetime(120)).toMatchObject({ tokenLifetimeSeconds: 120 })
    const api = client(sim.url)
    const token = await api.login()
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())
    expect(claims.exp - claims.iat).toBe(120)
    expect(await sim.rateLimits()).toMatchObject({ enabled: false, history: { limit: 50, windowMs: 30_000 } })
    expect(await sim.setEngine({ stopLimit: "accept" })).toMatchObject({ stopLimit: "accept", maxFillPerStep: 50 })
    const index = await (await fetch(sim.url + SimulatorAdmin.paths.root)).json()
    expect(index.users[0]).toMatchObject({ userName: "demo", apiKey: "sim-demo-api-key" })
  })
})

describe("Simulator.layer", () => {
  it("serves while the Layer is in scope", async () => {
    const body = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(Simulator.layer({ seed: 1 }))
          const s = Context.get(context, Simulator.Simulator)
          expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
          return yield* Effect.promise(() => fetch(s.url + Endpoints.ping.path).then((r) => r.text()))
        })
      )
    )
    expect(body).toBe("pong")
  })
})
