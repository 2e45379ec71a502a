/**
 * Trading accounts: `Account/search`, and the account every other service trades by default — the
 * configured `accountName` (case-insensitive), else the first account that can trade. The selection is
 * resolved once and its id remembered; balances and flags are read fresh from the account objects.
 */
import { Endpoints, type TradingAccount } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Semaphore from "effect/Semaphore"
import { AccountNotFound, type GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { readSpan } from "../observability/internal/readSpan.ts"

export type { TradingAccount } from "@projectx-effect/gateway"

export interface SearchAccountsOptions {
  /** Only active accounts (the default). */
  readonly onlyActive?: boolean | undefined
}

export interface AccountsShape {
  /** `Account/search`; `balance` is the realized balance (it moves when positions close). */
  readonly search: (
    options?: SearchAccountsOptions
  ) => Effect.Effect<ReadonlyArray<TradingAccount>, GatewayError | ValidationError>
  /**
   * The account to trade: `accountName` from the configuration matched case-insensitively, else the first
   * account that can trade. Fails with `AccountNotFound` listing the names that exist.
   */
  readonly selected: Effect.Effect<TradingAccount, AccountNotFound | GatewayError | ValidationError>
  /** The selected account's id, remembered after the first lookup (what services default to). */
  readonly selectedId: Effect.Effect<number, AccountNotFound | GatewayError | ValidationError>
  /** `accountId` when given, else the selected account's id. */
  readonly idOr: (
    accountId: number | undefined
  ) => Effect.Effect<number, AccountNotFound | GatewayError | ValidationError>
  /** An active account by id. */
  readonly byId: (id: number) => Effect.Effect<TradingAccount, AccountNotFound | GatewayError | ValidationError>
  /** An active account by name (case-insensitive). */
  readonly byName: (name: string) => Effect.Effect<TradingAccount, AccountNotFound | GatewayError | ValidationError>
}

/** The account `name` picks among `accounts` (case-insensitive), or the first that can trade. */
export const selectAccount = (
  accounts: ReadonlyArray<TradingAccount>,
  name: string | undefined
): Option.Option<TradingAccount> => {
  if (name !== undefined) {
    const wanted = name.trim().toLowerCase()
    return Option.fromNullishOr(accounts.find((a) => a.name.toLowerCase() === wanted))
  }
  return Option.fromNullishOr(accounts.find((a) => a.canTrade))
}

const make = Effect.gen(function* () {
  const client = yield* GatewayClient
  const config = yield* ProjectXConfig
  const remembered = yield* Ref.make<Option.Option<number>>(Option.none())
  // Single-flight: a burst of first calls makes one Account/search.
  const lock = yield* Semaphore.make(1)

  const fetch = (onlyActive: boolean) =>
    client.call(Endpoints.searchAccounts, { onlyActiveAccounts: onlyActive }).pipe(Effect.map((r) => r.accounts))

  const notFound = (requested: string, accounts: ReadonlyArray<TradingAccount>) =>
    new AccountNotFound({
      requested,
      available: accounts.map((a) => `${a.name}${a.canTrade ? "" : " (cannot trade)"}`)
    })

  const search = Effect.fnUntraced(function* (options?: SearchAccountsOptions) {
    return yield* fetch(options?.onlyActive ?? true)
  }, readSpan("Accounts.search"))

  const selected = Effect.gen(function* () {
    const accounts = yield* fetch(true)
    const found = selectAccount(accounts, config.accountName)
    if (Option.isNone(found)) {
      return yield* notFound(config.accountName ?? "(the first account that can trade)", accounts)
    }
    yield* Ref.set(remembered, Option.some(found.value.id))
    return found.value
  }).pipe(Effect.withSpan("Accounts.selected"))

  const selectedId = Effect.gen(function* () {
    const known = yield* Ref.get(remembered)
    if (Option.isSome(known)) return known.value
    return yield* lock.withPermits(1)(
      Effect.gen(function* () {
        const again = yield* Ref.get(remembered)
        if (Option.isSome(again)) return again.value
        return (yield* selected).id
      })
    )
  })

  const refuse = (operation: string, field: string, allowed: string, got: unknown) =>
    Effect.fail(new ValidationError({ operation, field, allowed, got: String(got).slice(0, 80) }))

  const byId = Effect.fnUntraced(function* (id: number) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
      return yield* refuse("Accounts.byId", "id", "an account id (a positive whole number)", id)
    }
    const accounts = yield* fetch(true)
    const found = accounts.find((a) => a.id === id)
    if (found === undefined) return yield* notFound(String(id), accounts)
    return found
  }, readSpan("Accounts.byId"))

  const byName = Effect.fnUntraced(function* (name: string) {
    if (typeof name !== "string" || name.trim().length === 0 || name.length > 200) {
      return yield* refuse("Accounts.byName", "name", "an account name such as PRAC-V2-DEMO-1", name)
    }
    const accounts = yield* fetch(true)
    const found = selectAccount(accounts, name)
    if (Option.isNone(found)) return yield* notFound(name, accounts)
    return found.value
  }, readSpan("Accounts.byName"))

  return Accounts.of({
    search,
    selected,
    selectedId,
    // Every method taking an account id passes through here: a bad one is refused before anything is sent.
    idOr: (accountId) =>
      accountId === undefined
        ? selectedId
        : typeof accountId === "number" && Number.isSafeInteger(accountId) && accountId >= 1
          ? Effect.succeed(accountId)
          : Effect.fail(
              new ValidationError({
                operation: "Accounts",
                field: "accountId",
                allowed: "an account id (a positive whole number), or nothing for the selected account",
                got: String(accountId)
              })
            ),
    byId,
    byName
  })
})

export class Accounts extends Context.Service<Accounts, AccountsShape>()("@projectx-effect/sdk/Accounts") {
  static readonly make = make
  static readonly layer = Layer.effect(Accounts, make)
}
