import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Accounts } from "../src/trading/Accounts.ts"
import { AccountNotFound } from "../src/client/Errors.ts"
import { makeFake, tradingLayer } from "./support/tradingFake.ts"

describe("Accounts", () => {
  it.effect("selects the configured account case-insensitively", () => {
    const fake = makeFake()
    return Effect.gen(function* () {
      const accounts = yield* Accounts
      const selected = yield* accounts.selected
      expect(selected).toMatchObject({ id: 12, name: "50KTC-V2-OTHER", balance: 48_000, canTrade: true })
      expect(yield* accounts.selectedId).toBe(12)
      expect(fake.count("SearchAccount")).toBe(1)
      expect(fake.state.calls[0]?.request).toEqual({ onlyActiveAccounts: true })
    }).pipe(Effect.provide(tradingLayer(fake, { accountName: "50ktc-v2-other" })))
  })

  it.effect("without a name, selects the first account that can trade", () => {
    const fake = makeFake()
    return Effect.gen(function* () {
      const accounts = yield* Accounts
      expect((yield* accounts.selected).name).toBe("PRAC-V2-MAIN")
      expect(yield* accounts.idOr(7)).toBe(7)
      expect(yield* accounts.idOr(undefined)).toBe(11)
    }).pipe(Effect.provide(tradingLayer(fake)))
  })

  it.effect("a missing account fails with AccountNotFound listing the names", () => {
    const fake = makeFake()
    return Effect.gen(function* () {
      const accounts = yield* Accounts
      const error = yield* Effect.flip(accounts.selected)
      expect(error).toBeInstanceOf(AccountNotFound)
      expect(error.message).toContain('No account "nope"')
      expect(error.message).toContain("PRAC-V2-MAIN")
      expect(error.message).toContain("PRAC-V2-LOCKED (cannot trade)")
      expect(yield* Effect.flip(accounts.byId(99))).toBeInstanceOf(AccountNotFound)
      expect((yield* accounts.byId(7)).name).toBe("PRAC-V2-LOCKED")
      yield* accounts.search({ onlyActive: false })
      expect(fake.state.calls.at(-1)?.request).toEqual({ onlyActiveAccounts: false })
    }).pipe(Effect.provide(tradingLayer(fake, { accountName: "nope" })))
  })

  it.effect("a burst of first calls makes one Account/search", () => {
    const fake = makeFake()
    return Effect.gen(function* () {
      const accounts = yield* Accounts
      const ids = yield* Effect.all(
        Array.from({ length: 20 }, () => accounts.selectedId),
        { concurrency: "unbounded" }
      )
      expect(new Set(ids)).toEqual(new Set([11]))
      expect(fake.count("SearchAccount")).toBe(1)
    }).pipe(Effect.provide(tradingLayer(fake)))
  })
})
