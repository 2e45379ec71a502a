// The checks an order placement passes before it is accepted, in the Gateway's order: account
// permissions, the contract's status and the trading hours, size and type, prices on the tick grid,
// trailing distance, brackets, the custom tag, and margin. Pure with respect to the book: it only reads.
import { type Endpoints, OrderSide, OrderType, PlaceOrderErrorCode, type RequestOf } from "@projectx-effect/gateway"
import { type ContractInfo, frontQuarter, ticksOf } from "../Contracts.ts"
import type { Book } from "./Book.ts"
import { type AccountState, fail, Messages, type Outcome } from "./Model.ts"

type PlaceRequest = RequestOf<typeof Endpoints.placeOrder>
type Bracket = NonNullable<PlaceRequest["stopLossBracket"]>

export type Checked =
  | { readonly _tag: "Rejected"; readonly outcome: Outcome; readonly keepTag: boolean }
  | {
      readonly _tag: "Accepted"
      /** Last traded price in ticks. */
      readonly last: number
      readonly limitTicks: number | undefined
      readonly stopTicks: number | undefined
      readonly trailTicks: number | undefined
      readonly sl: Bracket | undefined
      readonly tp: Bracket | undefined
      readonly tag: string | null
    }

const C = PlaceOrderErrorCode

const rejectedWith = (outcome: Outcome, keepTag = true): Checked => ({ _tag: "Rejected", outcome, keepTag })
const rejected = (message: string, keepTag = true): Checked => rejectedWith(fail(C.OrderRejected, message), keepTag)

/** Whether a contract is the front (tradable) month at `now`. */
export const isActive = (contract: ContractInfo, now: number): boolean => contract.quarter === frontQuarter(now)

export const checkPlacement = (
  book: Book,
  account: AccountState,
  contract: ContractInfo,
  req: PlaceRequest,
  now: number
): Checked => {
  if (!account.canTrade) return rejectedWith(fail(C.AccountRejected, Messages.accountRejected))
  if (account.violation) return rejectedWith(fail(C.AccountViolation, Messages.accountViolation))
  if (!isActive(contract, now))
    return rejectedWith(fail(C.ContractNotActive, Messages.contractNotActive(contract.name)))
  if (!book.market.isOpen(now)) return rejectedWith(fail(C.OutsideTradingHours, Messages.outsideHours))

  if (req.size <= 0) return rejected(Messages.invalidSize)
  const buy = req.side === OrderSide.Bid
  const type = req.type
  if (type === OrderType.Unknown || (type === OrderType.StopLimit && book.options.stopLimit === "reject")) {
    return rejected(Messages.invalidType(type))
  }
  const last = book.market.lastTicks(contract, now)

  // Prices: present where the type needs them, on the tick grid.
  let limitTicks: number | undefined
  let stopTicks: number | undefined
  const needsLimit = type === OrderType.Limit || type === OrderType.StopLimit
  const needsStop = type === OrderType.Stop || type === OrderType.StopLimit
  if (needsLimit) {
    if (req.limitPrice == null) return rejected(Messages.priceMissing("limit price"))
    limitTicks = ticksOf(contract, req.limitPrice)
    if (limitTicks === undefined) return rejected(Messages.priceMisaligned("limit price"))
  }
  if (needsStop) {
    if (req.stopPrice == null) return rejected(Messages.priceMissing("stop price"))
    stopTicks = ticksOf(contract, req.stopPrice)
    if (stopTicks === undefined) return rejected(Messages.priceMisaligned("stop price"))
  }
  let trailTicks: number | undefined
  if (type === OrderType.TrailingStop) {
    if (req.trailPrice == null) return rejected(Messages.trailNotSet)
    const level = ticksOf(contract, req.trailPrice)
    if (level === undefined) return rejected(Messages.trailMisaligned)
    if (last === undefined) return rejected(Messages.noLastPrice)
    trailTicks = Math.abs(last - level)
    if (trailTicks === 0) return rejected(Messages.trailNotSet)
    if (trailTicks > 1000) return rejected(Messages.trailMax)
  }
  if (last === undefined) return rejected(Messages.noLastPrice)

  // Brackets: only in Auto OCO mode, with signed ticks and sensible types.
  const sl = req.stopLossBracket ?? undefined
  const tp = req.takeProfitBracket ?? undefined
  if (sl !== undefined || tp !== undefined) {
    if (account.bracketMode === "position") return rejected(Messages.positionBrackets)
    if (sl !== undefined) {
      if (buy ? sl.ticks >= 0 : sl.ticks <= 0) return rejected(Messages.stopLossTicks(sl.ticks, buy))
      if (sl.type !== OrderType.Stop && sl.type !== OrderType.TrailingStop)
        return rejected(Messages.stopLossType(sl.type))
      if (account.minStopLossTicks > 0 && Math.abs(sl.ticks) < account.minStopLossTicks) {
        return rejected(Messages.stopLossMinimum(account.minStopLossTicks))
      }
    }
    if (tp !== undefined) {
      if (buy ? tp.ticks <= 0 : tp.ticks >= 0) return rejected(Messages.takeProfitTicks(tp.ticks, buy))
      if (tp.type !== OrderType.Limit) return rejected(Messages.takeProfitType(tp.type))
    }
  }

  const tag = req.customTag ?? null
  if (tag !== null) {
    for (const o of book.ordersByAccount.get(account.id) ?? []) {
      if (o.customTag === tag) return rejected(Messages.duplicateTag(tag), false)
    }
  }

  // Margin: an order that grows the exposure must fit the balance.
  const posSize = book.positions.get(`${account.id}:${contract.id}`)?.size ?? 0
  const after = posSize + (buy ? req.size : -req.size)
  if (Math.abs(after) > Math.abs(posSize)) {
    let margin = 0
    for (const p of book.positions.values()) {
      if (p.accountId === account.id && p.contract.id !== contract.id)
        margin += Math.abs(p.size) * p.contract.spec.margin
    }
    margin += Math.abs(after) * contract.spec.margin
    if (account.balance <= 0 || margin > account.balance) {
      return rejectedWith(fail(C.InsufficientFunds, Messages.insufficientFunds))
    }
  }
  return { _tag: "Accepted", last, limitTicks, stopTicks, trailTicks, sl, tp, tag }
}
