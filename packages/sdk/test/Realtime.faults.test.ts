// The hubs under the faults other SDKs fail on, injected through the simulator's admin API: dropped
// sockets with events lost in the gap (the SDK backfills from REST, once), a frozen feed that still
// pings (project-x-py #97), GatewayLogout, and a quote flood next to order events (#143).
import { describe, expect, it } from "@effect/vitest"
import type { HalfTrade, Order, Position } from "@projectx-effect/gateway"
import { Effect, Schedule, Stream } from "effect"
import { Instruments } from "../src/market/Instruments.ts"
import type { UserEvent } from "../src/realtime/Events.ts"
import { MarketHub } from "../src/realtime/MarketHub.ts"
import { UserHub } from "../src/realtime/UserHub.ts"
import { Orders } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { Trades } from "../src/trading/Trades.ts"
import { adminDo, collect, MAIN_ACCOUNT, realtimeSim } from "./support/realtimeSim.ts"

const subscribed = (kinds: ReadonlyArray<string>) =>
  adminDo((a) => a.stats()).pipe(
    Effect.repeat({
      until: (s) => kinds.every((k) => (s.hubs?.subscriptions?.[k] ?? 0) >= 1),
      schedule: Schedule.spaced("25 millis")
    }),
    Effect.timeout("20 seconds")
  )

const orderKey = (o: Order) => `${o.id}|${o.status}|${o.fillVolume ?? 0}|${o.filledPrice ?? ""}`
const positionKey = (p: Position) => `${p.contractId}|${p.type}|${p.size}|${p.averagePrice}`

describe("Realtime under faults", () => {
  it.live(
    "three socket drops with events lost in each gap: subscriptions restored, state equals REST, nothing doubled",
    () =>
      Effect.gen(function* () {
        const user = yield* UserHub
        const orders = yield* collect(user.orders())
        const fills = yield* collect(user.trades())
        const positions = yield* collect(user.positions())
        yield* subscribed(["orders", "positions", "userTrades"])
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const ordersService = yield* Orders
        for (let round = 1; round <= 3; round++) {
          yield* ordersService.place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
          // Events of the next order never reach the hub's clients: lost, as in a real gap.
          yield* adminDo((a) => a.setHubs({ frozen: true }))
          yield* ordersService.place({
            type: "market",
            contractId: contract.id,
            side: round === 2 ? "buy" : "sell",
            size: 1
          })
          yield* adminDo((a) => a.dropHubConnections({ hub: "user" }))
          yield* adminDo((a) => a.setHubs({ frozen: false }))
          yield* Effect.repeat(user.health, {
            until: (h) => h.reconnects >= round && h.state === "connected",
            schedule: Schedule.spaced("25 millis")
          }).pipe(Effect.timeout("20 seconds"))
          yield* subscribed(["orders", "positions", "userTrades"])
        }

        const restOrders = yield* ordersService.search({ accountId: MAIN_ACCOUNT })
        const restFills = yield* (yield* Trades).search({ accountId: MAIN_ACCOUNT })
        const restPositions = yield* (yield* Positions).searchOpen(MAIN_ACCOUNT)
        expect(restOrders).toHaveLength(6)
        expect(restFills).toHaveLength(6)

        const lastOrders = () => {
          const last = new Map<number, Order>()
          for (const e of orders.seen) if (e._tag === "OrderUpdate") last.set(e.order.id, e.order)
          return last
        }
        yield* orders.until("every order in its REST state", () =>
          restOrders.every((o) => {
            const seen = lastOrders().get(o.id)
            return seen !== undefined && orderKey(seen) === orderKey(o)
          })
            ? true
            : undefined
        )
        const delivered = (): Array<HalfTrade> => fills.seen.flatMap((e) => (e._tag === "UserTrade" ? [e.trade] : []))
        yield* fills.until("every fill", () => (delivered().length >= restFills.length ? true : undefined))
        // Each fill exactly once.
        expect(
          delivered()
            .map((t) => t.id)
            .sort()
        ).toEqual(restFills.map((t) => t.id).sort())

        const open = () => {
          const byContract = new Map<string, Position>()
          for (const e of positions.seen) {
            if (e._tag !== "PositionUpdate") continue
            if (e.position.size === 0) byContract.delete(e.position.contractId)
            else byContract.set(e.position.contractId, e.position)
          }
          return [...byContract.values()].map(positionKey).sort()
        }
        yield* positions.until("positions equal to REST", () =>
          JSON.stringify(open()) === JSON.stringify(restPositions.map(positionKey).sort()) ? true : undefined
        )
        // The gaps were real: some events came from the REST backfill, after a Reconnected signal.
        const all: ReadonlyArray<UserEvent | { _tag: string }> = [...orders.seen, ...fills.seen]
        expect(all.some((e) => "source" in e && e.source === "rest")).toBe(true)
        expect(orders.seen.filter((e) => e._tag === "Reconnected").length).toBeGreaterThanOrEqual(3)
        // No order state was delivered twice in a row.
        const states = orders.seen.flatMap((e) => (e._tag === "OrderUpdate" ? [orderKey(e.order)] : []))
        expect(new Set(states).size).toBe(states.length)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim())),
    90_000
  )

  it.live(
    "a frozen feed that still pings is reported Stale within the threshold, and Recovered when data returns",
    () =>
      Effect.gen(function* () {
        const market = yield* MarketHub
        const quotes = yield* collect(market.quotes("MNQ"))
        yield* quotes.until("a quote", (seen) => (seen.some((e) => e._tag === "Quote") ? true : undefined))
        yield* adminDo((a) => a.setHubs({ frozen: true }))
        const stale = yield* quotes.until("Stale", (seen) => seen.find((e) => e._tag === "Stale"))
        expect(stale._tag === "Stale" && stale.silentMs).toBeGreaterThanOrEqual(1500)
        const health = yield* market.health
        expect(health.state).toBe("connected")
        expect(health.subscriptions[0]?.stale).toBe(true)
        yield* adminDo((a) => a.setHubs({ frozen: false }))
        const recovered = yield* quotes.until("Recovered", (seen) => seen.find((e) => e._tag === "Recovered"))
        expect(recovered._tag === "Recovered" && recovered.gapMs).toBeGreaterThanOrEqual(1500)
        const index = quotes.seen.indexOf(recovered)
        expect(index).toBeGreaterThan(quotes.seen.indexOf(stale))
        // Quotes flow again after the recovery.
        yield* quotes.until("a quote after recovery", (seen) =>
          seen.slice(index).some((e) => e._tag === "Quote") ? true : undefined
        )
        expect((yield* market.health).staleEvents).toBeGreaterThanOrEqual(1)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim({ realtime: { staleAfter: { market: "1500 millis" } } }))),
    60_000
  )

  it.live(
    "GatewayLogout is surfaced to subscribers, the SDK logs in again and reconnects",
    () =>
      Effect.gen(function* () {
        const user = yield* UserHub
        const orders = yield* collect(user.orders())
        yield* subscribed(["orders"])
        const before = yield* adminDo((a) => a.stats())
        yield* adminDo((a) => a.pushLogout({}))
        const logout = yield* orders.until("Logout", (seen) => seen.find((e) => e._tag === "Logout"))
        expect(logout._tag === "Logout" && logout.hub).toBe("user")
        yield* orders.until("Reconnected", (seen) =>
          seen.slice(seen.indexOf(logout)).some((e) => e._tag === "Reconnected") ? true : undefined
        )
        yield* subscribed(["orders"])
        const after = yield* adminDo((a) => a.stats())
        expect(after.logins.succeeded).toBeGreaterThan(before.logins.succeeded)
        const health = yield* user.health
        expect(health.logouts).toBe(1)
        expect(health.state).toBe("connected")
        // The session still works for orders afterwards.
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const placed = yield* (yield* Orders).place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        yield* orders.until("the new order's event", (seen) =>
          seen.some((e) => e._tag === "OrderUpdate" && e.order.id === placed.orderId) ? true : undefined
        )
      }).pipe(Effect.scoped, Effect.provide(realtimeSim())),
    60_000
  )

  it.live(
    "a quote flood on several contracts coalesces for a slow reader and does not hold back order events",
    () =>
      Effect.gen(function* () {
        const market = yield* MarketHub
        const user = yield* UserHub
        const symbols = ["MNQ", "MES", "ENQ", "EP"]
        // A reader that takes 20 ms per quote: far slower than the feed.
        const slow = yield* Effect.forEach(symbols, (s) =>
          collect(market.quotes(s).pipe(Stream.tap(() => Effect.sleep("20 millis"))))
        )
        const orders = yield* collect(user.orders())
        yield* subscribed(["quotes", "orders"])
        yield* slow[0]!.until("the flood", (seen) => (seen.length > 5 ? true : undefined))
        const contract = yield* (yield* Instruments).resolve("MNQ")
        const placed = yield* (yield* Orders).place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
        yield* orders.until("the order's events through the flood", (seen) =>
          seen.some((e) => e._tag === "OrderUpdate" && e.order.id === placed.orderId) ? true : undefined
        )
        // The reader saw a fraction of the feed: the rest was coalesced (counted), never queued.
        const health = yield* market.health
        const read = slow.reduce((n, c) => n + c.seen.length, 0)
        expect(health.messages.GatewayQuote ?? 0).toBeGreaterThan(read)
        expect(health.drops.GatewayQuote ?? 0).toBeGreaterThan(0)
      }).pipe(Effect.scoped, Effect.provide(realtimeSim({ sim: { hubs: { ticksPerSecond: 500 } } }))),
    60_000
  )
})
