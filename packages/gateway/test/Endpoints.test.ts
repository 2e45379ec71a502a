import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, Equal, Schema } from "effect"
import * as fc from "fast-check"
import {
  allEndpoints,
  byPath,
  decodeBarColumns,
  describeErrorCode,
  Endpoints,
  Envelope,
  OrderStatus,
  PlaceOrderErrorCode,
  PositionType,
  RetrieveBarsResponse
} from "../src/index.ts"

// Example payloads in the shapes gateway-api.md documents (values from its examples and tables).
const examples = {
  loginKey: { token: "eyJhbGciOiJIUzI1NiJ9.e30.sig", success: true, errorCode: 0, errorMessage: null },
  validate: { success: true, errorCode: 0, errorMessage: null, newToken: "eyJhbGciOiJIUzI1NiJ9.e30.new" },
  searchAccounts: {
    accounts: [
      { id: 1, name: "TEST_ACCOUNT_1", balance: 50000, canTrade: true, isVisible: true, simulated: true },
      { id: 2, name: "PRAC-V2-1234", balance: 150000.5, canTrade: false, isVisible: true }
    ],
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  searchContractById: {
    contract: {
      id: "CON.F.US.ENQ.U25",
      name: "NQU5",
      description: "E-mini NASDAQ-100: September 2025",
      tickSize: 0.25,
      tickValue: 5,
      activeContract: true,
      symbolId: "F.US.ENQ"
    },
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  retrieveBars: {
    bars: [
      { t: "2024-12-20T14:00:00+00:00", o: 2208.1, h: 2217, l: 2206.7, c: 2210.1, v: 87 },
      { t: "2024-12-20T13:00:00Z", o: 2195.8, h: 2215, l: 2192.9, c: 2209.8, v: 536 },
      { t: "2024-12-20T12:00:00.000000", o: 2193.1, h: 2200.3, l: 2192.5, c: 2198.6, v: 164 }
    ],
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  searchOpenOrders: {
    orders: [
      {
        id: 26060,
        accountId: 545,
        contractId: "CON.F.US.EP.M25",
        symbolId: "F.US.EP",
        creationTimestamp: "2025-04-14T17:49:10.142532+00:00",
        updateTimestamp: null,
        status: 1,
        type: 1,
        side: 0,
        size: 1,
        limitPrice: 6335.25,
        stopPrice: null,
        fillVolume: 0,
        filledPrice: null,
        customTag: "bot-1"
      }
    ],
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  searchOpenPositions: {
    positions: [
      {
        id: 6124,
        accountId: 536,
        contractId: "CON.F.US.GMET.J25",
        creationTimestamp: "2025-04-21T19:52:32.175721+00:00",
        type: 1,
        size: 2,
        averagePrice: 1575.75
      }
    ],
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  searchTrades: {
    trades: [
      {
        id: 8604,
        accountId: 203,
        contractId: "CON.F.US.EP.H25",
        creationTimestamp: "2025-01-21T16:13:52.523293+00:00",
        price: 6065.25,
        profitAndLoss: 50,
        fees: 1.4,
        side: 1,
        size: 1,
        voided: false,
        orderId: 14328
      },
      {
        id: 8603,
        accountId: 203,
        contractId: "CON.F.US.EP.H25",
        creationTimestamp: "2025-01-21T16:13:04.142302+00:00",
        price: 6064.25,
        profitAndLoss: null,
        fees: 1.4,
        side: 0,
        size: 1,
        voided: false,
        orderId: 14326
      }
    ],
    success: true,
    errorCode: 0,
    errorMessage: null
  },
  placeOrder: { orderId: 9056, success: true, errorCode: 0, errorMessage: null }
} as const

const decode = <K extends keyof typeof examples>(key: K) =>
  Schema.decodeUnknownSync(Endpoints[key].response as Schema.Codec<unknown, unknown>)(examples[key]) as any

describe("the endpoint table", () => {
  it("lists every endpoint of the Gateway once, under /api, POST except ping", () => {
    expect(allEndpoints.map((e) => e.path).sort()).toEqual(
      [
        "/api/Account/search",
        "/api/Auth/loginApp",
        "/api/Auth/loginKey",
        "/api/Auth/logout",
        "/api/Auth/validate",
        "/api/Contract/available",
        "/api/Contract/search",
        "/api/Contract/searchById",
        "/api/History/retrieveBars",
        "/api/Order/cancel",
        "/api/Order/modify",
        "/api/Order/place",
        "/api/Order/search",
        "/api/Order/searchById",
        "/api/Order/searchOpen",
        "/api/Order/v2/query",
        "/api/Position/closeContract",
        "/api/Position/partialCloseContract",
        "/api/Position/searchOpen",
        "/api/Status/ping",
        "/api/Trade/search"
      ].sort()
    )
    expect(byPath.get("/api/Status/ping")?.method).toBe("GET")
    expect(allEndpoints.filter((e) => e.method === "GET")).toHaveLength(1)
  })

  it("never marks an order or position mutation safe to retry, and puts only bars in the history bucket", () => {
    const unsafe = allEndpoints.filter((e) => !e.retrySafe).map((e) => e.name)
    expect(unsafe.sort()).toEqual(["CancelOrder", "ClosePosition", "ModifyOrder", "PartialClosePosition", "PlaceOrder"])
    expect(allEndpoints.filter((e) => e.bucket === "history").map((e) => e.name)).toEqual(["RetrieveBars"])
  })

  it("reports error codes by name per endpoint", () => {
    expect(describeErrorCode("PlaceOrder", PlaceOrderErrorCode, 9)).toBe("PlaceOrder: ContractNotActive (9)")
    expect(describeErrorCode("CancelOrder", Endpoints.cancelOrder.errors, 2)).toBe("CancelOrder: OrderNotFound (2)")
    expect(describeErrorCode("PlaceOrder", PlaceOrderErrorCode, 42)).toBe("PlaceOrder: Unknown(42) (42)")
    // the same integer means different things on close and partial close
    expect(Endpoints.closePosition.errors.OrderRejected).toBe(5)
    expect(Endpoints.partialClosePosition.errors.InvalidCloseSize).toBe(5)
  })
})

describe("documented payloads decode to the expected values", () => {
  it("accounts, with and without the newer `simulated` field", () => {
    const { accounts } = decode("searchAccounts")
    expect(accounts[0]).toEqual({
      id: 1,
      name: "TEST_ACCOUNT_1",
      balance: 50000,
      canTrade: true,
      isVisible: true,
      simulated: true
    })
    expect(accounts[1].simulated).toBeUndefined()
  })

  it("the singular `contract` of searchById", () => {
    const { contract } = decode("searchContractById")
    expect(contract.id).toBe("CON.F.US.ENQ.U25")
    expect(contract.tickSize).toBe(0.25)
    expect(contract.activeContract).toBe(true)
  })

  it("bars with mixed timestamp forms", () => {
    const { bars } = decode("retrieveBars")
    expect(bars.map((b: { t: Date }) => b.t.toISOString())).toEqual([
      "2024-12-20T14:00:00.000Z",
      "2024-12-20T13:00:00.000Z",
      "2024-12-20T12:00:00.000Z"
    ])
    expect(bars[0].c).toBe(2210.1)
    expect(bars[1].v).toBe(536)
  })

  it("orders, positions and half-turn trades", () => {
    const order = decode("searchOpenOrders").orders[0]
    expect(order.status).toBe(OrderStatus.Open)
    expect(order.limitPrice).toBe(6335.25)
    expect(order.creationTimestamp.toISOString()).toBe("2025-04-14T17:49:10.142Z")
    const position = decode("searchOpenPositions").positions[0]
    expect(position.type).toBe(PositionType.Long)
    expect(position.size).toBe(2)
    const [closing, opening] = decode("searchTrades").trades
    expect(closing.profitAndLoss).toBe(50)
    expect(opening.profitAndLoss).toBeNull()
  })

  it("login, validate and place", () => {
    expect(decode("loginKey").token).toMatch(/^eyJ/)
    expect(decode("validate").newToken).toMatch(/new$/)
    expect(decode("placeOrder").orderId).toBe(9056)
  })

  it("a failed login is an envelope with success false and a null token", () => {
    const failure = Schema.decodeUnknownSync(Envelope)({
      token: null,
      success: false,
      errorCode: 3,
      errorMessage: null
    })
    expect(failure).toEqual({ success: false, errorCode: 3, errorMessage: null })
    expect(
      Schema.decodeUnknownExit(Endpoints.loginKey.response)({ token: null, success: false, errorCode: 3 })._tag
    ).toBe("Failure")
  })

  it("is strict where a wrong value is dangerous", () => {
    const order = examples.searchOpenOrders.orders[0]
    const bad = (patch: object) =>
      Schema.decodeUnknownExit(Endpoints.searchOpenOrders.response)({
        ...examples.searchOpenOrders,
        orders: [{ ...order, ...patch }]
      })._tag
    expect(bad({})).toBe("Success")
    expect(bad({ side: 2 })).toBe("Failure")
    expect(bad({ id: 1.5 })).toBe("Failure")
    expect(bad({ id: "26060" })).toBe("Failure")
    expect(bad({ size: -1 })).toBe("Failure")
    expect(bad({ limitPrice: "6335.25" })).toBe("Failure")
    expect(bad({ status: 99 })).toBe("Failure")
    expect(bad({ someNewField: { nested: true } })).toBe("Success")
  })
})

// Effect's own Schema-derived Arbitrary generates valid values of every request and response type.
const roundTrip = (schema: Schema.Top) => {
  const codec = schema as unknown as Schema.Codec<unknown, unknown>
  return Effect.gen(function* () {
    const values = yield* Arbitrary.sampleEffect(Arbitrary.schema(codec as never), { count: 60, seed: 7 })
    for (const value of values) {
      const encoded = Schema.encodeUnknownSync(codec)(value)
      const json = JSON.parse(JSON.stringify(encoded))
      const decoded = Schema.decodeUnknownSync(codec)(json)
      expect(Equal.equals(decoded, value) || JSON.stringify(decoded) === JSON.stringify(value)).toBe(true)
    }
    return values.length
  })
}

describe("properties", () => {
  for (const endpoint of allEndpoints) {
    it.effect(`${endpoint.name}: encode then decode (through JSON) is the identity`, () =>
      Effect.gen(function* () {
        expect(yield* roundTrip(endpoint.request)).toBeGreaterThan(0)
        expect(yield* roundTrip(endpoint.response)).toBeGreaterThan(0)
      })
    )
  }

  it("random JSON fed to any response decoder is a typed error naming the path, never a throw", () => {
    const decoders = allEndpoints.map((e) => Schema.decodeUnknownExit(e.response as Schema.Codec<unknown, unknown>))
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: decoders.length - 1 }), (json, i) => {
        const exit = decoders[i]!(json)
        if (exit._tag === "Failure") expect(String(exit.cause)).toMatch(/Expected|Missing|Invalid/)
      }),
      { numRuns: 2000 }
    )
  })

  it("a corrupted leaf in a valid payload is reported at its path", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.constantFrom("t", "o", "h", "l", "c", "v"), (i, key) => {
        const payload = structuredClone(examples.retrieveBars) as any
        payload.bars[i][key] = key === "t" ? "not a time" : "NaN"
        const exit = Schema.decodeUnknownExit(RetrieveBarsResponse)(payload)
        expect(exit._tag).toBe("Failure")
        if (exit._tag === "Failure") expect(String(exit.cause)).toContain(`["bars"][${i}]["${key}"]`)
      })
    )
  })

  it("the fast bars decoder agrees with the Bar Schema on random input", () => {
    const barLike = fc.record(
      {
        t: fc.oneof(
          fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms).toISOString().replace("Z", "+00:00")),
          fc.string()
        ),
        o: fc.oneof(fc.double(), fc.string()),
        h: fc.double({ noNaN: true }),
        l: fc.double({ noNaN: true }),
        c: fc.double({ noNaN: true }),
        v: fc.oneof(fc.nat(), fc.integer({ min: -5, max: -1 }))
      },
      { requiredKeys: ["t", "h", "l", "c", "v"] }
    )
    fc.assert(
      fc.property(fc.array(barLike, { maxLength: 6 }), (bars) => {
        const fast = decodeBarColumns(bars)
        const viaSchema = Schema.decodeUnknownExit(RetrieveBarsResponse)({ success: true, errorCode: 0, bars })
        expect(fast._tag).toBe(viaSchema._tag)
        if (fast._tag === "Success" && viaSchema._tag === "Success") {
          expect(Array.from(fast.columns.time)).toEqual(viaSchema.value.bars.map((b) => b.t.getTime()))
          expect(Array.from(fast.columns.close)).toEqual(viaSchema.value.bars.map((b) => b.c))
        }
      }),
      { numRuns: 1000 }
    )
  })
})
