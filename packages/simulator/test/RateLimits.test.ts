import { Endpoints } from "@projectx-effect/gateway"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { client, front, request, startSim } from "./helpers.ts"

let sim: Simulator.Handle

// Windows shrunk 10×: History 50 per 3 s, everything else 200 per 6 s — wide enough that a burst sent
// from a loaded 2-core machine still lands inside one window.
beforeAll(async () => {
  sim = await startSim({ rateLimit: { enabled: true, timeScale: 0.1 } })
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

const barsBody = {
  contractId: front,
  live: false,
  startTime: "2025-11-19T15:00:00Z",
  endTime: "2025-11-19T15:30:00Z",
  unit: 2,
  unitNumber: 1,
  limit: 1,
  includePartialBar: false
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("rate limits", () => {
  it("answers 429 with Retry-After once a bucket is spent, per token, and recovers after the window", async () => {
    const api = client(sim.url)
    await api.login()
    const burst = await Promise.all(
      Array.from({ length: 55 }, () => request(sim.url, Endpoints.retrieveBars, barsBody, { token: api.token }))
    )
    const limited = burst.filter((r) => r.status === 429)
    expect(burst.filter((r) => r.status === 200).length).toBe(50)
    expect(limited.length).toBe(5)
    const retryAfter = Number(limited[0]!.headers.get("retry-after"))
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3).toBe(true)
    expect(limited[0]!.text).toBe("")
    const waitMs = Number(limited[0]!.headers.get("x-ratelimit-retry-after-ms"))
    expect(waitMs).toBeGreaterThan(0)
    expect(waitMs).toBeLessThanOrEqual(3_000)

    // The other bucket and another token are unaffected.
    expect(
      (await request(sim.url, Endpoints.searchAccounts, { onlyActiveAccounts: true }, { token: api.token })).status
    ).toBe(200)
    const other = client(sim.url)
    await other.login()
    expect((await request(sim.url, Endpoints.retrieveBars, barsBody, { token: other.token })).status).toBe(200)

    await sleep(waitMs + 20)
    expect((await request(sim.url, Endpoints.retrieveBars, barsBody, { token: api.token })).status).toBe(200)
    const stats = await sim.stats()
    expect(stats.endpoints.retrieveBars!.rateLimited).toBe(5)
    expect(stats.endpoints.retrieveBars!.statuses["429"]).toBe(5)
  })

  it("counts logins per client address, and supports fixed windows set through the admin API", async () => {
    const settings = await sim.setRateLimits({ mode: "fixed", general: { limit: 3 } })
    expect(settings).toMatchObject({ mode: "fixed", timeScale: 0.1, general: { limit: 3, windowMs: 60_000 } })
    const logins = []
    for (let i = 0; i < 4; i++)
      logins.push(await request(sim.url, Endpoints.loginKey, { userName: "demo", apiKey: "x" }))
    expect(logins.map((r) => r.status)).toEqual([200, 200, 200, 429])
    await sleep(Number(logins[3]!.headers.get("x-ratelimit-retry-after-ms")) + 20)
    expect((await request(sim.url, Endpoints.loginKey, { userName: "demo", apiKey: "x" })).status).toBe(200)
    await sim.setRateLimits({ enabled: false })
    for (let i = 0; i < 5; i++) {
      expect((await request(sim.url, Endpoints.loginKey, { userName: "demo", apiKey: "x" })).status).toBe(200)
    }
  })
})
