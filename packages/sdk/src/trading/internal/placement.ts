/**
 * Order submission and reconciliation. The no-duplicate argument: every send of one placement carries the
 * same unique `customTag`, and the Gateway refuses a second order with a tag in use on the account; a send
 * is repeated only after the previous one's outcome was ambiguous AND a lookup by tag, over a window
 * around the Gateway's own clock (its `Date` header, so client skew cannot hide the order), found nothing.
 * A resend refused because the tag is in use proves the order exists: it is found, or `AmbiguousOrder`
 * carries the tag — it is never reported as a definite rejection.
 */
import { Endpoints, type Order, OrderStatus, type PlaceOrderRequest } from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import {
  AmbiguousOrder,
  GatewayError,
  isAmbiguous,
  isRetryable,
  type Reason,
  Rejected,
  type ValidationError
} from "../../client/Errors.ts"
import type { GatewayClient } from "../../client/GatewayClient.ts"

type Client = GatewayClient["Service"]
type CallError = GatewayError | ValidationError

export interface PlacementOptions {
  /** Sends after the first, each only after a lookup proved the order absent (default 2). */
  readonly maxResends?: number
  /** The lookup window around the send, on the Gateway's clock (default 5 minutes before, 1 minute after). */
  readonly lookupBefore?: Duration.Input
  readonly lookupAfter?: Duration.Input
  /** Retries of the lookup itself, with jittered exponential backoff from `lookupBackoff` (4, 200 ms). */
  readonly lookupRetries?: number
  readonly lookupBackoff?: Duration.Input
  /** How far back a "tag already in use" refusal is searched for the order holding the tag (default 7 days). */
  readonly tagInUseWindow?: Duration.Input
}

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

export type PlaceRequest = typeof PlaceOrderRequest.Type & { readonly customTag: string }

/** A tag unique with overwhelming odds: milliseconds and 41 random bits, base 36 (`px-m3k1x2a-0f3k9z2q`). */
export const generateTag: Effect.Effect<string> = Effect.gen(function* () {
  const now = yield* Clock.currentTimeMillis
  const high = yield* Random.nextIntBetween(0, 36 ** 4 - 1)
  const low = yield* Random.nextIntBetween(0, 36 ** 4 - 1)
  return `px-${now.toString(36)}-${high.toString(36).padStart(4, "0")}${low.toString(36).padStart(4, "0")}`
})

/** The order carrying `tag`, preferring a live one over a rejected duplicate. */
export const pickTagged = (orders: ReadonlyArray<Order>, tag: string): Order | undefined => {
  const tagged = orders.filter((o) => o.customTag === tag)
  return tagged.find((o) => o.status !== OrderStatus.Rejected) ?? tagged[0]
}

/** The Gateway's refusal of a tag already used on the account (worded variously: match loosely). */
export const isTagInUse = (reason: Reason): boolean =>
  reason._tag === "Rejected" &&
  reason.message !== null &&
  /tag/i.test(reason.message) &&
  /(in use|already|exists|duplicate|unique)/i.test(reason.message)

/** An order id a refusal's message names ("… order 12345 …"), if any. */
const idInMessage = (message: string | null): number | undefined => {
  const match = message === null ? null : /\border\D{0,6}(\d{3,15})\b/i.exec(message)
  const id = match === null ? Number.NaN : Number(match[1])
  return Number.isSafeInteger(id) && id > 0 ? id : undefined
}

const millis = (input: Duration.Input | undefined, fallback: Duration.Input) =>
  Duration.toMillis(Duration.fromInputUnsafe(input ?? fallback))

/** The checks of `PlacementOptions` a layer runs when it is built; `undefined` when all are fine. */
export const placementOptionProblem = (
  options: PlacementOptions
): { readonly option: string; readonly expected: string; readonly got: unknown } | undefined => {
  const int = (name: keyof PlacementOptions, max: number) => {
    const value = options[name]
    return value === undefined || (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max)
      ? undefined
      : { option: `orders.${name}`, expected: `a whole number from 0 to ${max}`, got: value }
  }
  const duration = (name: keyof PlacementOptions, maxMs: number) => {
    const value = options[name]
    if (value === undefined) return undefined
    let ms = Number.NaN
    try {
      ms = Duration.toMillis(Duration.fromInputUnsafe(value as Duration.Input))
    } catch {
      // reported below
    }
    return Number.isFinite(ms) && ms >= 0 && ms <= maxMs
      ? undefined
      : { option: `orders.${name}`, expected: `a duration from 0 to ${maxMs} ms`, got: value }
  }
  const day = 86_400_000
  return (
    int("maxResends", 10) ??
    int("lookupRetries", 20) ??
    duration("lookupBefore", day) ??
    duration("lookupAfter", day) ??
    duration("lookupBackoff", 60_000) ??
    duration("tagInUseWindow", 90 * day)
  )
}

/** Submission with reconciliation over `client`; see the module comment. */
export const makePlacement = (client: Client, options: PlacementOptions = {}) => {
  const maxResends = options.maxResends ?? 2
  const lookupBefore = millis(options.lookupBefore, "5 minutes")
  const lookupAfter = millis(options.lookupAfter, "1 minute")
  const tagInUseWindow = millis(options.tagInUseWindow, "7 days")
  const lookupPolicy = {
    schedule: Schedule.exponential(options.lookupBackoff ?? "200 millis").pipe(Schedule.jittered),
    times: options.lookupRetries ?? 4,
    while: (e: CallError) => e._tag === "GatewayError" && isRetryable(e.reason)
  }

  const searchWindow = (accountId: number, start: number, end: number) =>
    client
      .call(Endpoints.searchOrders, { accountId, startTimestamp: new Date(start), endTimestamp: new Date(end) })
      .pipe(Effect.map((r) => r.orders))

  /** Looks the tag up from `from` to the Gateway's now plus the margin, retrying the lookup itself. */
  const lookupTag = (accountId: number, tag: string, from: number) =>
    Effect.gen(function* () {
      const now = yield* client.serverTime
      return pickTagged(yield* searchWindow(accountId, from, now + lookupAfter), tag)
    }).pipe(
      Effect.retry(lookupPolicy),
      Effect.withSpan("Orders.lookupTag", { attributes: { "projectx.custom_tag": tag } })
    )

  const byId = (accountId: number, orderId: number) =>
    client.call(Endpoints.searchOrderById, { accountId, orderId }).pipe(Effect.map((r) => r.order))

  const foundRejected = (order: Order, tag: string) =>
    new GatewayError({
      operation: Endpoints.placeOrder.name,
      reason: Rejected.make({
        code: Endpoints.placeOrder.errors.OrderRejected,
        name: "OrderRejected",
        message: `order ${order.id} (customTag "${tag}") was found rejected after its reply was lost`
      })
    })

  const ambiguous = (request: PlaceRequest, cause: string) =>
    new AmbiguousOrder({ operation: "Orders.place", customTag: request.customTag, accountId: request.accountId, cause })

  /**
   * A resend refused because its tag is in use: the order exists. The id the message names, else the tag
   * over a wide window; a rejected row under the tag is the resend's own refusal, not the order.
   */
  const findHolder = (request: PlaceRequest, refusal: GatewayError) =>
    Effect.gen(function* () {
      const { accountId, customTag: tag } = request
      const named = refusal.reason._tag === "Rejected" ? idInMessage(refusal.reason.message) : undefined
      if (named !== undefined) {
        const order = yield* Effect.option(byId(accountId, named).pipe(Effect.retry(lookupPolicy)))
        if (order._tag === "Some" && order.value.customTag === tag) return order.value
      }
      const now = yield* client.serverTime
      const found = yield* Effect.option(lookupTag(accountId, tag, now - tagInUseWindow))
      return found._tag === "Some" && found.value !== undefined && found.value.status !== OrderStatus.Rejected
        ? found.value
        : undefined
    })

  /** Sends `request`, settling ambiguous failures by its tag; see the module comment. */
  const submit = (request: PlaceRequest, wantReadBack: boolean) =>
    Effect.gen(function* () {
      const { accountId, customTag: tag, contractId } = request
      const placed = (orderId: number, sends: number, reconciled: boolean, order?: Order): PlacedOrder => ({
        orderId,
        customTag: tag,
        accountId,
        contractId,
        sends,
        reconciled,
        ...(order === undefined ? {} : { order })
      })
      // On the Gateway's clock: the order's creation time is the Gateway's, whatever ours says.
      const sentAt = yield* client.serverTime
      let sends = 0
      while (true) {
        sends++
        const result = yield* Effect.result(client.call(Endpoints.placeOrder, request))
        if (result._tag === "Success") {
          const orderId = result.success.orderId
          if (!wantReadBack) return placed(orderId, sends, false)
          const order = yield* byId(accountId, orderId).pipe(
            Effect.tapError((e) =>
              Effect.logWarning(`Orders.place: order ${orderId} placed, reading it back failed: ${e.message}`)
            ),
            Effect.option
          )
          return placed(orderId, sends, false, order._tag === "Some" ? order.value : undefined)
        }
        const error = result.failure
        if (error._tag !== "GatewayError") return yield* Effect.fail(error)
        if (!isAmbiguous(error.reason)) {
          if (sends > 1 && isTagInUse(error.reason)) {
            const holder = yield* findHolder(request, error)
            if (holder !== undefined) return placed(holder.id, sends, true, holder)
            return yield* Effect.fail(
              ambiguous(
                request,
                `a resend was refused because the tag is in use (${error.message}): an earlier send was executed, but the order could not be found`
              )
            )
          }
          // Any other refusal of a resend may still follow a late execution of an earlier send: look once more.
          if (sends > 1) {
            const late = yield* Effect.option(lookupTag(accountId, tag, sentAt - lookupBefore))
            if (late._tag === "Some" && late.value !== undefined && late.value.status !== OrderStatus.Rejected) {
              return placed(late.value.id, sends, true, late.value)
            }
          }
          return yield* Effect.fail(error)
        }
        yield* Effect.logWarning(`Orders.place: outcome unknown (${error.message}); looking up customTag "${tag}"`)
        const lookup = yield* Effect.result(lookupTag(accountId, tag, sentAt - lookupBefore))
        if (lookup._tag === "Failure") {
          return yield* Effect.fail(
            ambiguous(request, `${error.message}; the lookup by tag failed too: ${lookup.failure.message}`)
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
            ambiguous(
              request,
              `${error.message}; no order carries the tag after ${sends} sends, but a late execution cannot be ruled out`
            )
          )
        }
        yield* Effect.logInfo(`Orders.place: no order carries customTag "${tag}"; sending again (send ${sends + 1})`)
      }
    })

  return { submit, searchWindow, lookupPolicy }
}
