/**
 * The checks an order passes before it may leave: size, prices for the type, tick alignment, bracket
 * signs and types, trailing distance. They are split in two so the caller can refuse a request without
 * any I/O (`checkPlacement`) and then check prices once the contract's tick size is known
 * (`checkPrices`). Every refusal is a `ValidationError` naming the field and what would be accepted.
 */
import { type Contract, OrderSide, OrderType } from "@projectx-effect/gateway"
import * as Effect from "effect/Effect"
import * as Clock from "effect/Clock"
import { ValidationError } from "../../client/Errors.ts"
import { bracketSign, isAligned, priceDistanceToTicks } from "../../market/internal/ticks.ts"

/** The entry side: a buy (bid) or a sell (ask); the Gateway's `OrderSide` values are accepted too. */
export type Side = "buy" | "sell" | OrderSide

/** Placeable order types (the Gateway's place page lists these; StopLimit is not documented for placement). */
export type OrderKind = "market" | "limit" | "stop" | "trailingStop" | "joinBid" | "joinAsk"

/** A bracket child, offset from the entry's fill in SIGNED ticks (see `bracketTicks`). */
export interface BracketLeg {
  /**
   * Signed ticks from the fill. Buy (long) entry: stop loss negative, take profit positive. Sell (short)
   * entry: stop loss positive, take profit negative.
   */
  readonly ticks: number
  /** Stop loss: "stop" (default) or "trailingStop". Take profit: "limit" (default). */
  readonly type?: "stop" | "trailingStop" | "limit" | undefined
}

interface PlaceCommon {
  /** Defaults to the selected account (`Accounts.selected`). */
  readonly accountId?: number | undefined
  /** A contract id (`CON.F.US.MNQ.Z25`), or a symbol that `Instruments.resolve` turns into one (`MNQ`). */
  readonly contractId: string
  readonly side: Side
  /** Contracts: a positive whole number. */
  readonly size: number
  /** Unique per account; generated (`px-<time>-<random>`) when omitted. It is how a lost reply is reconciled. */
  readonly customTag?: string | undefined
  readonly stopLoss?: BracketLeg | undefined
  readonly takeProfit?: BracketLeg | undefined
  /** Read the order back (`Order/searchById`) after placing it: one more request. */
  readonly readBack?: boolean | undefined
}

export type PlaceOrderInput =
  | (PlaceCommon & { readonly type: "market" })
  | (PlaceCommon & { readonly type: "limit"; readonly limitPrice: number })
  | (PlaceCommon & { readonly type: "stop"; readonly stopPrice: number })
  | (PlaceCommon & {
      readonly type: "trailingStop"
      /** The absolute price level the stop starts at (the Gateway converts it to a distance on receipt). */
      readonly trailPrice: number
      /** The current price, if known: lets the SDK check the trail distance (1–1000 ticks) before sending. */
      readonly referencePrice?: number | undefined
    })
  | (PlaceCommon & { readonly type: "joinBid" })
  | (PlaceCommon & { readonly type: "joinAsk" })

/** A placement that passed the checks that need no I/O. */
export interface CheckedPlacement {
  readonly accountId: number | undefined
  readonly contract: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly size: number
  readonly limitPrice: number | undefined
  readonly stopPrice: number | undefined
  readonly trailPrice: number | undefined
  readonly referencePrice: number | undefined
  readonly customTag: string | undefined
  readonly stopLossBracket: { readonly ticks: number; readonly type: OrderType } | undefined
  readonly takeProfitBracket: { readonly ticks: number; readonly type: OrderType } | undefined
  readonly readBack: boolean
}

/** The Gateway refuses trailing distances beyond this many ticks on placement (gateway-api.md §8). */
export const MAX_TRAIL_TICKS = 1000

export const kinds: Readonly<Record<OrderKind, OrderType>> = {
  market: OrderType.Market,
  limit: OrderType.Limit,
  stop: OrderType.Stop,
  trailingStop: OrderType.TrailingStop,
  joinBid: OrderType.JoinBid,
  joinAsk: OrderType.JoinAsk
}

const legTypes: Readonly<Record<string, OrderType>> = {
  stop: OrderType.Stop,
  trailingStop: OrderType.TrailingStop,
  limit: OrderType.Limit
}

export const SIGN_RULE =
  "for a buy (long) entry the stop loss must be below the fill: negative ticks; the take profit above: positive ticks (a sell (short) entry is the reverse: stop loss positive, take profit negative)"

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined)
    return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

/** A `ValidationError` for `field`, showing the offending value. */
export const refuse = (operation: string, field: string, allowed: string, got: unknown) =>
  Effect.fail(new ValidationError({ operation, field, allowed, got: show(got) }))

const fail = refuse

export const isPositiveInt = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 1

const isFiniteNumber = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n)

const sideOf = (side: unknown): OrderSide | undefined =>
  side === "buy" || side === OrderSide.Bid
    ? OrderSide.Bid
    : side === "sell" || side === OrderSide.Ask
      ? OrderSide.Ask
      : undefined

const priceFields = ["limitPrice", "stopPrice", "trailPrice"] as const
const requiredPrice: Partial<Record<OrderKind, (typeof priceFields)[number]>> = {
  limit: "limitPrice",
  stop: "stopPrice",
  trailingStop: "trailPrice"
}

const checkLeg = (
  operation: string,
  leg: "stopLoss" | "takeProfit",
  value: unknown,
  side: OrderSide
): Effect.Effect<{ readonly ticks: number; readonly type: OrderType } | undefined, ValidationError> => {
  if (value === undefined || value === null) return Effect.succeed(undefined)
  const field = leg === "stopLoss" ? "stopLossBracket" : "takeProfitBracket"
  if (typeof value !== "object") return fail(operation, field, "an object { ticks, type? }", value)
  const { ticks, type } = value as { ticks?: unknown; type?: unknown }
  if (typeof ticks !== "number" || !Number.isSafeInteger(ticks) || ticks === 0) {
    return fail(operation, `${field}.ticks`, `a non-zero whole number of ticks; ${SIGN_RULE}`, ticks)
  }
  const sign = bracketSign(side === OrderSide.Bid ? "buy" : "sell", leg)
  if (Math.sign(ticks) !== sign) {
    const sideName = side === OrderSide.Bid ? "buy (long)" : "sell (short)"
    return fail(
      operation,
      `${field}.ticks`,
      `this is a ${sideName} entry, so ${leg === "stopLoss" ? "the stop loss" : "the take profit"} needs ${
        sign < 0 ? "negative" : "positive"
      } ticks: ${SIGN_RULE}`,
      ticks
    )
  }
  const typeName = type ?? (leg === "stopLoss" ? "stop" : "limit")
  const orderType = typeof typeName === "string" ? legTypes[typeName] : undefined
  if (leg === "stopLoss" && orderType !== OrderType.Stop && orderType !== OrderType.TrailingStop) {
    return fail(
      operation,
      `${field}.type`,
      'a stop type: "stop" or "trailingStop" (the Gateway refuses a Limit stop loss)',
      type
    )
  }
  if (leg === "takeProfit" && orderType !== OrderType.Limit) {
    return fail(operation, `${field}.type`, '"limit"', type)
  }
  if (orderType === OrderType.TrailingStop && Math.abs(ticks) > MAX_TRAIL_TICKS) {
    return fail(operation, `${field}.ticks`, `a trailing distance of at most ${MAX_TRAIL_TICKS} ticks`, ticks)
  }
  return Effect.succeed({ ticks, type: orderType as OrderType })
}

/** Everything that can be checked without the contract: refuses before any request. */
export const checkPlacement = (
  input: PlaceOrderInput,
  operation = "Orders.place"
): Effect.Effect<CheckedPlacement, ValidationError> =>
  Effect.gen(function* () {
    const raw = input as unknown as Record<string, unknown>
    if (typeof raw !== "object" || raw === null) return yield* fail(operation, "order", "an order object", input)
    const kind = raw.type
    const type = typeof kind === "string" && Object.hasOwn(kinds, kind) ? kinds[kind as OrderKind] : undefined
    if (type === undefined) {
      return yield* fail(operation, "type", `one of ${Object.keys(kinds).join(", ")}`, kind)
    }
    const side = sideOf(raw.side)
    if (side === undefined) return yield* fail(operation, "side", '"buy" or "sell"', raw.side)
    if (!isPositiveInt(raw.size))
      return yield* fail(operation, "size", "a positive whole number of contracts", raw.size)
    if (raw.accountId !== undefined && !isPositiveInt(raw.accountId)) {
      return yield* fail(
        operation,
        "accountId",
        "an account id (a positive whole number) or nothing for the selected account",
        raw.accountId
      )
    }
    if (typeof raw.contractId !== "string" || raw.contractId.trim().length === 0) {
      return yield* fail(
        operation,
        "contractId",
        "a contract id such as CON.F.US.MNQ.Z25 or a symbol such as MNQ",
        raw.contractId
      )
    }
    const needed = requiredPrice[kind as OrderKind]
    for (const field of priceFields) {
      const value = raw[field]
      if (field === needed) {
        if (!isFiniteNumber(value)) {
          return yield* fail(operation, field, `a price (a finite number): a ${kind} order needs ${field}`, value)
        }
      } else if (value !== undefined && value !== null) {
        return yield* fail(
          operation,
          field,
          needed === undefined ? `no price for a ${kind} order` : `only ${needed} for a ${kind} order`,
          value
        )
      }
    }
    const referencePrice = raw.referencePrice
    if (referencePrice !== undefined && (kind !== "trailingStop" || !isFiniteNumber(referencePrice))) {
      return yield* fail(operation, "referencePrice", "a finite price, for trailing stops only", referencePrice)
    }
    let customTag: string | undefined
    if (raw.customTag !== undefined) {
      if (
        typeof raw.customTag !== "string" ||
        raw.customTag.trim().length === 0 ||
        raw.customTag.length > MAX_TAG_LENGTH ||
        /[\u0000-\u001f\u007f]/.test(raw.customTag)
      ) {
        return yield* fail(
          operation,
          "customTag",
          `a non-empty string of at most ${MAX_TAG_LENGTH} printable characters, unique on the account, or nothing to generate one`,
          raw.customTag
        )
      }
      customTag = raw.customTag
    }
    const stopLossBracket = yield* checkLeg(operation, "stopLoss", raw.stopLoss, side)
    const takeProfitBracket = yield* checkLeg(operation, "takeProfit", raw.takeProfit, side)
    return {
      accountId: raw.accountId as number | undefined,
      contract: (raw.contractId as string).trim(),
      side,
      type,
      size: raw.size,
      limitPrice: needed === "limitPrice" ? (raw.limitPrice as number) : undefined,
      stopPrice: needed === "stopPrice" ? (raw.stopPrice as number) : undefined,
      trailPrice: needed === "trailPrice" ? (raw.trailPrice as number) : undefined,
      referencePrice: referencePrice as number | undefined,
      customTag,
      stopLossBracket,
      takeProfitBracket,
      readBack: raw.readBack === true
    }
  })

const aligned = (operation: string, field: string, price: number | undefined, contract: Contract) =>
  price === undefined || isAligned(price, contract.tickSize)
    ? Effect.void
    : fail(
        operation,
        field,
        `a multiple of ${contract.name}'s tick size ${contract.tickSize} (Ticks.roundToTick rounds a price onto the grid)`,
        price
      )

/** Prices are finite, and > 0 unless `rule.allowNonPositive`: no I/O, so it runs before anything is sent. */
export const checkPriceSigns = (
  operation: string,
  prices: {
    readonly limitPrice?: number | undefined
    readonly stopPrice?: number | undefined
    readonly trailPrice?: number | undefined
    readonly referencePrice?: number | undefined
  },
  rule: { readonly allowNonPositive: boolean }
): Effect.Effect<void, ValidationError> => {
  for (const field of ["limitPrice", "stopPrice", "trailPrice", "referencePrice"] as const) {
    const price = prices[field]
    if (price === undefined) continue
    if (!isFiniteNumber(price)) return fail(operation, field, "a finite price", price)
    if (price <= 0 && !rule.allowNonPositive) {
      return fail(
        operation,
        field,
        "a price > 0 (a price ≤ 0 is almost always a mistake, but crude oil traded below zero in April 2020: set the Orders option allowNonPositivePrices to send one)",
        price
      )
    }
  }
  return Effect.void
}

/** The longest `customTag` sent (the Gateway stores it; an unbounded one would be echoed back in every read). */
export const MAX_TAG_LENGTH = 100

/**
 * Price checks that need the contract: sign, tick alignment and the trailing distance. A price ≤ 0 is
 * refused unless `rule.allowNonPositive` (crude oil traded below zero in April 2020).
 */
export const checkPrices = (
  operation: string,
  prices: {
    readonly limitPrice?: number | undefined
    readonly stopPrice?: number | undefined
    readonly trailPrice?: number | undefined
    readonly referencePrice?: number | undefined
    readonly side?: OrderSide | undefined
  },
  contract: Contract,
  rule: { readonly allowNonPositive: boolean } = { allowNonPositive: false }
): Effect.Effect<void, ValidationError> =>
  Effect.gen(function* () {
    yield* checkPriceSigns(operation, prices, rule)
    yield* aligned(operation, "limitPrice", prices.limitPrice, contract)
    yield* aligned(operation, "stopPrice", prices.stopPrice, contract)
    yield* aligned(operation, "trailPrice", prices.trailPrice, contract)
    if (prices.trailPrice !== undefined && prices.referencePrice !== undefined) {
      const distance = prices.referencePrice - prices.trailPrice
      const ticks = Math.abs(priceDistanceToTicks(distance, contract.tickSize))
      if (ticks < 1 || ticks > MAX_TRAIL_TICKS) {
        return yield* fail(
          operation,
          "trailPrice",
          `a level 1 to ${MAX_TRAIL_TICKS} ticks from the reference price ${prices.referencePrice} (tick size ${contract.tickSize})`,
          prices.trailPrice
        )
      }
      // A sell trailing stop protects a long: it sits below the market; a buy stop sits above.
      if (prices.side !== undefined && (prices.side === OrderSide.Ask ? distance < 0 : distance > 0)) {
        return yield* fail(
          operation,
          "trailPrice",
          prices.side === OrderSide.Ask
            ? `below the reference price ${prices.referencePrice} for a sell trailing stop`
            : `above the reference price ${prices.referencePrice} for a buy trailing stop`,
          prices.trailPrice
        )
      }
    }
  })

const DAY_MS = 24 * 60 * 60 * 1000
/**
 * A default window ends a minute after "now": the estimate of the Gateway's clock is only as fine as the
 * `Date` header (whole seconds), and an order placed a moment ago must not fall just past the end.
 * Nothing is stamped in the future, so the slack adds no rows.
 */
const NOW_SLACK_MS = 60_000

/**
 * A search window from optional dates: `end` defaults to now, `start` to a day before `end`; a start
 * after the end is refused. Shared by order and trade searches. "Now" is the Gateway's clock as the
 * replies' `Date` headers report it (`GatewayClient.serverTime`), not ours: the Gateway stamps orders
 * and fills with its own time, so a local clock that is off would search a window that misses them.
 */
export const searchWindow = (
  operation: string,
  options: { readonly start?: Date | undefined; readonly end?: Date | undefined } | undefined,
  currentTime: Effect.Effect<number> = Clock.currentTimeMillis
) =>
  Effect.gen(function* () {
    const now = yield* currentTime
    const end = options?.end?.getTime() ?? now + NOW_SLACK_MS
    const start = options?.start?.getTime() ?? (options?.end?.getTime() ?? now) - DAY_MS
    if (!Number.isFinite(start)) return yield* refuse(operation, "start", "a valid Date", String(options?.start))
    if (!Number.isFinite(end)) return yield* refuse(operation, "end", "a valid Date", String(options?.end))
    if (start > end) {
      return yield* refuse(
        operation,
        "start",
        `a time before end (${new Date(end).toISOString()})`,
        new Date(start).toISOString()
      )
    }
    return { start, end }
  })
