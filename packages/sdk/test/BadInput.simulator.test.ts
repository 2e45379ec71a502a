// Every bad input gets a typed error and sends nothing: a sweep of bad values over every public method
// (against the simulator, which counts the requests it receives) and every option (checked when the
// layer is built).
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Stream } from "effect"
import { ProjectXConfig, type ProjectXOptions } from "../src/client/ProjectXConfig.ts"
import { Accounts } from "../src/trading/Accounts.ts"
import { Instruments, type InstrumentsOptions } from "../src/market/Instruments.ts"
import { MarketData } from "../src/market/MarketData.ts"
import { Orders, type OrdersOptions } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { Trades } from "../src/trading/Trades.ts"
import { makeFake, tradingLayer } from "./support/tradingFake.ts"
import { totalRequests, tradingSim } from "./support/tradingSim.ts"

const typed = new Set(["ValidationError", "ConfigurationError"])

/** What is wrong with how `effect` ended: it must fail (not die, not succeed) with a typed error. */
const untyped = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit): string | undefined => {
    if (Exit.isSuccess(exit)) return `${label}: succeeded`
    const failure = exit.cause.reasons.find(Cause.isFailReason)
    if (failure === undefined) return `${label}: died: ${Cause.pretty(exit.cause).slice(0, 200)}`
    const tag = (failure.error as { _tag?: string })._tag
    return tag !== undefined && typed.has(tag) ? undefined : `${label}: failed with ${String(tag)}`
  })

const MNQ = "CON.F.US.MNQ.Z25"
const bad = (value: unknown) => value as never
const huge = "x".repeat(10_000)

describe("bad inputs", () => {
  it.live(
    "at least 45 bad method arguments: each a typed error, and not one request sent",
    () =>
      Effect.gen(function* () {
        const orders = yield* Orders
        const positions = yield* Positions
        const accounts = yield* Accounts
        const trades = yield* Trades
        const instruments = yield* Instruments
        const market = yield* MarketData
        const contract = yield* instruments.resolve("MNQ") // warm the account and contract caches
        yield* accounts.selected
        const id = contract.id
        const limit = { type: "limit", contractId: id, side: "buy", size: 1, limitPrice: 100 } as const
        const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["place null", orders.place(bad(null))],
          ["place size NaN", orders.place({ ...limit, size: Number.NaN })],
          ["place size -1", orders.place({ ...limit, size: -1 })],
          ["place size 1e300", orders.place({ ...limit, size: 1e300 })],
          ["place size string", orders.place({ ...limit, size: bad("1") })],
          ["place limitPrice NaN", orders.place({ ...limit, limitPrice: Number.NaN })],
          ["place limitPrice Infinity", orders.place({ ...limit, limitPrice: Number.POSITIVE_INFINITY })],
          ["place limitPrice 0", orders.place({ ...limit, limitPrice: 0 })],
          ["place limitPrice -5", orders.place({ ...limit, limitPrice: -5 })],
          [
            "place stopPrice -Infinity",
            orders.place({ type: "stop", contractId: id, side: "buy", size: 1, stopPrice: Number.NEGATIVE_INFINITY })
          ],
          [
            "place trailPrice NaN",
            orders.place({ type: "trailingStop", contractId: id, side: "sell", size: 1, trailPrice: Number.NaN })
          ],
          ["place customTag 10,000 chars", orders.place({ ...limit, customTag: huge })],
          ["place customTag control chars", orders.place({ ...limit, customTag: "a\u0000b" })],
          ["place customTag number", orders.place({ ...limit, customTag: bad(42) })],
          ["place side", orders.place({ ...limit, side: bad("up") })],
          ["place type", orders.place({ ...limit, type: bad("iceberg") })],
          ["place contractId empty", orders.place({ ...limit, contractId: "  " })],
          ["place contractId number", orders.place({ ...limit, contractId: bad(5) })],
          ["place accountId -1", orders.place({ ...limit, accountId: -1 })],
          ["place accountId 1.5", orders.place({ ...limit, accountId: 1.5 })],
          ["place stopLoss ticks NaN", orders.place({ ...limit, stopLoss: { ticks: Number.NaN } })],
          ["place takeProfit string", orders.place({ ...limit, takeProfit: bad("far") })],
          ["modify null", orders.modify(bad(null))],
          ["modify orderId 0", orders.modify({ orderId: 0, size: 1 })],
          ["modify size 0", orders.modify({ orderId: 5, size: 0 })],
          ["modify limitPrice NaN", orders.modify({ orderId: 5, limitPrice: Number.NaN })],
          ["modify stopPrice -1", orders.modify({ orderId: 5, stopPrice: -1 })],
          ["modify nothing", orders.modify({ orderId: 5 })],
          ["modify accountId NaN", orders.modify({ orderId: 5, size: 1, accountId: Number.NaN })],
          ["cancel orderId -3", orders.cancel(-3)],
          ["cancel orderId string", orders.cancel(bad("7"))],
          ["cancel accountId 0", orders.cancel(7, { accountId: 0 })],
          ["search start after end", orders.search({ start: new Date(2), end: new Date(1) })],
          ["search invalid date", orders.search({ start: new Date(Number.NaN) })],
          ["searchOpen accountId -1", orders.searchOpen(-1)],
          ["byId orderId NaN", orders.byId(Number.NaN)],
          ["findByTag empty", orders.findByTag("")],
          ["query pageSize 0", orders.query({ pageSize: 0 })],
          ["query pageSize 1e9", orders.query({ pageSize: 1e9 })],
          ["queryStream pageSize -1", Stream.runDrain(orders.queryStream({ pageSize: -1 }))],
          ["cancelAll concurrency 0", orders.cancelAll({ concurrency: 0 })],
          ["close contract empty", positions.close("")],
          ["close contract number", positions.close(bad(12))],
          ["partialClose size 0", positions.partialClose(id, 0)],
          ["partialClose size NaN", positions.partialClose(id, Number.NaN)],
          ["flattenAll concurrency -1", positions.flattenAll({ concurrency: -1 })],
          ["searchOpen positions accountId string", positions.searchOpen(bad("main"))],
          ["trades start after end", trades.search({ start: new Date(10), end: new Date(0) })],
          ["trades summary accountId 0", trades.summary({ accountId: 0 })],
          ["accounts byId -1", accounts.byId(-1)],
          ["accounts byName empty", accounts.byName("")],
          ["resolve empty", instruments.resolve("")],
          ["resolve number", instruments.resolve(bad(5))],
          ["instruments byId empty", instruments.byId(" ")],
          ["instruments search number", instruments.search(bad(null))],
          ["bars limit 1e9", market.bars({ contractId: MNQ, unit: "minute", days: 1, limit: 1e9 })],
          ["bars days 1e9", market.bars({ contractId: MNQ, unit: "second", days: 1e9 })],
          [
            "bars unitNumber 100000 months",
            market.bars({ contractId: MNQ, unit: "month", unitNumber: 100_000, days: 1 })
          ],
          ["bars no symbol", market.bars({ unit: "minute", days: 1 })],
          ["bars unit", market.bars({ contractId: MNQ, unit: bad("tick"), days: 1 })],
          ["bars days NaN", market.bars({ contractId: MNQ, unit: "minute", days: Number.NaN })],
          ["plan 10 years of seconds", market.plan({ contractId: MNQ, unit: "second", days: 3650 })],
          [
            "chunks timeZone",
            Stream.runDrain(market.chunks({ contractId: MNQ, unit: "minute", days: 1, timeZone: "Nowhere/City" }))
          ]
        ]
        const before = yield* totalRequests
        const wrong: Array<string> = []
        for (const [label, effect] of cases) {
          const problem = yield* untyped(label, effect)
          if (problem !== undefined) wrong.push(problem)
        }
        expect(wrong).toEqual([])
        expect(cases.length).toBeGreaterThanOrEqual(45)
        expect(yield* totalRequests).toBe(before)
      }).pipe(Effect.provide(tradingSim())),
    60_000
  )

  it.live("at least 30 bad options: each a ConfigurationError naming the option, before any request", () =>
    Effect.gen(function* () {
      const base: ProjectXOptions = { apiUrl: "http://127.0.0.1:9", username: "u", apiKey: "0123456789-key" }
      const options: ReadonlyArray<readonly [string, Partial<ProjectXOptions>]> = [
        ["options.requestTimeout", { requestTimeout: Number.NaN }],
        ["options.requestTimeout", { requestTimeout: -1 }],
        ["options.requestTimeout", { requestTimeout: bad("soon") }],
        ["options.requestTimeout", { requestTimeout: Number.POSITIVE_INFINITY }],
        ["options.retry.times", { retry: { times: 1e9 } }],
        ["options.retry.times", { retry: { times: -1 } }],
        ["options.retry.times", { retry: { times: 1.5 } }],
        ["options.retry.base", { retry: { base: -5 } }],
        ["options.retry.cap", { retry: { base: "2 seconds", cap: "1 second" } }],
        ["options.breaker.failures", { breaker: { failures: -1 } }],
        ["options.breaker.failures", { breaker: { failures: 0 } }],
        ["options.breaker.failures", { breaker: { failures: Number.NaN } }],
        ["options.breaker.openDuration", { breaker: { openDuration: 0 } }],
        ["options.breaker.maxOpen", { breaker: { openDuration: "10 seconds", maxOpen: "1 second" } }],
        ["options.pool.connections", { pool: { connections: 0 } }],
        ["options.pool.connections", { pool: { connections: 1e6 } }],
        ["options.pool.keepAliveTimeout", { pool: { keepAliveTimeout: -1 } }],
        ["options.rateLimits.general.limit", { rateLimits: { general: { limit: 0, window: "1 minute" } } }],
        ["options.rateLimits.general.window", { rateLimits: { general: { limit: 10, window: 0 } } }],
        ["options.rateLimits.history.limit", { rateLimits: { history: { limit: Number.NaN, window: "30 seconds" } } }],
        ["options.rateLimits.safetyMargin", { rateLimits: { safetyMargin: -1 } }],
        ["options.refreshAt", { refreshAt: 1.5 }],
        ["options.refreshAt", { refreshAt: Number.NaN }],
        ["options.maxResponseBytes", { maxResponseBytes: 0 }],
        ["options.maxResponseBytes", { maxResponseBytes: Number.NaN }],
        ["options.timeZone", { timeZone: "Mars/Olympus" }],
        ["options.apiUrl", { apiUrl: "ftp://example.com" }],
        ["options.live", { live: bad("yes") }],
        ["options.username", { username: bad(undefined) }],
        ["options.apiKey", { apiKey: "short" }]
      ]
      for (const [name, override] of options) {
        const error = yield* Effect.flip(ProjectXConfig.make({ ...base, ...override }))
        expect(error._tag).toBe("ConfigurationError")
        expect(error.variable).toBe(name)
      }
      const ordersOptions: ReadonlyArray<readonly [string, OrdersOptions]> = [
        ["orders.maxResends", { maxResends: -1 }],
        ["orders.maxResends", { maxResends: 1e9 }],
        ["orders.lookupBefore", { lookupBefore: bad("a while") }],
        ["orders.lookupRetries", { lookupRetries: 2.5 }],
        ["orders.tagInUseWindow", { tagInUseWindow: -1 }],
        ["orders.allowNonPositivePrices", { allowNonPositivePrices: bad("yes") }]
      ]
      for (const [name, orders] of ordersOptions) {
        const error = yield* Effect.flip(Layer.build(tradingLayer(makeFake(), { orders })))
        expect(error).toMatchObject({ _tag: "ConfigurationError", variable: name })
      }
      const instrumentsOptions: ReadonlyArray<readonly [string, InstrumentsOptions]> = [
        ["instruments.capacity", { capacity: 0 }],
        ["instruments.capacity", { capacity: Number.NaN }],
        ["instruments.ttl", { ttl: -1 }],
        ["instruments.contractTtl", { contractTtl: bad("forever") }]
      ]
      for (const [name, instruments] of instrumentsOptions) {
        const error = yield* Effect.flip(Layer.build(tradingLayer(makeFake(), { instruments })))
        expect(error).toMatchObject({ _tag: "ConfigurationError", variable: name })
      }
      expect(options.length + ordersOptions.length + instrumentsOptions.length).toBeGreaterThanOrEqual(30)
    })
  )
})
