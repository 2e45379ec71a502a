/**
 * Orders: place (market, limit, stop, trailing stop, join bid/ask, with OCO brackets), modify, cancel,
 * searches, the paged `v2/query`, and cancel-all. An order is never sent twice blindly: every placement
 * carries a unique `customTag`; when its outcome is unknown (timeout, dropped connection, 5xx, pending) the
 * tag is looked up, and the order is sent again only when the lookup proves it does not exist.
 */
import {
  Endpoints,
  type Order,
  OrderSortField,
  OrderStatus,
  type PlaceOrderRequest,
  SortDirection
} from "@projectx-effect/gateway"
import { Clock, Context, Duration, Effect, Layer, Option, Random, Schedule, Stream } from "effect"
import { Accounts } from "./Accounts.ts"
import {
  type AccountNotFound,
  AmbiguousOrder,
  type ContractNotFound,
  GatewayError,
  isAmbiguous,
  isRetryable,
  Rejected,
  type ValidationError
} from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { Instruments } from "../market/Instruments.ts"
import {
  checkPlacement,
  checkPrices,
  isPositiveInt,
  type PlaceOrderInput,
  refuse,
  searchWindow as resolveWindow
} from "./internal/ordersValidation.ts"
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

/** A placed order. */
export interface PlacedOrder {
  readonly orderId: number
  readonly customTag: string
  readonly accountId: number
  readonly contractId: string
  /** How many times the request was sent (more than 1 only after a lookup proved the order absent). */
  readonly sends: number
  /** True when the reply was lost and the order was found by its tag. */
  readonly reconciled: boolean
  /** The order as read back: present after a reconciliation or when `readBack` was asked for. */
  readonly order?: Order
}

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
  /** Window start; defaults to 24 hours before `end`. */
  readonly start?: Date | undefined
  /** Window end; defaults to now. */
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
  readonly failed: ReadonlyArray<{ readonly order: Order; readonly error: CallError }>
}

export interface OrdersOptions {
  /** Sends after the first, each only after a lookup proved the order absent (default 2). */
  readonly maxResends?: number
  /** The lookup window around the send time, for clock skew (default 5 minutes before, 1 minute after). */
  readonly lookupBefore?: Duration.Input
  readonly lookupAfter?: Duration.Input
  /** Retries of the lookup itself, with jittered exponential backoff from `lookupBackoff` (4, 200 ms). */
  readonly lookupRetries?: number
  readonly lookupBackoff?: Duration.Input
}

export interface OrdersShape {
  /**
   * Places an order after checking it locally (size, prices for the type and tick size, bracket signs and
   * types, trailing distance); a violation fails with `ValidationError` before any request. An ambiguous
   * failure is settled by the order's `customTag`, or fails with `AmbiguousOrder` carrying it.
   */
  readonly place: (input: PlaceOrderInput) => Effect.Effect<PlacedOrder, CallError | LookupError | AmbiguousOrder>
  /** `Order/modify`; never retried on an ambiguous failure (the error is returned). */
  readonly modify: (input: ModifyOrderInput) => Effect.Effect<void, CallError | LookupError>
  /**
   * `Order/cancel`; never resent. An ambiguous failure is settled by reading the order back: already
   * cancelled counts as success.
   */
  readonly cancel: (
    orderId: number,
    options?: { readonly accountId?: number | undefined }
  ) => Effect.Effect<void, CallError | LookupError>
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

/** A tag unique with overwhelming odds: milliseconds and 41 random bits, base 36 (`px-m3k1x2a-0f3k9z2q`). */
export const generateTag: Effect.Effect<string> = Effect.gen(function* () {
  const now = yield* Clock.currentTimeMillis
  const high = yield* Random.nextIntBetween(0, 36 ** 4 - 1)
  const low = yield* Random.nextIntBetween(0, 36 ** 4 - 1)
  return `px-${now.toString(36)}-${high.toString(36).padStart(4, "0")}${low.toString(36).padStart(4, "0")}`
})

const make = (options: OrdersOptions = {}) =>
  Effect.gen(function* () {
    const client = yield* GatewayClient
    const accounts = yield* Accounts
    const instruments = yield* Instruments
    const maxResends = options.maxResends ?? 2
    const lookupBefore = Duration.toMillis(Duration.fromInputUnsafe(options.lookupBefore ?? "5 minutes"))
    const lookupAfter = Duration.toMillis(Duration.fromInputUnsafe(options.lookupAfter ?? "1 minute"))
    const lookupPolicy = {
      schedule: Schedule.exponential(options.lookupBackoff ?? "200 millis").pipe(Schedule.jittered),
      times: options.lookupRetries ?? 4,
      while: (e: CallError) => e._tag === "GatewayError" && isRetryable(e.reason)
    }

    const searchWindow = (accountId: number, start: number, end: number) =>
      client
        .call(Endpoints.searchOrders, { accountId, startTimestamp: new Date(start), endTimestamp: new Date(end) })
        .pipe(Effect.map((r) => r.orders))

    /** The order carrying `tag`, preferring a live one over a rejected duplicate. */
    const pickTagged = (orders: ReadonlyArray<Order>, tag: string): Order | undefined => {
      const tagged = orders.filter((o) => o.customTag === tag)
      return tagged.find((o) => o.status !== OrderStatus.Rejected) ?? tagged[0]
    }

    /** Looks the tag up around `sentAt`, retrying the lookup itself on transient failures. */
    const lookupTag = (accountId: number, tag: string, sentAt: number) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const orders = yield* searchWindow(accountId, sentAt - lookupBefore, now + lookupAfter)
        return pickTagged(orders, tag)
      }).pipe(
        Effect.retry(lookupPolicy),
        Effect.withSpan("Orders.lookupTag", { attributes: { "projectx.custom_tag": tag } })
      )

    const foundRejected = (order: Order, tag: string) =>
      new GatewayError({
        operation: Endpoints.placeOrder.name,
        reason: Rejected.make({
          code: Endpoints.placeOrder.errors.OrderRejected,
          name: "OrderRejected",
          message: `order ${order.id} (customTag "${tag}") was found rejected after its reply was lost`
        })
      })

    const readBack = (accountId: number, orderId: number) =>
      client.call(Endpoints.searchOrderById, { accountId, orderId }).pipe(
        Effect.map((r) => r.order),
        Effect.tapError((e) =>
          Effect.logWarning(`Orders.place: order ${orderId} placed, reading it back failed: ${e.message}`)
        ),
        Effect.option
      )

    /** Sends `request`, settling ambiguous failures by its tag; see the module comment. */
    const submit = (request: typeof PlaceOrderRequest.Type & { readonly customTag: string }, wantReadBack: boolean) =>
      Effect.gen(function* () {
        const { accountId, customTag: tag, contractId } = request
        const sentAt = yield* Clock.currentTimeMillis
        const placed = (orderId: number, sends: number, reconciled: boolean, order?: Order): PlacedOrder => ({
          orderId,
          customTag: tag,
          accountId,
          contractId,
          sends,
          reconciled,
          ...(order === undefined ? {} : { order })
        })
        let sends = 0
        while (true) {
          sends++
          const result = yield* Effect.result(client.call(Endpoints.placeOrder, request))
          if (result._tag === "Success") {
            if (!wantReadBack) return placed(result.success.orderId, sends, false)
            const order = yield* readBack(accountId, result.success.orderId)
            return placed(result.success.orderId, sends, false, order._tag === "Some" ? order.value : undefined)
          }
          const error = result.failure
          if (error._tag !== "GatewayError") return yield* Effect.fail(error)
          if (!isAmbiguous(error.reason)) {
            // A resend refused (a duplicate tag, say) may mean an earlier send was executed late: look once more.
            if (sends > 1 && error.reason._tag === "Rejected") {
              const late = yield* Effect.option(lookupTag(accountId, tag, sentAt))
              if (late._tag === "Some" && late.value !== undefined && late.value.status !== OrderStatus.Rejected) {
                return placed(late.value.id, sends, true, late.value)
              }
            }
            return yield* Effect.fail(error)
          }
          yield* Effect.logWarning(`Orders.place: outcome unknown (${error.message}); looking up customTag "${tag}"`)
          const lookup = yield* Effect.result(lookupTag(accountId, tag, sentAt))
          if (lookup._tag === "Failure") {
            return yield* Effect.fail(
              new AmbiguousOrder({
                operation: "Orders.place",
                customTag: tag,
                accountId,
                cause: `${error.message}; the lookup by tag failed too: ${lookup.failure.message}`
              })
            )
          }
          const found = lookup.success
          if (found !== undefined) {
            if (found.status === OrderStatus.Rejected) return yield* Effect.fail(foundRejected(found, tag))
            yield* Effect.logInfo(`Orders.place: the order was executed (id ${found.id}); its reply was lost`)
            return placed(found.id, sends, true, found)
          }
          if (sends > maxResends) {
            return yield* Effect.fail(
              new AmbiguousOrder({
                operation: "Orders.place",
                customTag: tag,
                accountId,
                cause: `${error.message}; no order carries the tag after ${sends} sends, but a late execution cannot be ruled out`
              })
            )
          }
          yield* Effect.logInfo(`Orders.place: no order carries customTag "${tag}"; sending again (send ${sends + 1})`)
        }
      })

    const place = Effect.fn("Orders.place")(function* (input: PlaceOrderInput) {
      const checked = yield* checkPlacement(input)
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
        contract
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
      if (!isPositiveInt(input.orderId)) return yield* refuse(op, "orderId", "an order id", input.orderId)
      if (input.size !== undefined && !isPositiveInt(input.size)) {
        return yield* refuse(op, "size", "a positive whole number of contracts", input.size)
      }
      const prices = ["limitPrice", "stopPrice", "trailPrice"] as const
      for (const field of prices) {
        const value = input[field]
        if (value !== undefined && !Number.isFinite(value)) return yield* refuse(op, field, "a finite price", value)
      }
      const hasPrice = prices.some((field) => input[field] !== undefined)
      if (!hasPrice && input.size === undefined) {
        return yield* refuse(op, "size/limitPrice/stopPrice/trailPrice", "at least one field to change", undefined)
      }
      const accountId = yield* accounts.idOr(input.accountId)
      if (hasPrice) {
        const contractId = input.contractId ?? (yield* byIdRaw(accountId, input.orderId)).contractId
        const contract = yield* instruments.resolve(contractId)
        yield* checkPrices(op, input, contract)
      }
      yield* client.call(Endpoints.modifyOrder, {
        accountId,
        orderId: input.orderId,
        ...(input.size === undefined ? {} : { size: input.size }),
        ...(input.limitPrice === undefined ? {} : { limitPrice: input.limitPrice }),
        ...(input.stopPrice === undefined ? {} : { stopPrice: input.stopPrice }),
        ...(input.trailPrice === undefined ? {} : { trailPrice: input.trailPrice })
      })
    })

    const cancelRaw = (accountId: number, orderId: number) =>
      client.call(Endpoints.cancelOrder, { accountId, orderId }).pipe(
        Effect.asVoid,
        Effect.catchIf(
          (e): e is GatewayError => e._tag === "GatewayError" && isAmbiguous(e.reason),
          (error) =>
            // Never resend; read the order back to learn whether the cancel took effect.
            byIdRaw(accountId, orderId).pipe(
              Effect.retry(lookupPolicy),
              Effect.orElseSucceed(() => undefined),
              Effect.flatMap((order) =>
                order !== undefined &&
                (order.status === OrderStatus.Cancelled || order.status === OrderStatus.PendingCancellation)
                  ? Effect.logInfo(`Orders.cancel: order ${orderId} is cancelled; the reply was lost`)
                  : Effect.fail(error)
              )
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

    const window = (op: string, options: SearchOrdersOptions | undefined) => resolveWindow(op, options)

    const search = Effect.fn("Orders.search")(function* (options?: SearchOrdersOptions) {
      const { start, end } = yield* window("Orders.search", options)
      const accountId = yield* accounts.idOr(options?.accountId)
      return yield* searchWindow(accountId, start, end)
    })

    const findByTag = Effect.fn("Orders.findByTag")(function* (customTag: string, options?: SearchOrdersOptions) {
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
      const accountId = yield* accounts.idOr(options?.accountId)
      const open = (yield* searchOpenRaw(accountId)).filter(
        (o) => options?.contractId === undefined || o.contractId === options.contractId
      )
      const results = yield* Effect.forEach(
        open,
        (order) => Effect.result(cancelRaw(accountId, order.id)).pipe(Effect.map((result) => ({ order, result }))),
        { concurrency: options?.concurrency ?? 4 }
      )
      const cancelled: Array<Order> = []
      const failed: Array<{ order: Order; error: CallError }> = []
      for (const { order, result } of results) {
        if (result._tag === "Success") cancelled.push(order)
        else failed.push({ order, error: result.failure })
      }
      if (failed.length > 0) {
        yield* Effect.logWarning(`Orders.cancelAll: ${cancelled.length} cancelled, ${failed.length} failed`)
      }
      return { cancelled, failed } satisfies CancelAllReport
    })

    return Orders.of({ place, modify, cancel, search, searchOpen, byId, findByTag, query, queryStream, cancelAll })
  })

export class Orders extends Context.Service<Orders, OrdersShape>()("@projectx-effect/sdk/Orders") {
  static readonly make = (options?: OrdersOptions) => make(options)
  static readonly layer = (options?: OrdersOptions) => Layer.effect(Orders, make(options))
}
