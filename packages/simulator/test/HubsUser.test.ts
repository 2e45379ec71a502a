import type { HubConnection } from "@microsoft/signalr"
import {
  Endpoints,
  GatewayUserAccountArgs,
  GatewayUserOrderArgs,
  GatewayUserPositionArgs,
  GatewayUserTradeArgs,
  OrderSide,
  OrderStatus,
  OrderType,
  PositionType
} from "@projectx-effect/gateway"
import { Schema } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, startSim } from "./helpers.ts"
import { connect, eventually } from "./hubs.ts"

const accountId = 1001

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  sim = await startSim({ hubs: { keepAliveMs: 500 } })
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

type Event = { readonly name: string; readonly data: any }

/** A user-hub connection subscribed to everything of `accountId`, recording decoded events in order. */
const userHub = async (options: { skipNegotiation?: boolean; reconnect?: boolean } = {}) => {
  const events: Array<Event> = []
  const decoders = {
    GatewayUserAccount: Schema.decodeUnknownSync(GatewayUserAccountArgs),
    GatewayUserOrder: Schema.decodeUnknownSync(GatewayUserOrderArgs),
    GatewayUserPosition: Schema.decodeUnknownSync(GatewayUserPositionArgs),
    GatewayUserTrade: Schema.decodeUnknownSync(GatewayUserTradeArgs)
  }
  const subscribe = async (c: HubConnection) => {
    await c.invoke("SubscribeAccounts")
    await c.invoke("SubscribeOrders", accountId)
    await c.invoke("SubscribePositions", accountId)
    await c.invoke("SubscribeTrades", accountId)
  }
  const connection = await connect(sim.url, "user", () => api.token, {
    ...options,
    build: (c) => {
      for (const [name, decode] of Object.entries(decoders)) {
        c.on(name, (payload: unknown) => events.push({ name, data: decode([payload])[0] }))
      }
      c.on("GatewayLogout", () => events.push({ name: "GatewayLogout", data: null }))
      c.onreconnected(() => void subscribe(c))
    }
  })
  await subscribe(connection)
  return { connection, events }
}

const placeMarket = async (side: number, size: number): Promise<number> => {
  const r = await api.call(Endpoints.placeOrder, { accountId, contractId: front, type: OrderType.Market, side, size })
  expect(r.success).toBe(true)
  return r.orderId as number
}

describe("user hub", () => {
  it("a market order yields order, trade and position events; closing announces a flat position and the balance", async () => {
    const { connection, events } = await userHub({ skipNegotiation: false })
    try {
      const orderId = await placeMarket(OrderSide.Bid, 1)
      await eventually("the position", () => events.find((e) => e.name === "GatewayUserPosition"))
      const orders = events.filter((e) => e.name === "GatewayUserOrder").map((e) => e.data)
      expect(orders.at(-1)).toMatchObject({ id: orderId, status: OrderStatus.Filled, fillVolume: 1 })
      const trade = events.find((e) => e.name === "GatewayUserTrade")!.data
      expect(trade).toMatchObject({ orderId, size: 1, side: OrderSide.Bid, profitAndLoss: null })
      const position = events.find((e) => e.name === "GatewayUserPosition")!.data
      expect(position).toMatchObject({ accountId, contractId: front, size: 1, type: PositionType.Long })

      const close = await api.call(Endpoints.closePosition, { accountId, contractId: front })
      expect(close.success).toBe(true)
      const flat = await eventually("the flat position", () =>
        events.find((e) => e.name === "GatewayUserPosition" && e.data.size === 0)
      )
      expect(flat.data.contractId).toBe(front)
      // Every fill changes the balance (fees, then the realized P&L): the last announcement is REST's balance.
      const rest = await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })
      const balance = rest.accounts.find((a: { id: number }) => a.id === accountId).balance
      await eventually("the final balance", () =>
        events.filter((e) => e.name === "GatewayUserAccount").at(-1)?.data.balance === balance ? true : undefined
      )
      // Compared with REST afterwards: one trade event per fill, none doubled.
      const trades = await api.call(Endpoints.searchTrades, { accountId, startTimestamp: "2025-11-01T00:00:00Z" })
      const eventTrades = events.filter((e) => e.name === "GatewayUserTrade").map((e) => e.data.id)
      expect(eventTrades.sort()).toEqual(trades.trades.map((t: { id: number }) => t.id).sort())
    } finally {
      await connection.stop()
    }
  })

  it("wraps user events as {action, data} when asked, which decode to the same models", async () => {
    await sim.setHubs({ wrapUserEvents: true })
    const raw: Array<unknown> = []
    const { connection, events } = await userHub()
    connection.on("GatewayUserTrade", (payload: unknown) => raw.push(payload))
    try {
      const orderId = await placeMarket(OrderSide.Ask, 2)
      await eventually("the trade", () => (raw.length > 0 ? true : undefined))
      expect(raw[0]).toMatchObject({ action: 0, data: { orderId } })
      const position = await eventually("the position", () => events.find((e) => e.name === "GatewayUserPosition"))
      expect(position.data).toMatchObject({ type: PositionType.Short, size: 2 })
    } finally {
      await connection.stop()
    }
  })

  it("reconnects after every socket is dropped, and the resubscribed connection hears new fills", async () => {
    const { connection, events } = await userHub({ reconnect: true })
    try {
      for (let round = 1; round <= 3; round++) {
        let reconnected = false
        connection.onreconnected(() => {
          reconnected = true
        })
        const dropped = await sim.dropHubConnections({ hub: "user" })
        expect(dropped.connections).toBe(1)
        await eventually(`reconnect ${round}`, () => (reconnected ? true : undefined))
        // Subscriptions are replayed in onreconnected, trades last; wait for the server to count that one
        // (the fill below is heard through it).
        await eventually("resubscribed", async () =>
          (await sim.stats()).hubs.subscriptions.userTrades === 1 ? true : undefined
        )
        const orderId = await placeMarket(OrderSide.Bid, 1)
        await eventually(`fill ${round}`, () =>
          events.find((e) => e.name === "GatewayUserTrade" && e.data.orderId === orderId)
        )
      }
      const stats = await sim.stats()
      expect(stats.hubs.connections.opened).toBe(4)
    } finally {
      await connection.stop()
    }
  })

  it("closes with allowReconnect (the client comes back) and without it (the client stops)", async () => {
    const { connection } = await userHub({ reconnect: true })
    let reconnected = false
    let closedWith: Error | undefined
    let closed = false
    connection.onreconnected(() => {
      reconnected = true
    })
    connection.onclose((error) => {
      closed = true
      closedWith = error
    })
    await sim.closeHubConnections({ allowReconnect: true, error: "Maintenance" })
    await eventually("the reconnect", () => (reconnected ? true : undefined))
    await sim.closeHubConnections({ error: "Go away" })
    await eventually("the close", () => (closed ? true : undefined))
    expect(closedWith?.message).toMatch(/Go away/)
    expect(connection.state).toBe("Disconnected")
  })

  it("refuses a bad token on negotiate and on the socket", async () => {
    const bad = () => "not-a-token"
    await expect(connect(sim.url, "user", bad, { skipNegotiation: false })).rejects.toThrow()
    await expect(connect(sim.url, "market", bad)).rejects.toThrow()
    const stats = await sim.stats()
    expect(stats.hubs.connections.refused).toBeGreaterThanOrEqual(2)
  })

  it("pushes GatewayLogout from the admin API and, with singleSession, when the user logs in elsewhere", async () => {
    const { connection, events } = await userHub()
    try {
      const pushed = await sim.pushLogout({ userName: "demo" })
      expect(pushed.connections).toBe(1)
      await eventually("the pushed logout", () => events.find((e) => e.name === "GatewayLogout"))

      await sim.setHubs({ singleSession: true })
      const other = client(sim.url)
      await other.login()
      await eventually("the second logout", () =>
        events.filter((e) => e.name === "GatewayLogout").length === 2 ? true : undefined
      )
    } finally {
      await connection.stop()
    }
  })

  it("closes a connection with an error when its token expires, if configured", async () => {
    await sim.setHubs({ closeOnTokenExpiry: true })
    // Expiry is whole seconds after a login at any fraction of one: 4 s leaves at least 3 s to connect.
    await sim.setTokenLifetime(4)
    const shortLived = client(sim.url)
    await shortLived.login()
    let closedWith: Error | undefined
    let closed = false
    const connection = await connect(sim.url, "user", () => shortLived.token, {
      build: (c) =>
        c.onclose((error) => {
          closed = true
          closedWith = error
        })
    })
    await eventually("the expiry close", () => (closed ? true : undefined))
    expect(connection.state).toBe("Disconnected")
    expect(closedWith?.message).toMatch(/expired/)
  })
})
