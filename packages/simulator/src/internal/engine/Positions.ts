// Open positions: the search, and closing (whole or partial) with a market order at the current price.
// Closing shares the fill path with every other execution so fees, P&L and events stay one story.
import {
  ClosePositionErrorCode,
  OrderSide,
  OrderStatus,
  OrderType,
  PartialClosePositionErrorCode
} from "@projectx-effect/gateway"
import type { Book } from "./Book.ts"
import { cancelOrder, fill } from "./Fills.ts"
import { advance } from "./Matching.ts"
import { fail, Messages, ok, type Outcome, type WirePosition } from "./Model.ts"
import { wirePosition } from "./Wire.ts"

export const searchPositions = (
  book: Book,
  userId: number,
  accountId: number
): Outcome & { readonly positions: Array<WirePosition> } => {
  advance(book)
  if (book.ownedAccount(userId, accountId) === undefined) return { ...fail(1), positions: [] }
  const positions: Array<WirePosition> = []
  for (const p of book.positions.values()) if (p.accountId === accountId) positions.push(wirePosition(p))
  return { ...ok, positions }
}

/** closeContract and partialCloseContract share this; the two error enums differ (§4.5). */
export const closePosition = (
  book: Book,
  userId: number,
  accountId: number,
  contractId: string,
  size: number | undefined
): Outcome => {
  const now = advance(book)
  const partial = size !== undefined
  const C = partial ? PartialClosePositionErrorCode : ClosePositionErrorCode
  const account = book.ownedAccount(userId, accountId)
  if (account === undefined) return fail(C.AccountNotFound)
  const contract = book.contract(contractId)
  if (contract === undefined) return fail(C.ContractNotFound)
  if (!account.canTrade || (partial && !account.simulated)) {
    return fail(C.AccountRejected, account.canTrade ? Messages.live : Messages.accountRejected)
  }
  const pos = book.positions.get(`${account.id}:${contract.id}`)
  if (pos === undefined) return fail(C.PositionNotFound)
  if (now > contract.expiresAt) return fail(C.ContractNotActive)
  const qty = size ?? Math.abs(pos.size)
  if (partial && (qty <= 0 || qty > Math.abs(pos.size))) return fail(PartialClosePositionErrorCode.InvalidCloseSize)
  const last = book.market.lastTicks(contract, now)
  // Market closed or no price: OrderRejected with a null message, as documented.
  if (!book.market.isOpen(now) || last === undefined) return fail(C.OrderRejected)
  const side = pos.size > 0 ? OrderSide.Ask : OrderSide.Bid
  const o = book.newOrder(
    account,
    contract,
    { type: OrderType.Market, side, size: qty, status: OrderStatus.Open, customTag: null },
    now
  )
  book.working.add(o)
  book.orderChanged(o)
  fill(book, o, qty, side === OrderSide.Bid ? last + 1 : last, now, Math.floor(now / 1000) + 1)
  if (!partial && book.options.closeCancelsBrackets) {
    for (const w of [...book.working]) {
      if (w.accountId === account.id && w.contract.id === contract.id && w.parentOrderId !== undefined) {
        cancelOrder(book, w, now)
      }
    }
  }
  return ok
}
