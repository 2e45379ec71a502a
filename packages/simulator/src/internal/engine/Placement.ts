// Order placement: resolve account and contract, run the checks (Validation.ts), then record either a
// Rejected row (the Gateway keeps those, with their id) or the working order with its bracket children
// (Suspended until the parent fills, OCO-linked), and fill it at once when it is marketable.
import {
  type Endpoints,
  OrderSide,
  OrderStatus,
  OrderType,
  PlaceOrderErrorCode,
  type RequestOf
} from "@projectx-effect/gateway"
import { type ContractInfo, isWellFormedId, ticksOf } from "../Contracts.ts"
import type { Book } from "./Book.ts"
import { advance, executeImmediately } from "./Matching.ts"
import { type AccountState, fail, Messages, type OrderState, ok, type Outcome } from "./Model.ts"
import { checkPlacement } from "./Validation.ts"

type PlaceRequest = RequestOf<typeof Endpoints.placeOrder>

const rejectRow = (
  book: Book,
  account: AccountState,
  contract: ContractInfo,
  req: PlaceRequest,
  nowMs: number,
  outcome: Outcome,
  keepTag: boolean
): Outcome & { readonly orderId: number } => {
  const o = book.newOrder(
    account,
    contract,
    {
      type: req.type,
      side: req.side,
      size: Math.max(0, req.size),
      status: OrderStatus.Rejected,
      customTag: keepTag ? (req.customTag ?? null) : null,
      limitTicks: req.limitPrice == null ? undefined : ticksOf(contract, req.limitPrice),
      stopTicks: req.stopPrice == null ? undefined : ticksOf(contract, req.stopPrice)
    },
    nowMs
  )
  book.orderChanged(o)
  return { ...outcome, orderId: o.id }
}

export const placeOrder = (
  book: Book,
  userId: number,
  req: PlaceRequest
): Outcome & { readonly orderId: number | null } => {
  const now = advance(book)
  const C = PlaceOrderErrorCode
  const account = book.ownedAccount(userId, req.accountId)
  if (account === undefined) return { ...fail(C.AccountNotFound), orderId: null }
  if (!isWellFormedId(req.contractId)) return { ...fail(C.OrderRejected, Messages.invalidSymbol), orderId: null }
  const contract = book.contract(req.contractId)
  if (contract === undefined) return { ...fail(C.ContractNotFound), orderId: null }
  const checked = checkPlacement(book, account, contract, req, now)
  if (checked._tag === "Rejected") return rejectRow(book, account, contract, req, now, checked.outcome, checked.keepTag)

  const { last, sl, stopTicks, tag, tp, trailTicks } = checked
  const type = req.type
  const buy = req.side === OrderSide.Bid
  const bid = last
  const ask = last + 1
  let limitTicks = checked.limitTicks
  if (type === OrderType.JoinBid) limitTicks = bid
  if (type === OrderType.JoinAsk) limitTicks = ask
  const o = book.newOrder(
    account,
    contract,
    { type, side: req.side, size: req.size, status: OrderStatus.Open, customTag: tag, limitTicks, stopTicks },
    now
  )
  if (trailTicks !== undefined) {
    o.trailTicks = trailTicks
    o.trailExtreme = last
    o.stopTicks = buy ? last + trailTicks : last - trailTicks
  }
  const children: Array<OrderState> = []
  if (sl !== undefined || tp !== undefined) {
    // Children wait (Suspended) with provisional prices from the expected entry.
    const reference = limitTicks ?? stopTicks ?? (buy ? ask : bid)
    const childSide = buy ? OrderSide.Ask : OrderSide.Bid
    if (sl !== undefined) {
      const child = book.newOrder(
        account,
        contract,
        {
          type: sl.type,
          side: childSide,
          size: req.size,
          status: OrderStatus.Suspended,
          customTag: null,
          stopTicks: reference + sl.ticks
        },
        now
      )
      child.bracketTicks = sl.ticks
      if (sl.type === OrderType.TrailingStop) {
        child.trailTicks = Math.abs(sl.ticks)
        child.trailExtreme = reference
      }
      children.push(child)
    }
    if (tp !== undefined) {
      const child = book.newOrder(
        account,
        contract,
        {
          type: OrderType.Limit,
          side: childSide,
          size: req.size,
          status: OrderStatus.Suspended,
          customTag: null,
          limitTicks: reference + tp.ticks
        },
        now
      )
      child.bracketTicks = tp.ticks
      children.push(child)
    }
    for (const c of children) c.parentOrderId = o.id
    if (children.length === 2) {
      children[0]!.linkedOrderId = children[1]!.id
      children[1]!.linkedOrderId = children[0]!.id
    }
    o.children = children.map((c) => c.id)
  }
  book.working.add(o)
  book.orderChanged(o)
  for (const c of children) book.orderChanged(c)
  executeImmediately(book, o, last, now)
  return { ...ok, orderId: o.id }
}
