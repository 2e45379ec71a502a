// CME Globex hours (issue 14): bars, fills and order placement follow Sunday 17:00 → Friday 16:00
// America/Chicago with the daily halt and the holiday table; always-open mode and the bar options.
import { Endpoints, OrderSide, OrderStatus, OrderType, PlaceOrderErrorCode } from "@projectx-effect/gateway"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { chicagoTime, type Client, client, front, isCmeOpen, startSim } from "./helpers.ts"

type Bar = { t: string; o: number; h: number; l: number; c: number; v: number }

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  // Early January 2026: the whole 2025 holiday season is history. MNQ's front month is H26.
  sim = await startSim({ clock: { mode: "fixed", start: "2026-01-07T15:30:00Z" } })
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())

const minuteBars = async (startTime: string, endTime: string, c: Client = api, limit = 20_000) => {
  const r = await c.call(Endpoints.retrieveBars, {
    contractId: "CON.F.US.MNQ.H26",
    live: false,
    startTime,
    endTime,
    unit: 2,
    unitNumber: 1,
    limit,
    includePartialBar: false
  })
  return r.bars as Array<Bar>
}

const oldest = (bars: ReadonlyArray<Bar>) => bars[bars.length - 1]!.t
const newest = (bars: ReadonlyArray<Bar>) => bars[0]!.t

describe("CME hours", () => {
  it("no bar inside the daily halt or the weekend closure, across a DST switch", async () => {
    // 2025-10-27 → 2025-11-08: CDT, then CST from Sunday 2 November.
    const bars = await minuteBars("2025-10-27T00:00:00Z", "2025-11-07T23:59:59Z")
    expect(bars.length).toBeGreaterThan(10 * 22 * 60)
    const closed = bars.filter((b) => !isCmeOpen(Date.parse(b.t)))
    expect(closed).toEqual([])
    // The halt is there every weekday: nothing between 16:00 and 17:00 CT, trading on both sides.
    const minutes = new Set(bars.map((b) => chicagoTime(Date.parse(b.t)).minute))
    expect(minutes.has(15 * 60 + 59)).toBe(true)
    expect(minutes.has(17 * 60)).toBe(true)
    for (let m = 16 * 60; m < 17 * 60; m++) expect(minutes.has(m)).toBe(false)
  })

  it("opens the week with a bar at Sunday 17:00 CT, in daylight and in standard time", async () => {
    // Sunday 13 July 2025 (CDT, UTC−5) and Sunday 16 November 2025 (CST, UTC−6).
    const summer = await minuteBars("2025-07-11T00:00:00Z", "2025-07-13T23:59:59Z")
    const summerWeek = summer.filter((b) => b.t >= "2025-07-12")
    expect(oldest(summerWeek)).toBe("2025-07-13T22:00:00+00:00")
    expect(newest(summer.filter((b) => b.t < "2025-07-12"))).toBe("2025-07-11T20:59:00+00:00")
    const winter = await minuteBars("2025-11-14T00:00:00Z", "2025-11-16T23:59:59Z")
    expect(oldest(winter.filter((b) => b.t >= "2025-11-15"))).toBe("2025-11-16T23:00:00+00:00")
    expect(newest(winter.filter((b) => b.t < "2025-11-15"))).toBe("2025-11-14T21:59:00+00:00")
  })

  it("closes for Christmas after the Christmas Eve early close (12:15 CT), and halts at noon on Thanksgiving", async () => {
    const christmas = await minuteBars("2025-12-24T00:00:00Z", "2025-12-26T06:00:00Z")
    expect(newest(christmas.filter((b) => b.t < "2025-12-25"))).toBe("2025-12-24T18:14:00+00:00")
    // Closed on the 25th until the 17:00 CT open of the 26th's session.
    expect(oldest(christmas.filter((b) => b.t >= "2025-12-24T18:15"))).toBe("2025-12-25T23:00:00+00:00")
    const thanksgiving = await minuteBars("2025-11-27T00:00:00Z", "2025-11-28T23:59:59Z")
    const thursday = thanksgiving.filter((b) => b.t < "2025-11-28")
    expect(newest(thursday.filter((b) => b.t < "2025-11-27T20"))).toBe("2025-11-27T17:59:00+00:00")
    expect(thursday.filter((b) => b.t >= "2025-11-27T18:00" && b.t < "2025-11-27T23:00")).toEqual([])
    // Black Friday: early close at 12:15 CT, then the weekend.
    expect(newest(thanksgiving)).toBe("2025-11-28T18:14:00+00:00")
  })

  it("refuses orders while closed (code 5), and a resting order waits for the reopen", async () => {
    // Friday 21 November 2025, 15:55 CT: five minutes before the weekend closure.
    const s = await startSim({ clock: { mode: "fixed", start: "2025-11-21T21:55:00Z" } })
    try {
      const c = client(s.url)
      await c.login()
      const accountId = 1001
      const last = (await s.market(front)).lastPrice as number
      const resting = await c.call(Endpoints.placeOrder, {
        accountId,
        contractId: front,
        type: OrderType.Limit,
        side: OrderSide.Bid,
        size: 1,
        limitPrice: last - 2_000
      })
      expect(resting).toMatchObject({ success: true, errorCode: 0 })
      await s.setClock({ now: "2025-11-22T15:00:00Z" }) // Saturday
      for (const type of [OrderType.Market, OrderType.Limit, OrderType.Stop]) {
        const refused = await c.call(Endpoints.placeOrder, {
          accountId,
          contractId: front,
          type,
          side: OrderSide.Bid,
          size: 1,
          limitPrice: type === OrderType.Limit ? last : null,
          stopPrice: type === OrderType.Stop ? last + 100 : null
        })
        expect(refused).toMatchObject({
          success: false,
          errorCode: PlaceOrderErrorCode.OutsideTradingHours,
          errorMessage: "Market is closed."
        })
      }
      // A price move while closed fills nothing: the order meets it when the market reopens.
      await s.setPrice(front, last - 2_500)
      const open = await c.call(Endpoints.searchOpenOrders, { accountId })
      expect(open.orders.map((o: { id: number }) => o.id)).toEqual([resting.orderId])
      expect(
        (await c.call(Endpoints.searchTrades, { accountId, startTimestamp: "2025-11-01T00:00:00Z" })).trades
      ).toEqual([])
      await s.setClock({ now: "2025-11-23T23:05:00Z" }) // Sunday 17:05 CT
      const after = await c.call(Endpoints.searchOrders, { accountId, startTimestamp: "2025-11-01T00:00:00Z" })
      const order = after.orders.find((o: { id: number }) => o.id === resting.orderId)
      expect(order.status).toBe(OrderStatus.Filled)
      const trades = await c.call(Endpoints.searchTrades, { accountId, startTimestamp: "2025-11-01T00:00:00Z" })
      expect(
        trades.trades.map((t: { creationTimestamp: string }) => t.creationTimestamp >= "2025-11-23T23:00")
      ).toEqual([true])
    } finally {
      await s.stop()
    }
  })
})

describe("options", () => {
  it("always-open mode trades on Saturday", async () => {
    const s = await startSim({ tradingHours: "always", clock: { mode: "fixed", start: "2025-11-22T15:00:00Z" } })
    try {
      const c = client(s.url)
      await c.login()
      const bars = await minuteBars("2025-11-22T14:00:00Z", "2025-11-22T15:00:00Z", c)
      expect(bars.length).toBe(60)
      const placed = await c.call(Endpoints.placeOrder, {
        accountId: 1001,
        contractId: front,
        type: OrderType.Market,
        side: OrderSide.Bid,
        size: 1
      })
      expect(placed).toMatchObject({ success: true, errorCode: 0 })
    } finally {
      await s.stop()
    }
  })

  it("over 20,000 bars: code 4 with a message, or 20,000 bars with barsOverLimit: clamp", async () => {
    const refused = await api.call(Endpoints.retrieveBars, {
      contractId: "CON.F.US.MNQ.H26",
      live: false,
      startTime: "2025-06-01T00:00:00Z",
      endTime: "2026-01-07T00:00:00Z",
      unit: 2,
      unitNumber: 1,
      limit: 25_000,
      includePartialBar: false
    })
    expect(refused).toMatchObject({ success: false, errorCode: 4, bars: null })
    expect(refused.errorMessage).toContain("20000")
    const s = await startSim({ barsOverLimit: "clamp", clock: { mode: "fixed", start: "2026-01-07T15:30:00Z" } })
    try {
      const c = client(s.url)
      await c.login()
      const bars = await minuteBars("2025-06-01T00:00:00Z", "2026-01-07T00:00:00Z", c, 25_000)
      expect(bars.length).toBe(20_000)
    } finally {
      await s.stop()
    }
  })

  it("dayBars: session cuts day bars at the 17:00 CT open; the default cuts at 00:00 UTC", async () => {
    const body = {
      contractId: "CON.F.US.MNQ.H26",
      live: false,
      startTime: "2025-11-17T00:00:00Z",
      endTime: "2025-11-21T23:59:59Z",
      unit: 4,
      unitNumber: 1,
      limit: 10,
      includePartialBar: false
    }
    const utc = (await api.call(Endpoints.retrieveBars, body)).bars as Array<Bar>
    expect(utc.map((b) => b.t.slice(11))).toEqual(Array(5).fill("00:00:00+00:00"))
    const s = await startSim({ dayBars: "session", clock: { mode: "fixed", start: "2026-01-07T15:30:00Z" } })
    try {
      const c = client(s.url)
      await c.login()
      const session = (await c.call(Endpoints.retrieveBars, body)).bars as Array<Bar>
      // Trade dates Tue 18 … Fri 21 November (Monday's session opened on Sunday, before the window).
      expect(session.map((b) => b.t)).toEqual([
        "2025-11-20T23:00:00+00:00",
        "2025-11-19T23:00:00+00:00",
        "2025-11-18T23:00:00+00:00",
        "2025-11-17T23:00:00+00:00"
      ])
      // A session day bar aggregates its session's minutes: 23 hours, 17:00 CT to 16:00 CT.
      const minutes = await minuteBars("2025-11-18T23:00:00Z", "2025-11-19T22:59:59Z", c)
      expect(minutes.length).toBe(23 * 60)
      expect(session[2]!.v).toBe(minutes.reduce((n, b) => n + b.v, 0))
      expect(session[2]!.o).toBe(minutes[minutes.length - 1]!.o)
      expect(session[2]!.c).toBe(minutes[0]!.c)
    } finally {
      await s.stop()
    }
  })
})
