/**
 * Orders: place (market, limit, stop, trailing stop, join bid/ask, with OCO brackets), modify, cancel,
 * searches, the paged `v2/query`, and cancel-all. Nothing is sent twice blindly: placement is settled by
 * its `customTag` (internal/placement.ts states the no-duplicate argument); a modify or cancel whose reply
 * was lost is settled by reading the order back, returning what is true or `OutcomeUnknown`.
 */
import { Endpoints, type Order, OrderSortField, OrderStatus, SortDirection } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Accounts } from "./Accounts.ts"
import {
  type AccountNotFound,
  type AmbiguousOrder,
  ConfigurationError,
  type ContractNotFound,
  GatewayError,
  isAmbiguous,
  OutcomeUnknown,
  Rejected,
  type ValidationError
} from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { Instruments } from "../market/Instruments.ts"
import {
  checkPlacement,
  checkPrices,
  checkPriceSigns,
  isPositiveInt,
  MAX_TAG_LENGTH,
  type PlaceOrderInput,
  refuse,
  searchWindow as resolveWindow
} from "./internal/ordersValidation.ts"
import { fanOut } from "./internal/fanOut.ts"
import {
  generateTag,
  makePlacement,
  type PlacedOrder,
  type PlacementOptions,
  pickTagged,
  placementOptionProblem
} from "./internal/placement.ts"
import {
  bracketTicks,
  isAligned,
  priceDistanceToTicks,
  roundToTick,
  ticksToPriceDistance
} from "../market/internal/ticks.ts"

export type { Order } from "@projectx-effect/gateway"
export { OrderSide, OrderSortField, OrderStatus, OrderType, SortDirection } from "@projectx-effect/gateway"
export type { BracketLeg, OrderKind, PlaceOrderInput, Side } from "./internal/ordersValidation.ts"
export type { BracketTicks, BracketTicksInput, RoundMode } from "../market/internal/ticks.ts"
export {
  bracketTicks,
  isAligned,
  priceDistanceToTicks,
  roundToTick,
  ticksToPriceDistance
} from "../market/internal/ticks.ts"

/** Tick arithmetic, robust to float error: round prices onto the grid and sign bracket offsets. */
export const Ticks = { roundToTick, isAligned, priceDistanceToTicks, ticksToPriceDistance, bracketTicks } as const

/** What a call to the Gateway can fail with. */
export type CallError = GatewayError | ValidationError
/** What resolving the account or the contract of a request can add. */
export type LookupError = AccountNotFound | ContractNotFound

export type { PlacedOrder, PlacementOptions } from "./internal/placement.ts"
export { generateTag } from "./internal/placement.ts"

export interface ModifyOrderInput {
  readonly orderId: number
  readonly accountId?: number | undefined
  /** The order's contract, when known: saves a lookup before checking prices against the tick size. */
  readonly contractId?: string | undefined
  readonly size?: number | undefined
  readonly limitPrice?: number | undefined
  readonly stopPrice?: number | undefined
  /** A new absolute level for a trailing stop. */
  readonly trailPrice?: number | undefined
}

export interface SearchOrdersOptions {
  readonly accountId?: number | undefined
  /** Window start; defaults to 24 hours before `end` (or before now). */
  readonly start?: Date | undefined
  /** Window end; defaults to now by the Gateway's clock (from its replies' `Date`), plus a minute of slack. */
  readonly end?: Date | undefined
}

export interface QueryOrdersOptions {
  readonly accountId?: number | undefined
  readonly statuses?: ReadonlyArray<OrderStatus> | undefined
  /** Filtered here too: the Gateway was measured ignoring it. */
  readonly contractId?: string | undefined
  readonly createdAfter?: Date | undefined
  readonly createdBefore?: Date | undefined
  /** Default: by id, ascending (see `query`). */
  readonly sortBy?: OrderSortField | undefined
  readonly sortDirection?: SortDirection | undefined
  /** Rows per request, 1–100 (the Gateway's cap, and the default). */
  readonly pageSize?: number | undefined
}

export interface CancelAllOptions {
  readonly accountId?: number | undefined
  /** Only this contract's orders. */
  readonly contractId?: string | undefined
  /** Cancels in flight at once (default 4). */
  readonly concurrency?: number | undefined
}

/** Per order, what `cancelAll` did: every open order appears in exactly one list. */
export interface CancelAllReport {
  readonly cancelled: ReadonlyArray<Order>
  readonly failed: ReadonlyArray<{ readonly order: Order; readonly error: CallError | OutcomeUnknown }>
}

export interface OrdersOptions extends PlacementOptions {
  /**
   * Let limit, stop and trail prices ≤ 0 leave (default false: such a price is almost always a mistake,
   * but crude oil traded below zero in April 2020).
   */
  readonly allowNonPositivePrices?: boolean
}

/** A Gateway failure that leaves it unknown whether the request took effect. */
const ambiguousGateway = (e: CallError | LookupError): e is GatewayError =>
  e._tag === "GatewayError" && isAmbiguous(e.reason)

const statusName = (status: OrderStatus): string =>
  (Object.entries(OrderStatus).find(([, v]) => v === status)?.[0] ?? String(status)).toLowerCase()

/** What the order read back after a lost modify reply shows against the request, or `undefined` if it matches. */
const modifyMismatch = (input: ModifyOrderInput, order: Order): string | undefined => {
  const differs: Array<string> = []
  if (input.size !== undefined && order.size !== input.size) differs.push(`size ${order.size} (asked ${input.size})`)
  if (input.limitPrice !== undefined && order.limitPrice !== input.limitPrice) {
    differs.push(`limitPrice ${order.limitPrice} (asked ${input.limitPrice})`)
  }
  if (input.stopPrice !== undefined && order.stopPrice !== input.stopPrice) {
    differs.push(`stopPrice ${order.stopPrice} (asked ${input.stopPrice})`)
  }
  // A trailing stop reads back its distance, not the level sent: a new level cannot be confirmed.
  if (input.trailPrice !== undefined) differs.push("a trailPrice change cannot be confirmed by reading back")
  if (order.status !== OrderStatus.Open && order.status !== OrderStatus.Pending) {
    differs.push(`the order is ${statusName(order.status)}`)
  }
  return differs.length === 0 ? undefined : differs.join("; ")
}

export interface OrdersShape {
  /**
   * Places an order after checking it locally (size, prices for the type and tick size, bracket signs and
   * types, trailing distance); a violation fails with `ValidationError` before any request. An ambiguous
   * failure is settled by the order's `customTag`, or fails with `AmbiguousOrder` carrying it.
   */
  readonly place: (input: PlaceOrderInput) => Effect.Effect<PlacedOrder, CallError | LookupError | AmbiguousOrder>
  /**
   * `Order/modify`; never resent. An ambiguous failure is settled by reading the order back: the asked
   * fields in place count as success, anything else is `OutcomeUnknown` naming what the order shows.
   */
  readonly modify: (input: ModifyOrderInput) => Effect.Effect<void, CallError | LookupError | OutcomeUnknown>
  /**
   * `Order/cancel`; never resent. An ambiguous failure is settled by reading the order back: cancelled
   * counts as success, filled/expired/rejected as a definite failure, anything else is `OutcomeUnknown`.
   */
  readonly cancel: (
    orderId: number,
    options?: { readonly accountId?: number | undefined }
  ) => Effect.Effect<void, CallError | LookupError | OutcomeUnknown>
  /** `Order/search`: every order created in the window (all statuses). */
  readonly search: (options?: SearchOrdersOptions) => Effect.Effect<ReadonlyArray<Order>, CallError | LookupError>
  /** `Order/searchOpen`: working orders (status Open; not Suspended bracket children). */
  readonly searchOpen: (accountId?: number) => Effect.Effect<ReadonlyArray<Order>, CallError | LookupError>
  /** `Order/searchById`. */
  readonly byId: (orderId: number, accountId?: number) => Effect.Effect<Order, CallError | LookupError>
  /** The order carrying `customTag` created in the window, if any (reconciliation by hand). */
  readonly findByTag: (
    customTag: string,
    options?: SearchOrdersOptions
  ) => Effect.Effect<Order | undefined, CallError | LookupError>
  /** `Order/v2/query`, every page (row offsets, ≤ 100 rows a page), all rows in one array. */
  readonly query: (options?: QueryOrdersOptions) => Effect.Effect<ReadonlyArray<Order>, CallError | LookupError>
  /** `Order/v2/query` as a Stream: one request per page, as the consumer pulls. */
  readonly queryStream: (options?: QueryOrdersOptions) => Stream.Stream<Order, CallError | LookupError>
  /** Cancels every open order (of one contract), reporting per order what succeeded and what failed. */
  readonly cancelAll: (options?: CancelAllOptions) => Effect.Effect<CancelAllReport, CallError | LookupError>
}

const MAX_PAGE = 100

const make = (options: OrdersOptions = {}) =>
  Effect.gen(function* () {
    const problem = placementOptionProblem(options)
    if (problem !== undefined) {
      return yield* new ConfigurationError({
        variable: problem.option,
        expected: problem.expected,
        got: String(problem.got)
      })
    }
    if (options.allowNonPositivePrices !== undefined && typeof options.allowNonPositivePrices !== "boolean") {
      return yield* new ConfigurationError({
        variable: "orders.allowNonPositivePrices",
        expected: "true or false",
        got: String(options.allowNonPositivePrices)
      })
    }
    const client = yield* GatewayClient
    const accounts = yield* Accounts
    const instruments = yield* Instruments
    const { submit, searchWindow, lookupPolicy } = makePlacement(client, options)
    const priceRule = { allowNonPositive: options.allowNonPositivePrices === true }

    const place = Effect.fn("Orders.place")(function* (input: PlaceOrderInput) {
      const checked = yield* checkPlacement(input)
      yield* checkPriceSigns("Orders.place", checked, priceRule)
      const accountId = yield* accounts.idOr(checked.accountId)
      const contract = yield* instruments.resolve(checked.contract)
      yield* checkPrices(
        "Orders.place",
        {
          limitPrice: checked.limitPrice,
          stopPrice: checked.stopPrice,
          trailPrice: checked.trailPrice,
          referencePrice: checked.referencePrice,
          side: checked.side
        },
        contract,
        priceRule
      )
      const customTag = checked.customTag ?? (yield* generateTag)
      const request = {
        accountId,
        contractId: contract.id,
        type: checked.type,
        side: checked.side,
        size: checked.size,
        customTag,
        ...(checked.limitPrice === undefined ? {} : { limitPrice: checked.limitPrice }),
        ...(checked.stopPrice === undefined ? {} : { stopPrice: checked.stopPrice }),
        ...(checked.trailPrice === undefined ? {} : { trailPrice: checked.trailPrice }),
        ...(checked.stopLossBracket === undefined ? {} : { stopLossBracket: checked.stopLossBracket }),
        ...(checked.takeProfitBracket === undefined ? {} : { takeProfitBracket: checked.takeProfitBracket })
      }
      yield* Effect.annotateCurrentSpan({
        "projectx.account_id": accountId,
        "projectx.contract_id": contract.id,
        "projectx.custom_tag": customTag
      })
      return yield* submit(request, checked.readBack)
    })

    const byIdRaw = (accountId: number, orderId: number) =>
      client.call(Endpoints.searchOrderById, { accountId, orderId }).pipe(Effect.map((r) => r.order))

    const modify = Effect.fn("Orders.modify")(function* (input: ModifyOrderInput) {
      const op = "Orders.modify"
      if (typeof input !== "object" || input === null) return yield* refuse(op, "input", "{ orderId, … }", input)
      if (!isPositiveInt(input.orderId)) return yield* refuse(op, "orderId", "an order id", input.orderId)
      if (input.size !== undefined && !isPositiveInt(input.size)) {
        return yield* refuse(op, "size", "a positive whole number of contracts", input.size)
      }
      const prices = ["limitPrice", "stopPrice", "trailPrice"] as const
      for (const field of prices) {
        const value = input[field]
        if (value !== undefined && !Number.isFinite(value)) return yield* refuse(op, field, "a finite price", value)
      }
      yield* checkPriceSigns(op, input, priceRule)
      const hasPrice = prices.some((field) => input[field] !== undefined)
      if (!hasPrice && input.size === undefined) {
        return yield* refuse(op, "size/limitPrice/stopPrice/trailPrice", "at least one field to change", undefined)
      }
      const accountId = yield* accounts.idOr(input.accountId)
      if (hasPrice) {
        const contractId = input.contractId ?? (yield* byIdRaw(accountId, input.orderId)).contractId
        const contract = yield* instruments.resolve(contractId)
        yield* checkPrices(op, input, contract, priceRule)
      }
      yield* client
        .call(Endpoints.modifyOrder, {
          accountId,
          orderId: input.orderId,
          ...(input.size === undefined ? {} : { size: input.size }),
          ...(input.limitPrice === undefined ? {} : { limitPrice: input.limitPrice }),
          ...(input.stopPrice === undefined ? {} : { stopPrice: input.stopPrice }),
          ...(input.trailPrice === undefined ? {} : { trailPrice: input.trailPrice })
        })
        .pipe(
          Effect.catchIf(ambiguousGateway, (error) =>
            // Never resent: read the order back and compare the fields that were asked to change.
            Effect.flatMap(
              Effect.result(byIdRaw(accountId, input.orderId).pipe(Effect.retry(lookupPolicy))),
              (read): Effect.Effect<void, OutcomeUnknown> => {
                const subject = `order ${input.orderId}`
                if (read._tag === "Failure") {
                  return Effect.fail(
                    new OutcomeUnknown({ operation: op, subject, cause: error.message, observed: read.failure.message })
                  )
                }
                const order = read.success
                const mismatch = modifyMismatch(input, order)
                return mismatch === undefined
                  ? Effect.logInfo(`Orders.modify: order ${input.orderId} shows the change; the reply was lost`)
                  : Effect.fail(
                      new OutcomeUnknown({ operation: op, subject, cause: error.message, observed: mismatch })
                    )
              }
            )
          )
        )
    })

    const cancelRaw = (accountId: number, orderId: number) =>
      client.call(Endpoints.cancelOrder, { accountId, orderId }).pipe(
        Effect.asVoid,
        Effect.catchIf(ambiguousGateway, (error) =>
          // Never resent: read the order back to learn whether the cancel took effect.
          Effect.flatMap(
            Effect.result(byIdRaw(accountId, orderId).pipe(Effect.retry(lookupPolicy))),
            (read): Effect.Effect<void, GatewayError | OutcomeUnknown> => {
              const unknown = (observed: string) =>
                Effect.fail(
                  new OutcomeUnknown({
                    operation: "Orders.cancel",
                    subject: `order ${orderId}`,
                    cause: error.message,
                    observed
                  })
                )
              if (read._tag === "Failure") return unknown(read.failure.message)
              const status = read.success.status
              if (status === OrderStatus.Cancelled || status === OrderStatus.PendingCancellation) {
                return Effect.logInfo(`Orders.cancel: order ${orderId} is cancelled; the reply was lost`)
              }
              // Filled, expired or rejected: the cancel did not take effect and never will.
              if (status === OrderStatus.Filled || status === OrderStatus.Expired || status === OrderStatus.Rejected) {
                return Effect.fail(
                  new GatewayError({
                    operation: Endpoints.cancelOrder.name,
                    reason: Rejected.make({
                      code: -1,
                      name: "NotCancellable",
                      message: `order ${orderId} is ${statusName(status)}: it was not cancelled (the cancel's reply was lost)`
                    })
                  })
                )
              }
              return unknown(`the order is still ${statusName(status)}`)
            }
          )
        )
      )

    const cancel = Effect.fn("Orders.cancel")(function* (
      orderId: number,
      options?: { readonly accountId?: number | undefined }
    ) {
      if (!isPositiveInt(orderId)) return yield* refuse("Orders.cancel", "orderId", "an order id", orderId)
      const accountId = yield* accounts.idOr(options?.accountId)
      yield* cancelRaw(accountId, orderId)
    })

    const window = (op: string, options: SearchOrdersOptions | undefined) =>
      resolveWindow(op, options, client.serverTime)

    const search = Effect.fn("Orders.search")(function* (options?: SearchOrdersOptions) {
      const { start, end } = yield* window("Orders.search", options)
      const accountId = yield* accounts.idOr(options?.accountId)
      return yield* searchWindow(accountId, start, end)
    })

    const findByTag = Effect.fn("Orders.findByTag")(function* (customTag: string, options?: SearchOrdersOptions) {
      if (typeof customTag !== "string" || customTag.length === 0 || customTag.length > MAX_TAG_LENGTH) {
        return yield* refuse(
          "Orders.findByTag",
          "customTag",
          `a tag of 1 to ${MAX_TAG_LENGTH} characters`,
          typeof customTag === "string" ? `${customTag.length} characters` : customTag
        )
      }
      const { start, end } = yield* window("Orders.findByTag", options)
      const accountId = yield* accounts.idOr(options?.accountId)
      return pickTagged(yield* searchWindow(accountId, start, end), customTag)
    })

    const searchOpenRaw = (accountId: number) =>
      client.call(Endpoints.searchOpenOrders, { accountId }).pipe(Effect.map((r) => r.orders))

    const searchOpen = Effect.fn("Orders.searchOpen")(function* (accountId?: number) {
      return yield* searchOpenRaw(yield* accounts.idOr(accountId))
    })

    const byId = Effect.fn("Orders.byId")(function* (orderId: number, accountId?: number) {
      if (!isPositiveInt(orderId)) return yield* refuse("Orders.byId", "orderId", "an order id", orderId)
      return yield* byIdRaw(yield* accounts.idOr(accountId), orderId)
    })

    const queryPages = (options: QueryOrdersOptions | undefined) =>
      Effect.gen(function* () {
        const pageSize = options?.pageSize ?? MAX_PAGE
        if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
          return yield* refuse("Orders.query", "pageSize", `a whole number from 1 to ${MAX_PAGE}`, pageSize)
        }
        const accountId = yield* accounts.idOr(options?.accountId)
        const filter = {
          accountId,
          ...(options?.statuses === undefined ? {} : { statuses: options.statuses }),
          ...(options?.contractId === undefined ? {} : { contractId: options.contractId }),
          ...(options?.createdAfter === undefined ? {} : { createdAfter: options.createdAfter }),
          ...(options?.createdBefore === undefined ? {} : { createdBefore: options.createdBefore })
        }
        const keep = (o: Order) => options?.contractId === undefined || o.contractId === options.contractId
        // Oldest id first by default: orders created during the walk land after it instead of shifting the
        // row offsets under it. Rows seen twice anyway (a caller's order, a moving server) are dropped.
        const sortBy = options?.sortBy ?? OrderSortField.Id
        const sortDirection = options?.sortDirection ?? SortDirection.Asc
        const seen = new Set<number>()
        return Stream.paginate(0, (pageOffset: number) =>
          client
            .call(Endpoints.queryOrders, {
              filter,
              pageSize,
              pageOffset,
              includeTotalCount: true,
              sortBy,
              sortDirection
            })
            .pipe(
              Effect.map((r) => {
                const rows = r.orders
                const fresh = rows.filter((o) => !seen.has(o.id))
                for (const o of fresh) seen.add(o.id)
                const next = pageOffset + rows.length
                // `pageOffset` is a row offset. Go on while the total says more rows exist (or, without a
                // total, while pages come back full); stop on an empty page or one with nothing new.
                const more = fresh.length > 0 && (r.totalCount == null ? rows.length >= pageSize : next < r.totalCount)
                return [fresh.filter(keep), more ? Option.some(next) : Option.none<number>()] as const
              })
            )
        )
      })

    const queryStream = (options?: QueryOrdersOptions) =>
      Stream.unwrap(queryPages(options)).pipe(Stream.withSpan("Orders.queryStream"))

    const query = Effect.fn("Orders.query")(function* (options?: QueryOrdersOptions) {
      const stream = yield* queryPages(options)
      return yield* Stream.runCollect(stream)
    })

    const cancelAll = Effect.fn("Orders.cancelAll")(function* (options?: CancelAllOptions) {
      const concurrency = options?.concurrency ?? 4
      if (!isPositiveInt(concurrency) || concurrency > 64) {
        return yield* refuse("Orders.cancelAll", "concurrency", "a whole number from 1 to 64", concurrency)
      }
      const accountId = yield* accounts.idOr(options?.accountId)
      const open = (yield* searchOpenRaw(accountId)).filter(
        (o) => options?.contractId === undefined || o.contractId === options.contractId
      )
      const { succeeded, failed } = yield* fanOut(open, (order) => cancelRaw(accountId, order.id), concurrency)
      if (failed.length > 0) {
        yield* Effect.logWarning(`Orders.cancelAll: ${succeeded.length} cancelled, ${failed.length} failed`)
      }
      return {
        cancelled: succeeded,
        failed: failed.map(({ item, error }) => ({ order: item, error }))
      } satisfies CancelAllReport
    })

    return Orders.of({ place, modify, cancel, search, searchOpen, byId, findByTag, query, queryStream, cancelAll })
  })

export class Orders extends Context.Service<Orders, OrdersShape>()("@projectx-effect/sdk/Orders") {
  static readonly make = (options?: OrdersOptions) => make(options)
  static readonly layer = (options?: OrdersOptions) => Layer.effect(Orders, make(options))
}
