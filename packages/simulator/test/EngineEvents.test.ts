// The engine's change events (the seam the realtime hubs subscribe to): every order, position, trade
// and account change is announced once, wire-encoded, and a closed position is announced flat (size 0).
import { OrderSide, OrderStatus, OrderType, PositionType } from "@projectx-effect/gateway"
import { describe, expect, it } from "vitest"
import { users } from "../src/Seed.ts"
import { Engine, type EngineEvent } from "../src/internal/Engine.ts"
import { Market } from "../src/internal/Market.ts"
import { front, wednesday } from "./helpers.ts"

const userId = 501
const accountId = 1001

const setup = () => {
  let now = Date.parse(wednesday)
  const market = new Market({ seed: 42, historyStartMs: Date.parse("2025-01-01T00:00:00Z"), tradingHours: "always" })
  const engine = new Engine(market, () => now, users, {
    maxFillPerStep: 0,
    stopLimit: "reject",
    closeCancelsBrackets: false
  })
  const events: Array<EngineEvent> = []
  const unsubscribe = engine.onEvent((e) => events.push(e))
  return {
    engine,
    events,
    unsubscribe,
    advance: (ms: number) => {
      now += ms
    }
  }
}

const market = (side: OrderSide, size: number) => ({
  accountId,
  contractId: front,
  type: OrderType.Market,
  side,
  size
})

describe("Engine events", () => {
  it("a market fill announces the order, the trade, the position and the account balance", () => {
    const { engine, events } = setup()
    const r = engine.placeOrder(userId, market(OrderSide.Bid, 2))
    expect(r.errorCode).toBe(0)
    const kinds = events.map((e) => e.kind)
    expect(kinds).toContain("trade")
    expect(kinds).toContain("position")
    expect(kinds).toContain("account")
    expect(events.every((e) => e.accountId === accountId)).toBe(true)
    const orders = events.flatMap((e) => (e.kind === "order" ? [e.payload] : []))
    expect(orders.at(-1)).toMatchObject({ id: r.orderId, status: OrderStatus.Filled, fillVolume: 2 })
    const trade = events.find((e) => e.kind === "trade")!
    expect(trade.payload).toMatchObject({ orderId: r.orderId, size: 2, side: OrderSide.Bid, contractId: front })
    const position = events.find((e) => e.kind === "position")!
    expect(position.payload).toMatchObject({ contractId: front, size: 2, type: PositionType.Long })
    const account = events.find((e) => e.kind === "account")!
    expect(account.payload).toMatchObject({ id: accountId, balance: engine.accounts.get(accountId)!.balance })
  })

  it("closing a position announces it with size 0 and its last side", () => {
    const { engine, events } = setup()
    engine.placeOrder(userId, market(OrderSide.Ask, 1))
    events.length = 0
    expect(engine.closePosition(userId, accountId, front, undefined).errorCode).toBe(0)
    const positions = events.flatMap((e) => (e.kind === "position" ? [e.payload] : []))
    expect(positions).toEqual([expect.objectContaining({ contractId: front, size: 0, type: PositionType.Short })])
    expect(engine.searchPositions(userId, accountId).positions).toEqual([])
  })

  it("a resting order is announced when placed, when cancelled, and a rejected one too", () => {
    const { engine, events } = setup()
    const last = engine.searchOrders(userId, accountId, 0, undefined)
    expect(last.orders).toEqual([])
    const placed = engine.placeOrder(userId, { ...market(OrderSide.Bid, 1), type: OrderType.Limit, limitPrice: 1 })
    expect(events).toEqual([
      { kind: "order", accountId, payload: expect.objectContaining({ id: placed.orderId, status: OrderStatus.Open }) }
    ])
    engine.cancel(userId, { accountId, orderId: placed.orderId! })
    expect(events.at(-1)).toMatchObject({ kind: "order", payload: { status: OrderStatus.Cancelled } })
    const refused = engine.placeOrder(userId, market(OrderSide.Bid, 0))
    expect(refused.errorCode).not.toBe(0)
    expect(events.at(-1)).toMatchObject({
      kind: "order",
      payload: { id: refused.orderId, status: OrderStatus.Rejected }
    })
  })

  it("an unsubscribed listener hears nothing more", () => {
    const { engine, events, unsubscribe } = setup()
    unsubscribe()
    engine.placeOrder(userId, market(OrderSide.Bid, 1))
    expect(events).toEqual([])
  })
})
