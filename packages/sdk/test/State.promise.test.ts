// The order-and-position state from plain TypeScript, against the simulator over loopback: a bracket placed
// through a tracked handle and its awaited fill, the snapshot against REST, the guard's alert when the
// bracket's stop is cancelled from outside, a typed timeout, books and live bars, and disposal ending it all.
import { describe, expect, it } from "@effect/vitest"
import {
  Cancelled,
  type GuardEvent,
  OrderStatus,
  OrderTimeout,
  OrderType,
  ProjectXClient,
  type TradingSnapshot
} from "@projectx-effect/sdk/promise"
import { Simulator } from "@projectx-effect/simulator"

const ACCOUNT = 1001
const WORKING: ReadonlyArray<OrderStatus> = [
  OrderStatus.Open,
  OrderStatus.Suspended,
  OrderStatus.Pending,
  OrderStatus.PendingCancellation
]

/** Polls `check` (no fixed sleeps) until it returns a value, or fails naming `what` after `ms`. */
const until = async <A>(what: string, check: () => Promise<A | undefined> | A | undefined, ms = 20_000) => {
  const deadline = Date.now() + ms
  for (;;) {
    const found = await check()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Collects an iterable in the background; `done` resolves when the iteration ends. */
const drain = <A>(iterable: AsyncIterable<A>) => {
  const seen: Array<A> = []
  const done = (async () => {
    for await (const a of iterable) seen.push(a)
  })()
  return { seen, done }
}

const start = async () => {
  // A fixed market clock: the bracket neither stops out nor hits its target while the test looks at it.
  const sim = await Simulator.start({
    seed: 11,
    tradingHours: "always",
    clock: { mode: "fixed", start: Date.now() },
    rateLimit: { enabled: false }
  })
  const client = await ProjectXClient.create({
    apiUrl: sim.url,
    username: Simulator.credentials.userName,
    apiKey: Simulator.credentials.apiKey,
    accountName: "PRAC-V2-DEMO-1",
    otlp: false,
    rateLimits: { general: { limit: 1_000_000, window: "60 seconds" } },
    realtime: { marketOpen: () => true, reconnect: { base: "50 millis", cap: "500 millis" } }
  })
  return { sim, client }
}

/** The snapshot's live orders and positions, and REST's, in the same terms. */
const views = async (client: ProjectXClient, s: TradingSnapshot) => {
  const live = await client.orders.query({ accountId: ACCOUNT, statuses: WORKING })
  const open = await client.positions.searchOpen(ACCOUNT)
  return {
    state: {
      orders: [...s.orders.values()]
        .filter((o) => WORKING.includes(o.order.status))
        .map((o) => `${o.order.id}:${o.order.status}`)
        .sort(),
      positions: [...s.positions.values()].map((p) => `${p.contractId}:${p.type}:${p.size}`).sort()
    },
    rest: {
      orders: live.map((o) => `${o.id}:${o.status}`).sort(),
      positions: open.map((p) => `${p.contractId}:${p.type}:${p.size}`).sort()
    }
  }
}

describe("order-and-position state from the Promise facade", () => {
  it("a tracked bracket fills, the snapshot equals REST, the guard alerts on a cancelled stop, a far order times out", async () => {
    const { sim, client } = await start()
    try {
      const guard = await client.state.guard(ACCOUNT, { grace: 300 })
      const alerts = drain(guard.events())
      const state = await client.state.account(ACCOUNT)
      const changes = drain(state.changes())
      let calls = 0
      state.on(() => calls++)
      const contract = await client.instruments.resolve("MNQ")

      const entry = await state.placeTracked({
        type: "market",
        contractId: contract.id,
        side: "buy",
        size: 2,
        stopLoss: { ticks: -12 },
        takeProfit: { ticks: 20 }
      })
      const filled = await entry.filled({ timeoutMs: 20_000 })
      expect(filled).toMatchObject({ phase: "Filled", order: { id: entry.orderId(), fillVolume: 2 } })
      expect(entry.phase()).toBe("Filled")
      const stop = await until("the bracket's stop working", () =>
        entry.bracket()?.children.find((c) => c.order.type === OrderType.Stop && c.phase === "Working")
      )
      expect(entry.bracket()?.children).toHaveLength(2)

      // Once the events have settled, the event-built state is REST's.
      const settled = await until("the state to settle on REST's", async () => {
        const v = await views(client, state.snapshot())
        return JSON.stringify(v.state) === JSON.stringify(v.rest) ? v : undefined
      })
      expect(settled.state.positions).toEqual([`${contract.id}:1:2`])
      expect(settled.state.orders).toHaveLength(2)
      expect(changes.seen.length).toBeGreaterThan(1)
      expect(state.divergences().backwards).toBe(0)
      expect(guard.naked()).toEqual([])

      // The stop cancelled behind the SDK's back: the guard, over its own state, raises the alert.
      await client.orders.cancel(stop.order.id, { accountId: ACCOUNT })
      const naked = await until("the guard's alert", () =>
        alerts.seen.find((e): e is Extract<GuardEvent, { _tag: "Naked" }> => e._tag === "Naked")
      )
      expect(naked).toMatchObject({ contractId: contract.id, exposure: { coveredSize: 0, position: { size: 2 } } })
      // A loop that starts late still sees it.
      const late = drain(guard.events())
      await until("the replayed alert", () => late.seen.find((e) => e._tag === "Naked"))

      // An order far from the market does not fill in 300 ms: a typed timeout, the order still working.
      const market = await sim.market(contract.id)
      const far = await state.placeTracked({
        type: "limit",
        contractId: contract.id,
        side: "buy",
        size: 1,
        limitPrice:
          Math.round(((market.lastPrice as number) - 200 * contract.tickSize) / contract.tickSize) * contract.tickSize
      })
      const timedOut = await far.filled({ timeoutMs: 300 }).then(
        () => undefined,
        (error: unknown) => error
      )
      expect(timedOut).toBeInstanceOf(OrderTimeout)
      expect(timedOut).toMatchObject({ _tag: "OrderTimeout", orderId: far.orderId(), phase: "Working" })

      // Disposing the state ends its iterators and any wait still pending; the guard (its own state) runs on.
      const pending = far.terminal({ timeoutMs: 60_000 }).then(
        () => undefined,
        (error: unknown) => error
      )
      await state.dispose()
      await changes.done
      // A typed rejection that says why: the wait was cancelled by the dispose, not by the order.
      const cancelled = await pending
      expect(cancelled).toBeInstanceOf(Cancelled)
      expect(cancelled).toMatchObject({ _tag: "Cancelled", why: "disposed" })
      expect((cancelled as Cancelled).message).toContain(`order ${far.customTag}: terminal`)
      const seenAfter = changes.seen.length
      const callsAfter = calls
      expect(callsAfter).toBeGreaterThan(1)
      // A change after that reaches the guard's state, but no longer the disposed one's callback.
      await client.orders.cancel(far.orderId()!, { accountId: ACCOUNT })
      await until("the cancel in the guard's state", () =>
        guard.state.snapshot().orders.get(far.orderId()!)?.phase === "Cancelled" ? true : undefined
      )
      expect(calls).toBe(callsAfter)
      expect(guard.naked()).toHaveLength(1)

      // Disposing the client ends the guard's iterators too.
      await client.dispose()
      await Promise.all([alerts.done, late.done])
      expect(changes.seen.length).toBe(seenAfter)
    } finally {
      await client.dispose()
      await sim.stop()
    }
  }, 60_000)

  it("a position already naked when the guard starts is alerted at once, and the alert is not lost", async () => {
    const { sim, client } = await start()
    try {
      const contract = await client.instruments.resolve("MNQ")
      await client.orders.place({ type: "market", contractId: contract.id, side: "sell", size: 1 })
      await until("the position", async () =>
        (await client.positions.searchOpen(ACCOUNT)).length > 0 ? true : undefined
      )
      await using guard = await client.state.guard(ACCOUNT, { grace: 0 })
      for await (const event of guard.events()) {
        expect(event).toMatchObject({ _tag: "Naked", contractId: contract.id, exposure: { coveredSize: 0 } })
        break
      }
      expect(guard.naked()).toHaveLength(1)
    } finally {
      await client.dispose()
      await sim.stop()
    }
  }, 60_000)

  it("books and live bars as AsyncIterables that end on abort and on dispose", async () => {
    const { sim, client } = await start()
    try {
      const abort = new AbortController()
      let books = 0
      for await (const book of client.state.book("MNQ", { depth: 5, signal: abort.signal })) {
        expect(book.bids.length).toBeLessThanOrEqual(5)
        expect(book.bestBid!.price).toBeLessThan(book.bestAsk!.price)
        books++
        abort.abort() // the first view (the subscription's snapshot) is enough: aborting ends the loop
      }
      expect(books).toBe(1)

      // Two closed bars of history first; then the iterator waits for prints until the client goes away.
      const bars = drain(client.state.liveBars("MNQ", { unit: "minute", history: 2, closeOnTime: false }))
      await until("the history bars", () => (bars.seen.length >= 2 ? true : undefined))
      expect(bars.seen.slice(0, 2).map((u) => u._tag)).toEqual(["Closed", "Closed"])
      const [a, b] = bars.seen
      expect(b!.bar.t.getTime() - a!.bar.t.getTime()).toBe(60_000)
      await client.dispose()
      await bars.done
    } finally {
      await client.dispose()
      await sim.stop()
    }
  }, 60_000)
})
