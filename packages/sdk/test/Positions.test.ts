import { describe, expect, it } from "@effect/vitest"
import type { Position } from "@projectx-effect/gateway"
import { Effect } from "effect"
import { ValidationError } from "../src/client/Errors.ts"
import { Positions } from "../src/trading/Positions.ts"
import { OrderStatus } from "@projectx-effect/gateway"
import { dropped, makeFake, makeOrder, rejected, tradingLayer } from "./support/tradingFake.ts"

const position = (contractId: string, size: number, type: 1 | 2 = 1): Position => ({
  id: size,
  accountId: 11,
  contractId,
  creationTimestamp: new Date(0),
  type,
  size,
  averagePrice: 100
})

describe("Positions", () => {
  it.effect("partialClose checks the size against the open position before sending", () => {
    const fake = makeFake({ positions: [position("CON.F.US.MNQ.Z25", 3)] })
    return Effect.gen(function* () {
      const positions = yield* Positions
      for (const [size, field] of [
        [0, "size"],
        [-1, "size"],
        [1.5, "size"],
        [4, "size"]
      ] as const) {
        const error = yield* Effect.flip(positions.partialClose("CON.F.US.MNQ.Z25", size))
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).field).toBe(field)
      }
      const none = (yield* Effect.flip(positions.partialClose("CON.F.US.EP.Z25", 1))) as ValidationError
      expect(none.field).toBe("contractId")
      expect(none.allowed).toContain("CON.F.US.MNQ.Z25")
      expect(fake.count("PartialClosePosition")).toBe(0)
      yield* positions.partialClose("CON.F.US.MNQ.Z25", 2)
      expect(fake.state.calls.at(-1)).toEqual({
        endpoint: "PartialClosePosition",
        request: { accountId: 11, contractId: "CON.F.US.MNQ.Z25", size: 2 }
      })
      expect(fake.state.positions[0]?.size).toBe(1)
    }).pipe(Effect.provide(tradingLayer(fake)))
  })

  it.effect("an ambiguous close is settled by reading the positions back", () => {
    const fake = makeFake({ positions: [position("CON.F.US.MNQ.Z25", 3)] })
    fake.override("ClosePosition", (request, state) => {
      state.positions = state.positions.filter((p) => p.contractId !== request.contractId)
      return dropped("ClosePosition")
    })
    return Effect.gen(function* () {
      const positions = yield* Positions
      yield* positions.close("CON.F.US.MNQ.Z25")
      expect(fake.count("ClosePosition")).toBe(1)
    }).pipe(Effect.provide(tradingLayer(fake)))
  })

  it.effect("flattenAll reports what closed and what failed", () => {
    const fake = makeFake({
      positions: [position("CON.F.US.MNQ.Z25", 1), position("CON.F.US.EP.Z25", 2, 2), position("CON.F.US.YM.Z25", 1)]
    })
    fake.override("ClosePosition", (request) =>
      request.contractId === "CON.F.US.EP.Z25"
        ? Effect.fail(rejected("ClosePosition", 4, "ContractNotActive"))
        : undefined
    )
    return Effect.gen(function* () {
      const positions = yield* Positions
      const report = yield* positions.flattenAll()
      expect(report.closed.map((p) => p.contractId).sort()).toEqual(["CON.F.US.MNQ.Z25", "CON.F.US.YM.Z25"])
      expect(report.failed.map((f) => f.position.contractId)).toEqual(["CON.F.US.EP.Z25"])
      expect(report.failed[0]?.error.message).toContain("ContractNotActive")
      expect((yield* positions.searchOpen()).map((p) => p.contractId)).toEqual(["CON.F.US.EP.Z25"])
    }).pipe(Effect.provide(tradingLayer(fake)))
  })

  it.effect("closing cancels the contract's orphaned bracket children (unless told not to)", () => {
    const fake = makeFake({ positions: [position("CON.F.US.MNQ.Z25", 1), position("CON.F.US.EP.Z25", 1)] })
    const child = (contractId: string, parentOrderId: number) => {
      const o = makeOrder(fake.state, { accountId: 11, contractId, type: 4, side: 1, size: 1 })
      fake.state.orders = fake.state.orders.map((x) => (x.id === o.id ? { ...x, parentOrderId } : x))
      return o.id
    }
    const mnqStop = child("CON.F.US.MNQ.Z25", 1)
    const epStop = child("CON.F.US.EP.Z25", 2)
    const entry = makeOrder(fake.state, { accountId: 11, contractId: "CON.F.US.MNQ.Z25", type: 1, side: 0, size: 1 }).id
    return Effect.gen(function* () {
      const positions = yield* Positions
      const kept = yield* positions.close("CON.F.US.EP.Z25", { cancelBrackets: false })
      expect(kept.bracketsCancelled).toEqual([])
      const report = yield* positions.flattenAll()
      expect(report.closed.map((p) => p.contractId)).toEqual(["CON.F.US.MNQ.Z25"])
      expect(report.bracketsCancelled.map((o) => o.id)).toEqual([mnqStop])
      const status = (id: number) => fake.state.orders.find((o) => o.id === id)?.status
      expect(status(mnqStop)).toBe(OrderStatus.Cancelled)
      expect(status(epStop)).toBe(OrderStatus.Open) // its position was closed with cancelBrackets: false
      expect(status(entry)).toBe(OrderStatus.Open) // not a bracket child: left alone
    }).pipe(Effect.provide(tradingLayer(fake)))
  })
})
