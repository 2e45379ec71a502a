import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { ContractNotFound } from "../src/client/Errors.ts"
import { frontMonth, Instruments, suggest } from "../src/market/Instruments.ts"
import { bracketTicks, isAligned, priceDistanceToTicks, roundToTick } from "../src/trading/Orders.ts"
import { contract, makeFake, tradingLayer } from "./support/tradingFake.ts"

// 2025-10-15: Z25 is the front month, U25 has expired, H26 and M26 are deferred.
const NOW = Date.UTC(2025, 9, 15, 14, 30)

const withFake = <A, E>(fake: ReturnType<typeof makeFake>, effect: Effect.Effect<A, E, Instruments>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(NOW)
    return yield* effect
  }).pipe(Effect.provide(tradingLayer(fake)))

describe("Ticks", () => {
  it("rounds prices onto the grid despite float error", () => {
    expect(roundToTick(21000.13, 0.25)).toBe(21000.25)
    expect(roundToTick(21000.12, 0.25)).toBe(21000)
    expect(roundToTick(21000.01, 0.25, "up")).toBe(21000.25)
    expect(roundToTick(21000.24, 0.25, "down")).toBe(21000)
    expect(roundToTick(0.1 + 0.2, 0.1, "down")).toBe(0.3)
    expect(roundToTick(1.08437, 0.00005)).toBe(1.08435)
    expect(roundToTick(-3.3, 0.25)).toBe(-3.25)
  })

  it("accepts aligned prices whatever their float representation", () => {
    expect(isAligned(0.1 + 0.2, 0.1)).toBe(true)
    expect(isAligned(1.2345, 0.0001)).toBe(true)
    expect(isAligned(1.08435, 0.00005)).toBe(true)
    expect(isAligned(21000.25, 0.25)).toBe(true)
    expect(isAligned(21000.3, 0.25)).toBe(false)
    expect(isAligned(1.08436, 0.00005)).toBe(false)
    expect(isAligned(Number.NaN, 0.25)).toBe(false)
  })

  it("converts distances to ticks and signs brackets as the Gateway demands", () => {
    expect(priceDistanceToTicks(2.5, 0.25)).toBe(10)
    expect(priceDistanceToTicks(0.0003, 0.0001)).toBe(3)
    expect(priceDistanceToTicks(-1, 0.25)).toBe(-4)
    expect(bracketTicks({ side: "buy", stopLossDistance: 5, takeProfitDistance: 10, tickSize: 0.25 })).toEqual({
      stopLossTicks: -20,
      takeProfitTicks: 40
    })
    expect(bracketTicks({ side: "sell", stopLossDistance: 5, takeProfitDistance: 10, tickSize: 0.25 })).toEqual({
      stopLossTicks: 20,
      takeProfitTicks: -40
    })
  })
})

describe("Instruments.resolve", () => {
  it.effect("picks the front month, never the alphabetically first name", () => {
    // Shuffled: H26 sorts first, Z25 (active) is neither first nor alphabetically first.
    const fake = makeFake({
      contracts: [
        contract("CON.F.US.MNQ.H26", "MNQH6", false),
        contract("CON.F.US.MNQ.M26", "MNQM6", false),
        contract("CON.F.US.MNQ.Z25", "MNQZ5", true),
        contract("CON.F.US.MNQ.U25", "MNQU5", false)
      ]
    })
    return withFake(
      fake,
      Effect.gen(function* () {
        const instruments = yield* Instruments
        expect((yield* instruments.resolve("MNQ")).id).toBe("CON.F.US.MNQ.Z25")
        expect((yield* instruments.resolve("mnq")).id).toBe("CON.F.US.MNQ.Z25")
      })
    )
  })

  it("without an active flag, takes the nearest expiry that has not passed", () => {
    const list = [
      contract("CON.F.US.MNQ.H26", "MNQH6", false),
      contract("CON.F.US.MNQ.U25", "MNQU5", false),
      contract("CON.F.US.MNQ.Z25", "MNQZ5", false)
    ]
    expect(frontMonth(list, NOW)?.id).toBe("CON.F.US.MNQ.Z25")
    expect(frontMonth(list, Date.UTC(2026, 0, 5))?.id).toBe("CON.F.US.MNQ.H26")
  })

  it.effect("maps CME tickers to Gateway roots and reads names and ids", () =>
    withFake(
      makeFake(),
      Effect.gen(function* () {
        const instruments = yield* Instruments
        expect((yield* instruments.resolve("NQ")).id).toBe("CON.F.US.ENQ.Z25")
        expect((yield* instruments.resolve("ES")).id).toBe("CON.F.US.EP.Z25")
        expect((yield* instruments.resolve("6E")).id).toBe("CON.F.US.EU6.Z25")
        expect((yield* instruments.resolve("ENQ")).id).toBe("CON.F.US.ENQ.Z25")
        expect((yield* instruments.resolve("MNQZ5")).id).toBe("CON.F.US.MNQ.Z25")
        expect((yield* instruments.resolve("MNQZ25")).id).toBe("CON.F.US.MNQ.Z25")
        expect((yield* instruments.resolve("MNQH26")).id).toBe("CON.F.US.MNQ.H26")
        expect((yield* instruments.resolve("NQZ25")).id).toBe("CON.F.US.ENQ.Z25")
        expect((yield* instruments.resolve("CON.F.US.MNQ.M26")).name).toBe("MNQM6")
      })
    )
  )

  it.effect("an unknown symbol fails with ContractNotFound naming it and suggesting close matches", () =>
    withFake(
      makeFake(),
      Effect.gen(function* () {
        const instruments = yield* Instruments
        const error = yield* Effect.flip(instruments.resolve("MNX"))
        expect(error).toBeInstanceOf(ContractNotFound)
        const notFound = error as ContractNotFound
        expect(notFound.symbol).toBe("MNX")
        expect(notFound.suggestions).toContain("MNQ")
        expect(notFound.message).toContain('"MNX"')
        const byId = yield* Effect.flip(instruments.byId("CON.F.US.MNQ.Z24"))
        expect(byId._tag).toBe("ContractNotFound")
      })
    )
  )

  it("suggests by edit distance over names, tickers and roots", () => {
    const list = [contract("CON.F.US.MNQ.Z25", "MNQZ5", true), contract("CON.F.US.ENQ.Z25", "NQZ5", true)]
    expect(suggest("MQN", list)).toContain("MNQ")
    expect(suggest("NQZ6", list)).toContain("NQZ5")
    expect(suggest("ZZZZZZZ", list)).toEqual([])
  })

  it.effect("caches resolutions and contracts until the TTL passes on the Clock", () => {
    const fake = makeFake()
    return withFake(
      fake,
      Effect.gen(function* () {
        const instruments = yield* Instruments
        yield* instruments.resolve("MNQ")
        yield* instruments.resolve("MNQ")
        yield* instruments.byId("CON.F.US.MNQ.Z25") // seeded by the listing
        expect(fake.count()).toBe(1)
        yield* TestClock.adjust("11 minutes")
        yield* instruments.resolve("MNQ")
        expect(fake.count("ListAvailableContract")).toBe(2)
      })
    )
  })

  it.effect("falls back to Contract/search when the listing lacks the symbol", () => {
    const fake = makeFake({ contracts: [contract("CON.F.US.MNQ.Z25", "MNQZ5", true)] })
    fake.override("ListAvailableContract", () => Effect.succeed({ success: true, errorCode: 0, contracts: [] }))
    return withFake(
      fake,
      Effect.gen(function* () {
        const instruments = yield* Instruments
        expect((yield* instruments.resolve("MNQ")).id).toBe("CON.F.US.MNQ.Z25")
        expect(fake.count("SearchContract")).toBe(1)
      })
    )
  })
})
