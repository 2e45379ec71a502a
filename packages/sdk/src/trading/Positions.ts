/**
 * Open positions: search, close, partial close (its size checked against the open position before
 * anything is sent) and flatten-all with a per-position report. Closes are never resent; an ambiguous
 * failure is settled by reading the positions back. `Position/closeContract` leaves the position's
 * active bracket children working (gateway-api.md §4.4.1), where a stray stop would open a new naked
 * position, so a close cancels them too unless told not to.
 */
import { Endpoints, type Order, type Position } from "@projectx-effect/gateway"
import { Context, Effect, Layer, Schedule } from "effect"
import { Accounts } from "./Accounts.ts"
import {
  type AccountNotFound,
  type GatewayError,
  isAmbiguous,
  isRetryable,
  type ValidationError
} from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { isPositiveInt, refuse } from "./internal/ordersValidation.ts"

export type { Position } from "@projectx-effect/gateway"
export { PositionType } from "@projectx-effect/gateway"

export type CallError = GatewayError | ValidationError

export interface AccountOption {
  /** Defaults to the selected account (`Accounts.selected`). */
  readonly accountId?: number | undefined
}

export interface CloseOptions extends AccountOption {
  /**
   * Once the position is flat, cancel the contract's working bracket children (orders with a
   * `parentOrderId`). Default true: the Gateway leaves them working.
   */
  readonly cancelBrackets?: boolean | undefined
}

export interface FlattenAllOptions extends CloseOptions {
  /** Closes in flight at once (default 4). */
  readonly concurrency?: number | undefined
}

/** The bracket children a close cancelled, and those it could not. */
export interface BracketCleanup {
  readonly bracketsCancelled: ReadonlyArray<Order>
  readonly bracketsFailed: ReadonlyArray<{ readonly order: Order; readonly error: CallError }>
  /** Set when the working orders could not be listed: orphans may remain (the positions are flat anyway). */
  readonly bracketLookupError?: CallError
}

/** Per position, what `flattenAll` did: every open position appears in exactly one list. */
export interface FlattenAllReport extends BracketCleanup {
  readonly closed: ReadonlyArray<Position>
  readonly failed: ReadonlyArray<{ readonly position: Position; readonly error: CallError }>
}

export interface PositionsShape {
  /** `Position/searchOpen`. `size` is always positive; `type` (1 Long, 2 Short) is the direction. */
  readonly searchOpen: (accountId?: number) => Effect.Effect<ReadonlyArray<Position>, CallError | AccountNotFound>
  /** `Position/closeContract`: flattens one contract with a market order, then cancels its orphaned brackets. */
  readonly close: (
    contractId: string,
    options?: CloseOptions
  ) => Effect.Effect<BracketCleanup, CallError | AccountNotFound>
  /**
   * `Position/partialCloseContract`: `size` must be a positive whole number no larger than the open
   * position (checked first: a `ValidationError` sends nothing).
   */
  readonly partialClose: (
    contractId: string,
    size: number,
    options?: AccountOption
  ) => Effect.Effect<void, CallError | AccountNotFound>
  /** Closes every open position, reporting per position what succeeded and what failed. */
  readonly flattenAll: (options?: FlattenAllOptions) => Effect.Effect<FlattenAllReport, CallError | AccountNotFound>
}

const make = Effect.gen(function* () {
  const client = yield* GatewayClient
  const accounts = yield* Accounts

  const open = (accountId: number) =>
    client.call(Endpoints.searchOpenPositions, { accountId }).pipe(Effect.map((r) => r.positions))

  /** After an ambiguous failure: the positions as they are now (the read is retried on transient errors). */
  const reread = (accountId: number) =>
    open(accountId).pipe(
      Effect.retry({
        schedule: Schedule.exponential("200 millis").pipe(Schedule.jittered),
        times: 4,
        while: (e: CallError) => e._tag === "GatewayError" && isRetryable(e.reason)
      }),
      Effect.option
    )

  const closeRaw = (accountId: number, contractId: string) =>
    client.call(Endpoints.closePosition, { accountId, contractId }).pipe(
      Effect.asVoid,
      Effect.catchIf(
        (e): e is GatewayError => e._tag === "GatewayError" && isAmbiguous(e.reason),
        (error) =>
          Effect.flatMap(reread(accountId), (now) =>
            now._tag === "Some" && !now.value.some((p) => p.contractId === contractId)
              ? Effect.logInfo(`Positions.close: ${contractId} is flat; the reply was lost`)
              : Effect.fail(error)
          )
      )
    )

  const noCleanup: BracketCleanup = { bracketsCancelled: [], bracketsFailed: [] }

  /** Cancels the working bracket children of `contracts` (best effort, each reported). */
  const cancelOrphans = (accountId: number, contracts: ReadonlySet<string>, concurrency = 4) =>
    Effect.gen(function* () {
      if (contracts.size === 0) return noCleanup
      const listed = yield* Effect.result(client.call(Endpoints.searchOpenOrders, { accountId }))
      if (listed._tag === "Failure") {
        yield* Effect.logWarning(
          `Positions: could not list working orders to cancel orphaned brackets: ${listed.failure.message}`
        )
        return { ...noCleanup, bracketLookupError: listed.failure } satisfies BracketCleanup
      }
      const working = listed.success.orders
      const orphans = working.filter((o) => o.parentOrderId != null && contracts.has(o.contractId))
      const results = yield* Effect.forEach(
        orphans,
        (order) =>
          client.call(Endpoints.cancelOrder, { accountId, orderId: order.id }).pipe(
            Effect.result,
            Effect.map((result) => ({ order, result }))
          ),
        { concurrency }
      )
      const bracketsCancelled: Array<Order> = []
      const bracketsFailed: Array<{ order: Order; error: CallError }> = []
      for (const { order, result } of results) {
        if (result._tag === "Success") bracketsCancelled.push(order)
        else bracketsFailed.push({ order, error: result.failure })
      }
      if (bracketsFailed.length > 0) {
        yield* Effect.logWarning(`Positions: ${bracketsFailed.length} orphaned bracket order(s) could not be cancelled`)
      }
      return { bracketsCancelled, bracketsFailed } satisfies BracketCleanup
    })

  const searchOpen = Effect.fn("Positions.searchOpen")(function* (accountId?: number) {
    return yield* open(yield* accounts.idOr(accountId))
  })

  const checkContract = (op: string, contractId: unknown) =>
    typeof contractId === "string" && contractId.trim().length > 0
      ? Effect.succeed(contractId.trim())
      : refuse(op, "contractId", "a contract id such as CON.F.US.MNQ.Z25", contractId)

  const close = Effect.fn("Positions.close")(function* (contractId: string, options?: CloseOptions) {
    const id = yield* checkContract("Positions.close", contractId)
    const accountId = yield* accounts.idOr(options?.accountId)
    yield* closeRaw(accountId, id)
    return options?.cancelBrackets === false ? noCleanup : yield* cancelOrphans(accountId, new Set([id]))
  })

  const partialClose = Effect.fn("Positions.partialClose")(function* (
    contractId: string,
    size: number,
    options?: AccountOption
  ) {
    const op = "Positions.partialClose"
    const id = yield* checkContract(op, contractId)
    if (!isPositiveInt(size)) return yield* refuse(op, "size", "a positive whole number of contracts", size)
    const accountId = yield* accounts.idOr(options?.accountId)
    const positions = yield* open(accountId)
    const position = positions.find((p) => p.contractId === id)
    if (position === undefined) {
      const held = positions.map((p) => p.contractId)
      return yield* refuse(
        op,
        "contractId",
        held.length === 0
          ? "a contract with an open position (none is open)"
          : `a contract with an open position: ${held.join(", ")}`,
        id
      )
    }
    if (size > position.size) {
      return yield* refuse(
        op,
        "size",
        `at most the open position's ${position.size} contract(s) (use close to flatten it)`,
        size
      )
    }
    yield* client.call(Endpoints.partialClosePosition, { accountId, contractId: id, size }).pipe(
      Effect.catchIf(
        (e): e is GatewayError => e._tag === "GatewayError" && isAmbiguous(e.reason),
        (error) =>
          Effect.flatMap(reread(accountId), (now) => {
            if (now._tag === "None") return Effect.fail(error)
            const after = now.value.find((p) => p.contractId === id)
            const left = after === undefined ? 0 : after.size
            return left === position.size - size
              ? Effect.logInfo(`Positions.partialClose: ${id} is down to ${left}; the reply was lost`)
              : Effect.fail(error)
          })
      )
    )
  })

  const flattenAll = Effect.fn("Positions.flattenAll")(function* (options?: FlattenAllOptions) {
    const accountId = yield* accounts.idOr(options?.accountId)
    const positions = yield* open(accountId)
    const results = yield* Effect.forEach(
      positions,
      (position) =>
        Effect.result(closeRaw(accountId, position.contractId)).pipe(Effect.map((result) => ({ position, result }))),
      { concurrency: options?.concurrency ?? 4 }
    )
    const closed: Array<Position> = []
    const failed: Array<{ position: Position; error: CallError }> = []
    for (const { position, result } of results) {
      if (result._tag === "Success") closed.push(position)
      else failed.push({ position, error: result.failure })
    }
    if (failed.length > 0) {
      yield* Effect.logWarning(`Positions.flattenAll: ${closed.length} closed, ${failed.length} failed`)
    }
    const cleanup =
      options?.cancelBrackets === false
        ? noCleanup
        : yield* cancelOrphans(accountId, new Set(closed.map((p) => p.contractId)), options?.concurrency ?? 4)
    return { closed, failed, ...cleanup } satisfies FlattenAllReport
  })

  return Positions.of({ searchOpen, close, partialClose, flattenAll })
})

export class Positions extends Context.Service<Positions, PositionsShape>()("@projectx-effect/sdk/Positions") {
  static readonly make = make
  static readonly layer = Layer.effect(Positions, make)
}
