import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  DomType,
  GatewayDepthArgs,
  GatewayLogoutArgs,
  GatewayQuoteArgs,
  GatewayTradeArgs,
  GatewayUserAccountArgs,
  GatewayUserOrderArgs,
  GatewayUserPositionArgs,
  GatewayUserTradeArgs,
  HubEventArgs,
  MarketHubEvent,
  OrderStatus,
  UserHubEvent
} from "../src/index.ts"

const decode = <S extends Schema.Top>(schema: S) =>
  Schema.decodeUnknownSync(schema as never) as (u: unknown) => S["Type"]
const fails = (schema: Schema.Top, input: unknown) =>
  expect(Schema.decodeUnknownExit(schema as never)(input)._tag, JSON.stringify(input)).toBe("Failure")

// Payloads as gateway-api.md §9 documents them.
const quote = {
  symbol: "F.US.EP",
  symbolName: "/ES",
  lastPrice: 2100.25,
  bestBid: 2100,
  bestAsk: 2100.25,
  change: 25.25,
  changePercent: 0.14,
  open: 2090,
  high: 2110,
  low: 2080,
  volume: 12000,
  lastUpdated: "2024-07-21T13:45:00Z",
  timestamp: "2024-07-21T13:45:00Z"
}
const order = {
  id: 789,
  accountId: 123,
  contractId: "CON.F.US.EP.U25",
  creationTimestamp: "2024-07-21T13:45:00Z",
  updateTimestamp: "2024-07-21T13:46:00Z",
  status: 1,
  type: 1,
  side: 0,
  size: 1,
  limitPrice: 2100.5,
  stopPrice: null,
  fillVolume: 0,
  filledPrice: null,
  customTag: "strategy-1"
}

describe("Realtime", () => {
  it("decodes a full quote, then a delta that carries only what changed", () => {
    const [contractId, full] = decode(GatewayQuoteArgs)(["CON.F.US.EP.U25", quote])
    expect(contractId).toBe("CON.F.US.EP.U25")
    expect(full.lastPrice).toBe(2100.25)
    expect(full.timestamp?.getTime()).toBe(Date.UTC(2024, 6, 21, 13, 45))
    const [, delta] = decode(GatewayQuoteArgs)(["CON.F.US.EP.U25", { bestBid: 2100.25, futureField: "x" }])
    expect(delta).toEqual({ bestBid: 2100.25 })
    expect("lastPrice" in delta).toBe(false)
  })

  it("refuses values that would mislead: a numeric contract id, a price that is a string, an unknown side", () => {
    fails(GatewayQuoteArgs, [42, quote])
    fails(GatewayQuoteArgs, ["", quote])
    fails(GatewayQuoteArgs, ["CON.F.US.EP.U25", { lastPrice: "2100.25" }])
    fails(GatewayTradeArgs, [
      "CON.F.US.EP.U25",
      [{ price: 2100, timestamp: "2024-07-21T13:45:00Z", type: 2, volume: 1 }]
    ])
    fails(GatewayDepthArgs, ["CON.F.US.EP.U25", [{ timestamp: "2024-07-21T13:45:00Z", type: 99, price: 1, volume: 1 }]])
    fails(GatewayUserOrderArgs, [{ ...order, side: 3 }])
    fails(GatewayUserOrderArgs, [{ ...order, id: "789" }])
  })

  it("decodes trades and depth as arrays, and a lone object as an array of one", () => {
    const print = { symbolId: "F.US.EP", price: 2100.25, timestamp: "2024-07-21T13:45:00Z", type: 0, volume: 2 }
    const [, many] = decode(GatewayTradeArgs)(["CON.F.US.EP.U25", [print, { ...print, type: 1 }]])
    expect(many.map((t) => t.type)).toEqual([0, 1])
    const [, one] = decode(GatewayTradeArgs)(["CON.F.US.EP.U25", print])
    expect(one).toHaveLength(1)
    expect(one[0]?.price).toBe(2100.25)

    const entries = [
      { timestamp: "2024-07-21T13:45:00Z", type: DomType.Reset, price: 0, volume: 0, currentVolume: 0 },
      { timestamp: "2024-07-21T13:45:00Z", type: DomType.Bid, price: 2100, volume: 10, currentVolume: 10 },
      { timestamp: "2024-07-21T13:45:00Z", type: DomType.Ask, price: 2100.25, volume: 7 }
    ]
    const [, depth] = decode(GatewayDepthArgs)(["CON.F.US.EP.U25", entries])
    expect(depth.map((e) => e.type)).toEqual([DomType.Reset, DomType.Bid, DomType.Ask])
  })

  it("decodes user events bare and inside the {action, data} wrapper to the same model", () => {
    const [bare] = decode(GatewayUserOrderArgs)([order])
    const [wrapped] = decode(GatewayUserOrderArgs)([{ action: 1, data: order }])
    expect(wrapped).toEqual(bare)
    expect(bare.status).toBe(OrderStatus.Open)

    const account = { id: 123, name: "Main Trading Account", balance: 10000.5, canTrade: true, isVisible: true }
    expect(decode(GatewayUserAccountArgs)([{ action: 0, data: account }])[0].balance).toBe(10000.5)

    const flat = {
      id: 456,
      accountId: 123,
      contractId: "CON.F.US.EP.U25",
      creationTimestamp: "2024-07-21T13:45:00Z",
      type: 1,
      size: 0,
      averagePrice: 2100.25
    }
    expect(decode(GatewayUserPositionArgs)([flat])[0].size).toBe(0)

    const fill = {
      id: 101112,
      accountId: 123,
      contractId: "CON.F.US.EP.U25",
      creationTimestamp: "2024-07-21T13:47:00Z",
      price: 2100.75,
      profitAndLoss: null,
      fees: 2.5,
      side: 0,
      size: 1,
      voided: false,
      orderId: 789
    }
    const [trade] = decode(GatewayUserTradeArgs)([{ action: 0, data: fill }])
    expect(trade.profitAndLoss).toBeNull()
    // a wrapper whose data is not the model is refused, not read as an empty object
    fails(GatewayUserTradeArgs, [{ action: 0, data: { id: 1 } }])
  })

  it("maps every event name to its argument Schema, and tolerates whatever GatewayLogout carries", () => {
    for (const name of [...Object.values(MarketHubEvent), ...Object.values(UserHubEvent)]) {
      expect(HubEventArgs[name], name).toBeDefined()
    }
    expect(decode(GatewayLogoutArgs)([])).toEqual([])
    expect(decode(GatewayLogoutArgs)(["session ended"])).toEqual(["session ended"])
  })
})
