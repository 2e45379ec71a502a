/**
 * Open positions: search, close, partial close (its size checked against the open position before
 * anything is sent) and flatten-all with a per-position report. Closes are never resent; an ambiguous
 * failure is settled by reading the positions back (flat or reduced as asked: success; otherwise
 * `OutcomeUnknown` with what the read-back showed). `Position/closeContract` leaves the position's
 * active bracket children working (gateway-api.md §4.4.1), where a stray stop would open a new naked
 * position, so a close cancels them too unless told not to.
 */
import { Endpoints, type Order, type Position } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { Accounts } from "./Accounts.ts"
import {
  type AccountNotFound,
  type GatewayError,
  isAmbiguous,
  isRetryable,
  OutcomeUnknown,
  type ValidationError
} from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { fanOut } from "./internal/fanOut.ts"
import { isPositiveInt, refuse } from "./internal/ordersValidation.ts"
import { readSpan } from "../observability/internal/readSpan.ts"

export type { Position } from "@projectx-effect/gateway"
export { PositionType } from "@projectx-effect/gateway"

export type CallError = GatewayError | ValidationError
/** A close can also end with its outcome unknown (the reply was lost and the read-back did not settle it). */
export type CloseError = CallError | OutcomeUnknown

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
  readonly failed: ReadonlyArray<{ readonly position: Position; readonly error: CloseError }>
}

export interface PositionsShape {
  /** `Position/searchOpen`. `size` is always positive; `type` (1 Long, 2 Short) is the direction. */
  readonly searchOpen: (accountId?: number) => Effect.Effect<ReadonlyArray<Position>, CallError | AccountNotFound>
  /** `Position/closeContract`: flattens one contract with a market order, then cancels its orphaned brackets. */
  readonly close: (
    contractId: string,
    options?: CloseOptions
  ) => Effect.Effect<BracketCleanup, CloseError | AccountNotFound>
  /**
   * `Position/partialCloseContract`: `size` must be a positive whole number no larger than the open
   * position (checked first: a `ValidationError` sends nothing).
   */
  readonly partialClose: (
    contractId: string,
    size: number,
    options?: AccountOption
  ) => Effect.Effect<void, CloseError | AccountNotFound>
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
      Effect.result
    )

  const ambiguousGateway = (e: CallError): e is GatewayError => e._tag === "GatewayError" && isAmbiguous(e.reason)

  /**
   * Settles a lost close reply by the position's size read back: `expected` left (0 = flat) is success;
   * anything else, or a failed read, is `OutcomeUnknown` saying what was seen.
   */
  const settle = (operation: string, accountId: number, contractId: string, expected: number, error: GatewayError) =>
    Effect.flatMap(reread(accountId), (now) => {
      const unknown = (observed: string) =>
        Effect.fail(
          new OutcomeUnknown({ operation, subject: `the ${contractId} position`, cause: error.message, observed })
        )
      if (now._tag === "Failure") return unknown(now.failure.message)
      const left = now.success.find((p) => p.contractId === contractId)?.size ?? 0
      return left === expected
        ? Effect.logInfo(`${operation}: ${contractId} is at ${left}; the reply was lost`)
        : unknown(`${left} contract(s) open, expected ${expected}`)
    })

  const closeRaw = (accountId: number, contractId: string) =>
    client.call(Endpoints.closePosition, { accountId, contractId }).pipe(
      Effect.asVoid,
      Effect.catchIf(ambiguousGateway, (error) => settle("Positions.close", accountId, contractId, 0, error))
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
      const { succeeded: bracketsCancelled, failed } = yield* fanOut(
        orphans,
        (order) => client.call(Endpoints.cancelOrder, { accountId, orderId: order.id }),
        concurrency
      )
      const bracketsFailed = failed.map(({ item, error }) => ({ order: item, error }))
      if (bracketsFailed.length > 0) {
        yield* Effect.logWarning(`Positions: ${bracketsFailed.length} orphaned bracket order(s) could not be cancelled`)
      }
      return { bracketsCancelled, bracketsFailed } satisfies BracketCleanup
    })

  const searchOpen = Effect.fnUntraced(function* (accountId?: number) {
    return yield* open(yield* accounts.idOr(accountId))
  }, readSpan("Positions.searchOpen"))

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
    yield* client
      .call(Endpoints.partialClosePosition, { accountId, contractId: id, size })
      .pipe(Effect.catchIf(ambiguousGateway, (error) => settle(op, accountId, id, position.size - size, error)))
  })

  const flattenAll = Effect.fn("Positions.flattenAll")(function* (options?: FlattenAllOptions) {
    const concurrency = options?.concurrency ?? 4
    if (!isPositiveInt(concurrency) || concurrency > 64) {
      return yield* refuse("Positions.flattenAll", "concurrency", "a whole number from 1 to 64", concurrency)
    }
    const accountId = yield* accounts.idOr(options?.accountId)
    const positions = yield* open(accountId)
    const outcome = yield* fanOut(positions, (position) => closeRaw(accountId, position.contractId), concurrency)
    const closed = outcome.succeeded
    const failed = outcome.failed.map(({ item, error }) => ({ position: item, error }))
    if (failed.length > 0) {
      yield* Effect.logWarning(`Positions.flattenAll: ${closed.length} closed, ${failed.length} failed`)
    }
    const cleanup =
      options?.cancelBrackets === false
        ? noCleanup
        : yield* cancelOrphans(accountId, new Set(closed.map((p) => p.contractId)), concurrency)
    return { closed, failed, ...cleanup } satisfies FlattenAllReport
  })

  return Positions.of({ searchOpen, close, partialClose, flattenAll })
})

export class Positions extends Context.Service<Positions, PositionsShape>()("@projectx-effect/sdk/Positions") {
  static readonly make = make
  static readonly layer = Layer.effect(Positions, make)
}
