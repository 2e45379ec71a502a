// Both hubs from plain TypeScript: AsyncIterables that end on abort, and on(…) callbacks.
import { describe, expect, it } from "@effect/vitest"
import { ProjectXClient, type Quote } from "@projectx-effect/sdk/promise"
import { Simulator } from "@projectx-effect/simulator"

describe("realtime from the Promise facade", () => {
  it("iterates quotes until aborted, and calls back with order events until stopped", async () => {
    await using sim = await Simulator.start({ tradingHours: "always", clock: { mode: "live", start: Date.now() } })
    await using client = await ProjectXClient.create({
      apiUrl: sim.url,
      ...Simulator.credentials,
      username: Simulator.credentials.userName,
      accountName: "PRAC-V2-DEMO-1",
      otlp: false,
      realtime: { marketOpen: () => true }
    })
    const abort = new AbortController()
    const quotes: Array<Quote> = []
    for await (const event of client.realtime.quotes("MNQ", { signal: abort.signal })) {
      if (event._tag === "Quote") quotes.push(event)
      if (quotes.length === 3) abort.abort()
    }
    expect(quotes).toHaveLength(3)
    expect(quotes.every((q) => typeof q.lastPrice === "number")).toBe(true)

    const events: Array<string> = []
    let filled!: () => void
    const done = new Promise<void>((resolve) => {
      filled = resolve
    })
    const stop = client.realtime.on("orders", undefined, (event) => {
      if (event._tag !== "OrderUpdate") return
      events.push(`${event.order.id}:${event.order.status}`)
      if (event.order.status === 2) filled()
    })
    // Wait until the subscription is live, then trade.
    for (let i = 0; i < 400 && (await client.realtime.health()).user.state !== "connected"; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const contract = await client.instruments.resolve("MNQ")
    for (let i = 0; i < 400 && ((await sim.stats()).hubs?.subscriptions?.orders ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const placed = await client.orders.place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
    await done
    stop()
    expect(events).toContain(`${placed.orderId}:2`)
  }, 60_000)
})
