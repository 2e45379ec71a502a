import { describe, expect, it } from "@effect/vitest"
import { OrderStatus } from "@projectx-effect/gateway"
import { Effect, Random, Stream } from "effect"
import { TestClock } from "effect/testing"
import { AmbiguousOrder, GatewayError, HttpStatus, OutcomeUnknown, ValidationError } from "../src/client/Errors.ts"
import { generateTag, Orders, type PlaceOrderInput } from "../src/trading/Orders.ts"
import { dropped, type Fake, makeFake, makeOrder, rejected, timeout, tradingLayer } from "./support/tradingFake.ts"

const NOW = Date.UTC(2025, 9, 15, 14, 30)
const MNQ = "CON.F.US.MNQ.Z25"

type Body<A, E> = (orders: Orders["Service"]) => Effect.Effect<A, E, Orders>

/** Runs `body` with the Orders service over `fake`, the TestClock at NOW. */
const run = <A, E>(fake: Fake, body: Body<A, E>, options: Parameters<typeof tradingLayer>[1] = {}) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(NOW)
    return yield* body(yield* Orders)
  }).pipe(Effect.provide(tradingLayer(fake, options)))

/** As `run`, on the live clock (lookups that back off between retries). */
const runLive = <A, E>(fake: Fake, body: Body<A, E>, options: Parameters<typeof tradingLayer>[1] = {}) =>
  Effect.flatMap(Orders, body).pipe(
    Effect.provide(tradingLayer(fake, { orders: { lookupBackoff: "1 millis" }, ...options }))
  )

/** A resting buy limit: the order most tests act on. */
const limitAt = (limitPrice: number): PlaceOrderInput => ({
  type: "limit",
  contractId: MNQ,
  side: "buy",
  size: 1,
  limitPrice
})

const market: PlaceOrderInput = { type: "market", contractId: MNQ, side: "buy", size: 1 }

describe("Orders.place", () => {
  it.effect("sends a market order with a generated, seeded customTag and returns id and tag", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market).pipe(Random.withSeed("tags"))
        expect(placed.customTag).toMatch(/^px-[0-9a-z]+-[0-9a-z]{8}$/)
        expect(placed.customTag).toBe(yield* generateTag.pipe(Random.withSeed("tags")))
        const other = yield* orders.place(market)
        expect(other.customTag).not.toBe(placed.customTag)
        expect(placed).toMatchObject({ orderId: 1000, accountId: 11, contractId: MNQ, sends: 1, reconciled: false })
        const sent = fake.state.calls.find((c) => c.endpoint === "PlaceOrder")?.request
        expect(sent).toMatchObject({
          accountId: 11,
          contractId: MNQ,
          type: 2,
          side: 0,
          size: 1,
          customTag: placed.customTag
        })
      })
    )
  })

  it.effect("reads the order back when asked", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place({ ...market, readBack: true })
        expect(placed.order).toMatchObject({ id: placed.orderId, customTag: placed.customTag })
        expect(fake.count("SearchOrderById")).toBe(1)
      })
    )
  })

  it.effect("resolves a symbol to the front month and sends brackets signed for the side", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        yield* orders.place({
          type: "limit",
          contractId: "MNQ",
          side: "sell",
          size: 2,
          limitPrice: 21000.25,
          stopLoss: { ticks: 20 },
          takeProfit: { ticks: -40 },
          customTag: "mine-1"
        })
        const sent = fake.state.calls.find((c) => c.endpoint === "PlaceOrder")?.request
        expect(sent).toMatchObject({
          contractId: MNQ,
          type: 1,
          side: 1,
          limitPrice: 21000.25,
          customTag: "mine-1",
          stopLossBracket: { ticks: 20, type: 4 },
          takeProfitBracket: { ticks: -40, type: 1 }
        })
      })
    )
  })

  const violations: ReadonlyArray<readonly [string, unknown, string]> = [
    ["size 0", { ...market, size: 0 }, "size"],
    ["fractional size", { ...market, size: 1.5 }, "size"],
    ["limit without a price", { type: "limit", contractId: MNQ, side: "buy", size: 1 }, "limitPrice"],
    ["stop without a price", { type: "stop", contractId: MNQ, side: "buy", size: 1 }, "stopPrice"],
    ["trailing stop without a price", { type: "trailingStop", contractId: MNQ, side: "sell", size: 1 }, "trailPrice"],
    ["a misaligned limit", { type: "limit", contractId: MNQ, side: "buy", size: 1, limitPrice: 21000.3 }, "limitPrice"],
    ["a misaligned stop", { type: "stop", contractId: MNQ, side: "buy", size: 1, stopPrice: 21000.1 }, "stopPrice"],
    ["a price on a market order", { ...market, limitPrice: 21000 }, "limitPrice"],
    ["a long stop loss above the fill", { ...market, stopLoss: { ticks: 10 } }, "stopLossBracket.ticks"],
    ["a long take profit below the fill", { ...market, takeProfit: { ticks: -10 } }, "takeProfitBracket.ticks"],
    [
      "a short stop loss below the fill",
      { ...market, side: "sell", stopLoss: { ticks: -10 } },
      "stopLossBracket.ticks"
    ],
    ["zero bracket ticks", { ...market, takeProfit: { ticks: 0 } }, "takeProfitBracket.ticks"],
    ["fractional bracket ticks", { ...market, takeProfit: { ticks: 2.5 } }, "takeProfitBracket.ticks"],
    ["a limit stop loss", { ...market, stopLoss: { ticks: -10, type: "limit" } }, "stopLossBracket.type"],
    [
      "a trailing bracket beyond 1000 ticks",
      { ...market, stopLoss: { ticks: -1001, type: "trailingStop" } },
      "stopLossBracket.ticks"
    ],
    [
      "a trail beyond 1000 ticks",
      { type: "trailingStop", contractId: MNQ, side: "sell", size: 1, trailPrice: 20700, referencePrice: 21000.25 },
      "trailPrice"
    ],
    ["an unknown side", { ...market, side: "long" }, "side"],
    ["an unknown type", { ...market, type: "iceberg" }, "type"],
    ["an empty customTag", { ...market, customTag: " " }, "customTag"]
  ]

  for (const [name, input, field] of violations) {
    it.effect(`refuses ${name} before any request`, () => {
      const fake = makeFake()
      return run(fake, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(market) // warms the account and contract caches
          const before = fake.count()
          const error = yield* Effect.flip(orders.place(input as PlaceOrderInput))
          expect(error).toBeInstanceOf(ValidationError)
          expect((error as ValidationError).field).toBe(field)
          expect(fake.count()).toBe(before)
        })
      )
    })
  }

  it.effect("explains the bracket sign rule", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const error = (yield* Effect.flip(orders.place({ ...market, stopLoss: { ticks: 8 } }))) as ValidationError
        expect(error.message).toContain("buy (long) entry")
        expect(error.message).toContain("stop loss must be below the fill: negative ticks")
        expect(error.message).toContain("take profit above: positive ticks")
        expect(error.got).toBe("8")
      })
    )
  })

  it.effect("a success:false reply fails as it is, with no lookup and no resend", () => {
    const fake = makeFake()
    fake.override("PlaceOrder", () =>
      Effect.fail(rejected("PlaceOrder", 2, "OrderRejected", "Brackets cannot be used with Position Brackets."))
    )
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(orders.place(market))
        expect(error).toBeInstanceOf(GatewayError)
        expect(error.message).toContain("OrderRejected")
        expect(fake.count("PlaceOrder")).toBe(1)
        expect(fake.count("SearchOrder")).toBe(0)
      })
    )
  })

  it.effect("a lost reply is settled by the tag: the executed order is returned, nothing is resent", () => {
    const fake = makeFake()
    fake.override("PlaceOrder", (request, state) => {
      makeOrder(state, request)
      return dropped("PlaceOrder")
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market)
        expect(placed.reconciled).toBe(true)
        expect(placed.order?.customTag).toBe(placed.customTag)
        expect(fake.count("PlaceOrder")).toBe(1)
        expect(fake.state.orders).toHaveLength(1)
        const search = fake.state.calls.find((c) => c.endpoint === "SearchOrder")?.request
        expect(search.startTimestamp.getTime()).toBe(NOW - 5 * 60_000)
        expect(search.endTimestamp.getTime()).toBe(NOW + 60_000)
      })
    )
  })

  it.effect("sends again, with the same tag, only when the lookup proves the order absent", () => {
    const fake = makeFake()
    let attempts = 0
    fake.override("PlaceOrder", () => (++attempts === 1 ? timeout("PlaceOrder") : undefined))
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market)
        expect(placed).toMatchObject({ sends: 2, reconciled: false })
        const tags = fake.state.calls.filter((c) => c.endpoint === "PlaceOrder").map((c) => c.request.customTag)
        expect(tags).toEqual([placed.customTag, placed.customTag])
        expect(fake.state.orders).toHaveLength(1)
      })
    )
  })

  it.effect("bounds the resends and then fails with AmbiguousOrder carrying the tag", () => {
    const fake = makeFake()
    fake.override("PlaceOrder", () =>
      Effect.fail(new GatewayError({ operation: "PlaceOrder", reason: HttpStatus.make({ status: 503, body: "" }) }))
    )
    return run(
      fake,
      (orders) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(orders.place({ ...market, customTag: "t-1" }))
          expect(error).toBeInstanceOf(AmbiguousOrder)
          expect(error).toMatchObject({ customTag: "t-1", accountId: 11 })
          expect(fake.count("PlaceOrder")).toBe(2)
        }),
      { orders: { maxResends: 1 } }
    )
  })

  it.live("fails with AmbiguousOrder when the lookup itself keeps failing", () => {
    const fake = makeFake()
    fake.override("PlaceOrder", () => timeout("PlaceOrder"))
    fake.override("SearchOrder", () => timeout("SearchOrder"))
    return runLive(fake, (orders) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(orders.place(market))
        expect(error).toBeInstanceOf(AmbiguousOrder)
        expect(error.message).toContain("lookup by tag failed")
        expect(fake.count("PlaceOrder")).toBe(1)
        expect(fake.count("SearchOrder")).toBe(5)
      })
    )
  })

  it.live("a flaky lookup is retried before deciding", () => {
    const fake = makeFake()
    fake.override("PlaceOrder", (request, state) => {
      makeOrder(state, request)
      return timeout("PlaceOrder")
    })
    let searches = 0
    fake.override("SearchOrder", () => (++searches < 3 ? dropped("SearchOrder") : undefined))
    return runLive(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market)
        expect(placed.reconciled).toBe(true)
        expect(fake.count("PlaceOrder")).toBe(1)
      })
    )
  })

  it.effect("a resend refused as a duplicate returns the order an earlier send created late", () => {
    const fake = makeFake()
    let attempts = 0
    fake.override("PlaceOrder", (request, state) => {
      if (++attempts === 1) return timeout("PlaceOrder")
      makeOrder(state, request) // the first send lands now; the resend is the duplicate
      return Effect.fail(rejected("PlaceOrder", 2, "OrderRejected", "customTag must be unique"))
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market)
        expect(placed.reconciled).toBe(true)
        expect(fake.state.orders).toHaveLength(1)
      })
    )
  })
})

describe("Orders.place: a tag already in use", () => {
  it.effect(
    "a resend refused because the tag is in use, with the order not found, is AmbiguousOrder, never Rejected",
    () => {
      const fake = makeFake()
      let attempts = 0
      fake.override("PlaceOrder", () =>
        ++attempts === 1
          ? timeout("PlaceOrder")
          : Effect.fail(rejected("PlaceOrder", 2, "OrderRejected", "Custom tag 'x' is already in use on this account."))
      )
      return run(fake, (orders) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(orders.place({ ...market, customTag: "t-in-use" }))
          expect(error).toBeInstanceOf(AmbiguousOrder)
          expect(error).toMatchObject({ customTag: "t-in-use" })
          // The wide lookup ran after the refusal: a week back on the Gateway's clock.
          const searches = fake.state.calls.filter((c) => c.endpoint === "SearchOrder")
          expect(searches.at(-1)?.request.startTimestamp.getTime()).toBe(NOW - 7 * 86_400_000)
        })
      )
    }
  )

  it.effect("the id a tag-in-use refusal names is read back and returned", () => {
    const fake = makeFake()
    let attempts = 0
    let holder = 0
    fake.override("PlaceOrder", (request, state) => {
      if (++attempts === 1) return timeout("PlaceOrder")
      // The first send landed long ago on the Gateway's clock: outside any window, but the message names it.
      holder = makeOrder(state, request).id
      state.orders = state.orders.map((o) => (o.id === holder ? { ...o, creationTimestamp: new Date(0) } : o))
      return Effect.fail(rejected("PlaceOrder", 2, "OrderRejected", `customTag already used by order ${holder}`))
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const placed = yield* orders.place(market)
        expect(placed).toMatchObject({ orderId: holder, reconciled: true, sends: 2 })
      })
    )
  })
})

describe("Orders.modify / cancel", () => {
  it.effect("checks modified prices against the order's contract before sending", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        const error = yield* Effect.flip(orders.modify({ orderId, limitPrice: 20000.1 }))
        expect(error).toMatchObject({ _tag: "ValidationError", field: "limitPrice" })
        expect(fake.count("ModifyOrder")).toBe(0)
        yield* orders.modify({ orderId, limitPrice: 20000.5, size: 2 })
        expect(fake.state.calls.find((c) => c.endpoint === "ModifyOrder")?.request).toEqual({
          accountId: 11,
          orderId,
          size: 2,
          limitPrice: 20000.5
        })
      })
    )
  })

  it.effect("a modify whose reply was lost is settled by reading the order back and comparing", () => {
    const fake = makeFake()
    fake.override("ModifyOrder", (request, state) => {
      // The change lands, the reply does not.
      state.orders = state.orders.map((o) => (o.id === request.orderId ? { ...o, size: request.size } : o))
      return dropped("ModifyOrder")
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        yield* orders.modify({ orderId, size: 3 })
        expect(fake.count("ModifyOrder")).toBe(1)
        expect(fake.count("SearchOrderById")).toBe(1)
      })
    )
  })

  it.effect("a lost modify whose change is not visible is OutcomeUnknown naming what the order shows", () => {
    const fake = makeFake()
    fake.override("ModifyOrder", () => timeout("ModifyOrder"))
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        const error = yield* Effect.flip(orders.modify({ orderId, size: 3 }))
        expect(error).toBeInstanceOf(OutcomeUnknown)
        expect(error.message).toContain("size 1 (asked 3)")
        expect(fake.count("ModifyOrder")).toBe(1)
      })
    )
  })

  it.effect("a lost cancel of an order that filled meanwhile is a definite failure, not a success", () => {
    const fake = makeFake()
    fake.override("CancelOrder", (request, state) => {
      state.orders = state.orders.map((o) => (o.id === request.orderId ? { ...o, status: OrderStatus.Filled } : o))
      return Effect.fail(
        new GatewayError({ operation: "CancelOrder", reason: HttpStatus.make({ status: 502, body: "" }) })
      )
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        const error = yield* Effect.flip(orders.cancel(orderId))
        expect(error).toMatchObject({ _tag: "GatewayError", reason: { name: "NotCancellable" } })
        expect(error.message).toContain("filled")
        expect(fake.count("CancelOrder")).toBe(1)
      })
    )
  })

  it.effect("a lost cancel of an order still open is OutcomeUnknown, never resent", () => {
    const fake = makeFake()
    fake.override("CancelOrder", () => timeout("CancelOrder"))
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        const error = yield* Effect.flip(orders.cancel(orderId))
        expect(error).toMatchObject({ _tag: "OutcomeUnknown", subject: `order ${orderId}` })
        expect(fake.count("CancelOrder")).toBe(1)
      })
    )
  })

  it.effect("an ambiguous cancel is settled by reading the order back", () => {
    const fake = makeFake()
    fake.override("CancelOrder", (request, state) => {
      state.orders = state.orders.map((o) => (o.id === request.orderId ? { ...o, status: OrderStatus.Cancelled } : o))
      return dropped("CancelOrder")
    })
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const { orderId } = yield* orders.place(limitAt(20000))
        yield* orders.cancel(orderId)
        expect(fake.count("CancelOrder")).toBe(1)
        expect(fake.count("SearchOrderById")).toBe(1)
      })
    )
  })
})

describe("Orders queries", () => {
  it.effect("v2/query walks every page by row offset", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        for (let i = 0; i < 250; i++)
          makeOrder(fake.state, { accountId: 11, contractId: MNQ, type: 2, side: 0, size: 1 })
        const all = yield* orders.query({ statuses: [OrderStatus.Open] })
        expect(all).toHaveLength(250)
        expect(new Set(all.map((o) => o.id)).size).toBe(250)
        const offsets = fake.state.calls.filter((c) => c.endpoint === "QueryOrders").map((c) => c.request.pageOffset)
        expect(offsets).toEqual([0, 100, 200])
        const streamed = yield* Stream.runCollect(orders.queryStream({ pageSize: 50 }))
        expect(streamed).toHaveLength(250)
        expect(yield* Effect.flip(orders.query({ pageSize: 101 }))).toMatchObject({ field: "pageSize" })
      })
    )
  })

  it.effect("search defaults to the last 24 hours (ending a minute past now) and refuses start after end", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        yield* orders.search()
        const request = fake.state.calls.find((c) => c.endpoint === "SearchOrder")?.request
        expect(request.endTimestamp.getTime()).toBe(NOW + 60_000)
        expect(request.startTimestamp.getTime()).toBe(NOW - 86_400_000)
        const error = yield* Effect.flip(orders.search({ start: new Date(NOW), end: new Date(NOW - 1) }))
        expect(error).toMatchObject({ _tag: "ValidationError", field: "start" })
      })
    )
  })

  it.effect("cancelAll reports each order's outcome instead of stopping at the first failure", () => {
    const fake = makeFake()
    return run(fake, (orders) =>
      Effect.gen(function* () {
        const ids: Array<number> = []
        for (const price of [20000, 20001, 20002]) {
          ids.push((yield* orders.place(limitAt(price))).orderId)
        }
        fake.override("CancelOrder", (request) =>
          request.orderId === ids[1] ? Effect.fail(rejected("CancelOrder", 3, "Rejected", "engine refused")) : undefined
        )
        const report = yield* orders.cancelAll()
        expect(report.cancelled.map((o) => o.id).sort()).toEqual([ids[0], ids[2]])
        expect(report.failed.map((f) => f.order.id)).toEqual([ids[1]])
        expect(report.failed[0]?.error.message).toContain("engine refused")
      })
    )
  })
})
