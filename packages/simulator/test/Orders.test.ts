import {
  CancelOrderErrorCode,
  ClosePositionErrorCode,
  Endpoints,
  ModifyOrderErrorCode,
  OrderSide,
  OrderStatus,
  OrderType,
  PartialClosePositionErrorCode,
  PlaceOrderErrorCode,
  PositionType,
  SearchOrderByIdErrorCode,
  SearchOrderErrorCode
} from "@projectx-effect/gateway"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, startSim, wednesday } from "./helpers.ts"

let sim: Simulator.Handle
let api: Client
const account = 1001
const tick = 0.25

beforeAll(async () => {
  sim = await startSim({ maxFillPerStep: 0 })
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

const place = (body: Record<string, unknown>) =>
  api.call(Endpoints.placeOrder, {
    accountId: account,
    contractId: front,
    type: OrderType.Market,
    side: OrderSide.Bid,
    size: 1,
    ...body
  })

const order = async (orderId: number, accountId = account) =>
  (await api.call(Endpoints.searchOrderById, { accountId, orderId })).order

const positions = async (accountId = account) =>
  (await api.call(Endpoints.searchOpenPositions, { accountId })).positions as Array<{
    contractId: string
    type: number
    size: number
    averagePrice: number
  }>

const trades = async () =>
  (await api.call(Endpoints.searchTrades, { accountId: account, startTimestamp: "2025-01-01T00:00:00Z" }))
    .trades as Array<{
    price: number
    profitAndLoss: number | null
    fees: number
    side: number
    size: number
    orderId: number
  }>

const last = async () => (await sim.market(front)).lastPrice!

describe("market and resting orders", () => {
  it("fills a market order at the ask, opens a position and records an opening half-turn", async () => {
    const m = await sim.market(front)
    const r = await place({ customTag: "entry-1" })
    expect(r).toMatchObject({ success: true, errorCode: 0, errorMessage: null })
    const o = await order(r.orderId)
    expect(o).toMatchObject({ status: OrderStatus.Filled, fillVolume: 1, filledPrice: m.ask, customTag: "entry-1" })
    expect(o.symbolId).toBe("F.US.MNQ")
    expect(o.creationTimestamp).toBe("2025-11-19T15:30:00.000000+00:00")
    expect(await positions()).toMatchObject([
      { contractId: front, type: PositionType.Long, size: 1, averagePrice: m.ask }
    ])
    expect(await trades()).toMatchObject([
      { price: m.ask, profitAndLoss: null, fees: 0.37, side: 0, size: 1, orderId: r.orderId }
    ])
    expect((await api.call(Endpoints.searchOpenOrders, { accountId: account })).orders).toEqual([])
  })

  it("rests a limit order and fills it when the price moves through it", async () => {
    const px = await last()
    const r = await place({ type: OrderType.Limit, limitPrice: px - 10 * tick, size: 2 })
    expect((await order(r.orderId)).status).toBe(OrderStatus.Open)
    const open = await api.call(Endpoints.searchOpenOrders, { accountId: account })
    expect(open.orders.map((o: { id: number }) => o.id)).toEqual([r.orderId])
    await sim.nudgePrice(front, -20)
    const filled = await order(r.orderId)
    expect(filled).toMatchObject({ status: OrderStatus.Filled, fillVolume: 2 })
    expect(filled.filledPrice).toBeLessThanOrEqual(px - 10 * tick)
    expect(await positions()).toMatchObject([{ type: PositionType.Long, size: 2 }])
  })

  it("evaluates resting orders against the path when the clock advances", async () => {
    const px = await last()
    const limit = px - 8 * tick
    const stop = px + 8 * tick
    const buy = await place({ type: OrderType.Limit, limitPrice: limit })
    const stopBuy = await place({ type: OrderType.Stop, side: OrderSide.Bid, stopPrice: stop })
    await sim.advanceClock(3_600_000)
    // Whatever the seeded path did in that hour, the engine must agree with the bars of it.
    const hour = await api.call(Endpoints.retrieveBars, {
      contractId: front,
      live: false,
      startTime: "2025-11-19T15:30:01Z",
      endTime: "2025-11-19T16:30:00Z",
      unit: 1,
      unitNumber: 1,
      limit: 3600,
      includePartialBar: true
    })
    const lows = Math.min(...hour.bars.map((b: { l: number }) => b.l))
    const highs = Math.max(...hour.bars.map((b: { h: number }) => b.h))
    expect((await order(buy.orderId)).status).toBe(lows <= limit ? OrderStatus.Filled : OrderStatus.Open)
    expect((await order(stopBuy.orderId)).status).toBe(highs >= stop ? OrderStatus.Filled : OrderStatus.Open)
    expect((await sim.clock()).now).toBe("2025-11-19T16:30:00.000Z")
  })

  it("fills large resting orders in parts: fillVolume rises while the status stays Open", async () => {
    await sim.setEngine({ maxFillPerStep: 2 })
    const px = await last()
    const r = await place({ type: OrderType.Limit, limitPrice: px - 4 * tick, size: 5 })
    await sim.nudgePrice(front, -60)
    expect(await order(r.orderId)).toMatchObject({ status: OrderStatus.Open, fillVolume: 2 })
    await sim.advanceClock(1000)
    expect(await order(r.orderId)).toMatchObject({ status: OrderStatus.Open, fillVolume: 4 })
    await sim.advanceClock(1000)
    const done = await order(r.orderId)
    expect(done).toMatchObject({ status: OrderStatus.Filled, fillVolume: 5 })
    // Later parts fill at the (gapped-down) open, never above the limit.
    expect(done.filledPrice).toBeLessThanOrEqual(px - 4 * tick)
    expect((await trades()).map((t) => t.size)).toEqual([2, 2, 1])
    await sim.setEngine({ maxFillPerStep: 0 })
  })

  it("converts a trailing stop's price level to ticks at the last price and reads it back as a distance", async () => {
    const px = await last()
    const r = await place({ type: OrderType.TrailingStop, side: OrderSide.Ask, trailPrice: px - 20 * tick })
    expect(r.success).toBe(true)
    const o = await order(r.orderId)
    expect(o).toMatchObject({
      status: OrderStatus.Open,
      trailDistance: 20,
      trailPrice: 20 * tick,
      stopPrice: px - 20 * tick
    })
    // The stop follows the price up, then triggers on the way down.
    await sim.nudgePrice(front, 40)
    expect((await order(r.orderId)).stopPrice).toBeGreaterThan(px)
    await sim.nudgePrice(front, -200)
    expect((await order(r.orderId)).status).toBe(OrderStatus.Filled)
    const rejected = async (trailPrice: number | undefined) =>
      (
        await place({
          type: OrderType.TrailingStop,
          side: OrderSide.Ask,
          ...(trailPrice === undefined ? {} : { trailPrice })
        })
      ).errorMessage
    const now = await last()
    expect(await rejected(now - 1001 * tick)).toBe("Trail Distance exceeds maximum (1000)")
    expect(await rejected(now - 0.1)).toBe("Invalid trail price. Price is not aligned to tick size.")
    expect(await rejected(undefined)).toBe("Trail Distance not set.")
  })

  it("joins the bid and the ask", async () => {
    const m = await sim.market(front)
    const bid = await order((await place({ type: OrderType.JoinBid, side: OrderSide.Bid })).orderId)
    const ask = await order((await place({ type: OrderType.JoinAsk, side: OrderSide.Ask })).orderId)
    expect(bid).toMatchObject({ status: OrderStatus.Open, type: OrderType.JoinBid, limitPrice: m.bid })
    expect(ask).toMatchObject({ status: OrderStatus.Open, type: OrderType.JoinAsk, limitPrice: m.ask })
  })

  it("modifies and cancels working orders only", async () => {
    const px = await last()
    const r = await place({ type: OrderType.Limit, limitPrice: px - 40 * tick, size: 1 })
    expect(
      (
        await api.call(Endpoints.modifyOrder, {
          accountId: account,
          orderId: r.orderId,
          limitPrice: px - 30 * tick,
          size: 3
        })
      ).success
    ).toBe(true)
    expect(await order(r.orderId)).toMatchObject({ limitPrice: px - 30 * tick, size: 3 })
    const misaligned = await api.call(Endpoints.modifyOrder, {
      accountId: account,
      orderId: r.orderId,
      limitPrice: px + 0.1
    })
    expect(misaligned).toMatchObject({ errorCode: ModifyOrderErrorCode.Rejected })
    expect((await api.call(Endpoints.modifyOrder, { accountId: account, orderId: 42 })).errorCode).toBe(
      ModifyOrderErrorCode.OrderNotFound
    )
    expect((await api.call(Endpoints.modifyOrder, { accountId: 2001, orderId: r.orderId })).errorCode).toBe(
      ModifyOrderErrorCode.AccountNotFound
    )
    expect((await api.call(Endpoints.cancelOrder, { accountId: account, orderId: r.orderId })).success).toBe(true)
    expect((await order(r.orderId)).status).toBe(OrderStatus.Cancelled)
    const filled = await place({})
    const refused = await api.call(Endpoints.cancelOrder, { accountId: account, orderId: filled.orderId })
    expect(refused).toMatchObject({
      errorCode: CancelOrderErrorCode.Rejected,
      errorMessage: "Cannot cancel order: already filled"
    })
    expect((await api.call(Endpoints.cancelOrder, { accountId: account, orderId: 42 })).errorCode).toBe(
      CancelOrderErrorCode.OrderNotFound
    )
    expect((await api.call(Endpoints.cancelOrder, { accountId: 2001, orderId: 42 })).errorCode).toBe(
      CancelOrderErrorCode.AccountNotFound
    )
    const modifyFilled = await api.call(Endpoints.modifyOrder, { accountId: account, orderId: filled.orderId, size: 2 })
    expect(modifyFilled.errorCode).toBe(ModifyOrderErrorCode.Rejected)
    const working = await place({ type: OrderType.Limit, limitPrice: px - 40 * tick })
    await sim.updateAccount({ id: account, canTrade: false })
    const blocked = await api.call(Endpoints.modifyOrder, { accountId: account, orderId: working.orderId, size: 2 })
    expect(blocked.errorCode).toBe(ModifyOrderErrorCode.AccountRejected)
  })
})

describe("brackets", () => {
  it("keeps children Suspended until the entry fills, opens them at signed offsets, then cancels the sibling (OCO)", async () => {
    const px = await last()
    const entry = px - 10 * tick
    const r = await place({
      type: OrderType.Limit,
      limitPrice: entry,
      size: 2,
      stopLossBracket: { ticks: -20, type: OrderType.Stop },
      takeProfitBracket: { ticks: 30, type: OrderType.Limit }
    })
    expect(r.success).toBe(true)
    const query = async (statuses: Array<number>) =>
      (await api.call(Endpoints.queryOrders, { filter: { accountId: account, statuses }, sortBy: 1, sortDirection: 0 }))
        .orders as Array<{
        id: number
        status: number
        type: number
        stopPrice: number
        limitPrice: number
        parentOrderId?: number
        linkedOrderId?: number
      }>
    const suspended = await query([OrderStatus.Suspended])
    expect(suspended.length).toBe(2)
    const [sl, tp] = suspended as [(typeof suspended)[0], (typeof suspended)[0]]
    expect(sl).toMatchObject({ type: OrderType.Stop, parentOrderId: r.orderId, linkedOrderId: tp.id })
    expect(tp).toMatchObject({ type: OrderType.Limit, parentOrderId: r.orderId, linkedOrderId: sl.id })
    const open = await api.call(Endpoints.searchOpenOrders, { accountId: account })
    expect(open.orders.map((o: { id: number }) => o.id)).toEqual([r.orderId])

    await sim.setPrice(front, entry - 2 * tick)
    const parent = await order(r.orderId)
    expect(parent.status).toBe(OrderStatus.Filled)
    const fill = parent.filledPrice as number
    expect(await order(sl.id)).toMatchObject({ status: OrderStatus.Open, stopPrice: fill - 20 * tick })
    expect(await order(tp.id)).toMatchObject({ status: OrderStatus.Open, limitPrice: fill + 30 * tick })
    expect((await query([OrderStatus.Open, OrderStatus.Suspended])).length).toBe(2)

    await sim.setPrice(front, fill + 40 * tick)
    expect((await order(tp.id)).status).toBe(OrderStatus.Filled)
    expect((await order(sl.id)).status).toBe(OrderStatus.Cancelled)
    expect(await positions()).toEqual([])
    const t = await trades()
    expect(t.length).toBe(2)
    expect(t[0]!.profitAndLoss).toBeNull()
    // Realized P&L: price difference / tick size × tick value × size.
    expect(t[1]!.profitAndLoss).toBeCloseTo(((t[1]!.price - t[0]!.price) / tick) * 0.5 * 2, 6)
    const accounts = await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })
    const fees = t.reduce((s, x) => s + x.fees, 0)
    expect(accounts.accounts[0].balance).toBeCloseTo(50_000 + t[1]!.profitAndLoss! - fees, 6)
  })

  it("enforces the signed-tick rule and the stop-loss type, with the Gateway's messages", async () => {
    const msg = async (body: Record<string, unknown>) => {
      const r = await place(body)
      expect(r.errorCode).toBe(PlaceOrderErrorCode.OrderRejected)
      expect((await order(r.orderId)).status).toBe(OrderStatus.Rejected)
      return r.errorMessage
    }
    expect(await msg({ stopLossBracket: { ticks: 10, type: OrderType.Stop } })).toBe(
      "Invalid stop loss ticks (10). Ticks should be less than zero when longing."
    )
    expect(await msg({ side: OrderSide.Ask, takeProfitBracket: { ticks: 10, type: OrderType.Limit } })).toBe(
      "Invalid take profit ticks (10). Ticks should be less than zero when going short."
    )
    expect(await msg({ stopLossBracket: { ticks: -10, type: OrderType.Limit } })).toBe("Invalid stop loss type (Limit)")
    await sim.updateAccount({ id: account, minStopLossTicks: 4 })
    expect(await msg({ stopLossBracket: { ticks: -2, type: OrderType.Stop } })).toBe(
      "Stop loss tick value should be at least 4 ticks."
    )
  })

  it("rejects bracket objects on a Position Brackets account, still giving the order an id", async () => {
    const r = await place({ accountId: 1002, stopLossBracket: { ticks: -10, type: OrderType.Stop } })
    expect(r).toMatchObject({
      success: false,
      errorCode: PlaceOrderErrorCode.OrderRejected,
      errorMessage: "Brackets cannot be used with Position Brackets. You must enable Auto OCO Brackets."
    })
    expect(typeof r.orderId).toBe("number")
    expect((await order(r.orderId, 1002)).status).toBe(OrderStatus.Rejected)
    await sim.updateAccount({ id: 1002, bracketMode: "autoOco" })
    expect((await place({ accountId: 1002, stopLossBracket: { ticks: -10, type: OrderType.Stop } })).success).toBe(true)
  })
})

describe("positions", () => {
  it("nets per contract, partially closes, refuses bad sizes, and closes with realized P&L", async () => {
    await place({ size: 3 })
    expect(await positions()).toMatchObject([{ type: PositionType.Long, size: 3 }])
    const partial = await api.call(Endpoints.partialClosePosition, { accountId: account, contractId: front, size: 1 })
    expect(partial.success).toBe(true)
    expect(await positions()).toMatchObject([{ size: 2 }])
    for (const size of [0, -1, 5]) {
      const bad = await api.call(Endpoints.partialClosePosition, { accountId: account, contractId: front, size })
      expect(bad.errorCode).toBe(PartialClosePositionErrorCode.InvalidCloseSize)
    }
    await sim.nudgePrice(front, 12)
    expect((await api.call(Endpoints.closePosition, { accountId: account, contractId: front })).success).toBe(true)
    expect(await positions()).toEqual([])
    const t = await trades()
    expect(t.map((x) => [x.side, x.size])).toEqual([
      [0, 3],
      [1, 1],
      [1, 2]
    ])
    expect(t[0]!.profitAndLoss).toBeNull()
    expect(t[1]!.profitAndLoss).toBeCloseTo(((t[1]!.price - t[0]!.price) / tick) * 0.5, 6)
    expect(t[2]!.profitAndLoss).toBeCloseTo(((t[2]!.price - t[0]!.price) / tick) * 0.5 * 2, 6)
    const noPos = await api.call(Endpoints.closePosition, { accountId: account, contractId: front })
    expect(noPos.errorCode).toBe(ClosePositionErrorCode.PositionNotFound)
    const noPartial = await api.call(Endpoints.partialClosePosition, { accountId: account, contractId: front, size: 1 })
    expect(noPartial.errorCode).toBe(PartialClosePositionErrorCode.PositionNotFound)
  })

  it("flips a position through zero and reports short positions with a positive size", async () => {
    await place({ size: 1 })
    await place({ side: OrderSide.Ask, size: 3 })
    expect(await positions()).toMatchObject([{ type: PositionType.Short, size: 2 }])
  })

  it("answers the close endpoints' error codes", async () => {
    const close = (body: Record<string, unknown>) =>
      api.call(Endpoints.closePosition, { accountId: account, contractId: front, ...body })
    const partial = (body: Record<string, unknown>) =>
      api.call(Endpoints.partialClosePosition, { accountId: account, contractId: front, size: 1, ...body })
    expect((await close({ accountId: 2001 })).errorCode).toBe(ClosePositionErrorCode.AccountNotFound)
    expect((await close({ contractId: "CON.F.US.NOPE.Z25" })).errorCode).toBe(ClosePositionErrorCode.ContractNotFound)
    expect((await close({ accountId: 1003 })).errorCode).toBe(ClosePositionErrorCode.AccountRejected)
    expect((await partial({ accountId: 1006 })).errorCode).toBe(PartialClosePositionErrorCode.AccountRejected)
    expect((await partial({ contractId: "CON.F.US.NOPE.Z25" })).errorCode).toBe(
      PartialClosePositionErrorCode.ContractNotFound
    )
    await place({ size: 2 })
    await sim.setClock({ now: "2025-11-22T12:00:00Z" })
    expect(await close({})).toMatchObject({ errorCode: ClosePositionErrorCode.OrderRejected, errorMessage: null })
    expect(await partial({})).toMatchObject({
      errorCode: PartialClosePositionErrorCode.OrderRejected,
      errorMessage: null
    })
  })
})

describe("rejections", () => {
  it("reaches every documented Order/place code, with Rejected rows that keep an id", async () => {
    const code = async (body: Record<string, unknown>) => {
      const r = await place(body)
      return [r.errorCode, r.errorMessage, r.orderId] as const
    }
    expect((await code({ accountId: 2001 }))[0]).toBe(PlaceOrderErrorCode.AccountNotFound)
    expect((await code({ contractId: "CON.F.US.NOPE.Z25" }))[0]).toBe(PlaceOrderErrorCode.ContractNotFound)
    expect(await code({ contractId: "MNQZ5" })).toEqual([PlaceOrderErrorCode.OrderRejected, "Invalid symbol", null])
    const notActive = await code({ contractId: "CON.F.US.MNQ.H26" })
    expect(notActive[0]).toBe(PlaceOrderErrorCode.ContractNotActive)
    expect((await order(notActive[2])).status).toBe(OrderStatus.Rejected)
    expect((await code({ accountId: 1003 }))[0]).toBe(PlaceOrderErrorCode.AccountRejected)
    expect((await code({ accountId: 1005 }))[0]).toBe(PlaceOrderErrorCode.AccountViolation)
    expect((await code({ contractId: "CON.F.US.EP.Z25", size: 100 }))[0]).toBe(PlaceOrderErrorCode.InsufficientFunds)
    const misaligned = await code({ type: OrderType.Limit, limitPrice: (await last()) + 0.1 })
    expect(misaligned[0]).toBe(PlaceOrderErrorCode.OrderRejected)
    expect(misaligned[1]).toContain("not aligned to tick size")
    expect((await code({ size: 0 }))[0]).toBe(PlaceOrderErrorCode.OrderRejected)
    expect((await code({ type: OrderType.StopLimit, limitPrice: 1, stopPrice: 1 }))[0]).toBe(
      PlaceOrderErrorCode.OrderRejected
    )
    await sim.setClock({ now: "2025-11-22T12:00:00Z" })
    expect((await code({}))[0]).toBe(PlaceOrderErrorCode.OutsideTradingHours)
  })

  it("keeps customTag unique per account", async () => {
    expect((await place({ customTag: "t-1" })).success).toBe(true)
    const dup = await place({ customTag: "t-1" })
    expect(dup).toMatchObject({ success: false, errorCode: PlaceOrderErrorCode.OrderRejected })
    expect(dup.errorMessage).toContain("t-1")
    expect(await order(dup.orderId)).toMatchObject({ status: OrderStatus.Rejected, customTag: null })
    expect((await place({ accountId: 1004, customTag: "t-1" })).success).toBe(true)
  })

  it("refuses cancels from followers and live accounts (code 6)", async () => {
    const px = await last()
    for (const [accountId, message] of [
      [1004, "Follower accounts cannot cancel orders"],
      [1006, "Live accounts not supported"]
    ] as const) {
      const r = await place({ accountId, type: OrderType.Limit, limitPrice: px - 40 * tick })
      expect(r.success).toBe(true)
      const refused = await api.call(Endpoints.cancelOrder, { accountId, orderId: r.orderId })
      expect(refused).toMatchObject({ errorCode: CancelOrderErrorCode.AccountRejected, errorMessage: message })
    }
  })
})

describe("order searches", () => {
  it("searches by time window, by id, and pages v2/query by row offset, at most 100 a page", async () => {
    const px = await last()
    const first = await place({ type: OrderType.Limit, limitPrice: px - 100 * tick })
    await sim.advanceClock(60_000)
    for (let i = 0; i < 104; i++) await place({ type: OrderType.Limit, limitPrice: px - 100 * tick })
    const windowed = await api.call(Endpoints.searchOrders, {
      accountId: account,
      startTimestamp: wednesday,
      endTimestamp: "2025-11-19T15:30:30Z"
    })
    expect(windowed.orders.map((o: { id: number }) => o.id)).toEqual([first.orderId])
    const all = await api.call(Endpoints.searchOrders, { accountId: account, startTimestamp: wednesday })
    expect(all.orders.length).toBe(105)

    const page = (body: Record<string, unknown>) =>
      api.call(Endpoints.queryOrders, { filter: { accountId: account }, includeTotalCount: true, ...body })
    const p1 = await page({ pageSize: 500, sortBy: 1, sortDirection: 0 })
    expect(p1.orders.length).toBe(100)
    expect(p1.totalCount).toBe(105)
    expect(p1.orders[0].id).toBe(first.orderId)
    const p2 = await page({ pageSize: 10, pageOffset: 100, sortBy: 1, sortDirection: 0 })
    expect(p2.orders.map((o: { id: number }) => o.id)).toEqual(all.orders.slice(100).map((o: { id: number }) => o.id))
    const cancelled = await page({ filter: { accountId: account, statuses: [OrderStatus.Cancelled] } })
    expect(cancelled).toMatchObject({ orders: [], totalCount: 0 })
    expect((await api.call(Endpoints.queryOrders, { filter: { accountId: 2001 } })).errorCode).toBe(
      SearchOrderErrorCode.AccountNotFound
    )
    const missingFilter = await fetch(sim.url + Endpoints.queryOrders.path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
      body: JSON.stringify({ pageSize: 10 })
    })
    expect(missingFilter.status).toBe(400)
    expect(JSON.stringify(await missingFilter.json())).toContain("'filter'")
    expect((await api.call(Endpoints.searchOrderById, { accountId: account, orderId: 1 })).errorCode).toBe(
      SearchOrderByIdErrorCode.OrderNotFound
    )
    expect((await api.call(Endpoints.searchOrders, { accountId: 2001, startTimestamp: wednesday })).errorCode).toBe(
      SearchOrderErrorCode.AccountNotFound
    )
    expect((await api.call(Endpoints.searchTrades, { accountId: 2001, startTimestamp: wednesday })).errorCode).toBe(1)
    expect((await api.call(Endpoints.searchOpenPositions, { accountId: 2001 })).errorCode).toBe(1)
    expect((await api.call(Endpoints.searchOpenOrders, { accountId: 2001 })).errorCode).toBe(1)
  })
})
