// Changes to a working order: modify (size, prices, trailing distance; a modified bracket child keeps
// the user's price instead of following the parent's fill) and cancel (children waiting on the parent
// go with it). Both first bring the book up to the market clock, as every engine operation does.
import {
  CancelOrderErrorCode,
  type Endpoints,
  ModifyOrderErrorCode,
  OrderSide,
  OrderStatus,
  OrderType,
  type RequestOf
} from "@projectx-effect/gateway"
import { ticksOf } from "../Contracts.ts"
import type { Book } from "./Book.ts"
import { cancelOrder } from "./Fills.ts"
import { advance, executeImmediately } from "./Matching.ts"
import { fail, isWorking, Messages, ok, type Outcome } from "./Model.ts"

export const modifyOrder = (book: Book, userId: number, req: RequestOf<typeof Endpoints.modifyOrder>): Outcome => {
  const now = advance(book)
  const C = ModifyOrderErrorCode
  const account = book.ownedAccount(userId, req.accountId)
  if (account === undefined) return fail(C.AccountNotFound)
  const o = book.orders.get(req.orderId)
  if (o === undefined || o.accountId !== account.id) return fail(C.OrderNotFound)
  if (!account.canTrade) return fail(C.AccountRejected, Messages.accountRejected)
  if (!isWorking(o.status)) return fail(C.Rejected, Messages.notWorking("modify", o.status))
  const contract = o.contract
  let size = o.size
  if (req.size != null) {
    if (req.size <= 0 || req.size <= o.fillVolume) return fail(C.Rejected, Messages.invalidSize)
    size = req.size
  }
  let limitTicks = o.limitTicks
  let stopTicks = o.stopTicks
  let trailTicks = o.trailTicks
  if (req.limitPrice != null) {
    limitTicks = ticksOf(contract, req.limitPrice)
    if (limitTicks === undefined) return fail(C.Rejected, Messages.priceMisaligned("limit price"))
  }
  if (req.stopPrice != null) {
    stopTicks = ticksOf(contract, req.stopPrice)
    if (stopTicks === undefined) return fail(C.Rejected, Messages.priceMisaligned("stop price"))
  }
  const last = book.market.lastTicks(contract, now)
  if (req.trailPrice != null && o.type === OrderType.TrailingStop) {
    const level = ticksOf(contract, req.trailPrice)
    if (level === undefined) return fail(C.Rejected, Messages.trailMisaligned)
    if (last === undefined) return fail(C.Rejected, Messages.noLastPrice)
    // No 1000-tick guard on modify (gateway-api.md §4.4.1).
    trailTicks = Math.abs(last - level)
    if (trailTicks === 0) return fail(C.Rejected, Messages.trailNotSet)
  }
  o.size = size
  if (req.limitPrice != null) {
    o.limitTicks = limitTicks
    if (o.status === OrderStatus.Suspended && o.type === OrderType.Limit) o.bracketTicks = undefined
  }
  if (req.stopPrice != null) {
    o.stopTicks = stopTicks
    if (o.status === OrderStatus.Suspended && o.type !== OrderType.Limit) o.bracketTicks = undefined
  }
  if (trailTicks !== o.trailTicks && trailTicks !== undefined && last !== undefined) {
    o.trailTicks = trailTicks
    o.trailExtreme = last
    o.stopTicks = o.side === OrderSide.Bid ? last + trailTicks : last - trailTicks
  }
  o.updatedMs = now
  book.orderChanged(o)
  // A modified order that became marketable fills now, but only while the market trades.
  if (o.status === OrderStatus.Open && last !== undefined && book.market.isOpen(now)) {
    executeImmediately(book, o, last, now)
  }
  return ok
}

export const cancel = (book: Book, userId: number, req: RequestOf<typeof Endpoints.cancelOrder>): Outcome => {
  const now = advance(book)
  const C = CancelOrderErrorCode
  const account = book.ownedAccount(userId, req.accountId)
  if (account === undefined) return fail(C.AccountNotFound)
  const o = book.orders.get(req.orderId)
  if (o === undefined || o.accountId !== account.id) return fail(C.OrderNotFound)
  if (account.follower) return fail(C.AccountRejected, Messages.follower)
  if (!account.simulated) return fail(C.AccountRejected, Messages.live)
  if (!isWorking(o.status)) return fail(C.Rejected, Messages.notWorking("cancel", o.status))
  cancelOrder(book, o, now)
  return ok
}
