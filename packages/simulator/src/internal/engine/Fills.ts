// Fills and their consequences: the trade row with its fees, the position (open, add, reduce, flip),
// the account balance, the order's status, bracket children opening and OCO siblings shrinking or
// cancelling. Every path that executes quantity (resting match, marketable arrival, close) comes here.
import { OrderSide, OrderStatus, OrderType } from "@projectx-effect/gateway"
import type { Book } from "./Book.ts"
import { isWorking, type OrderState, type PositionState, round2 } from "./Model.ts"

/** Fills `qty` of an order at `priceTicks`: trade row, position, balance, status, brackets. */
export const fill = (
  book: Book,
  o: OrderState,
  qty: number,
  priceTicks: number,
  atMs: number,
  nextSec: number
): void => {
  if (qty <= 0) return
  const account = book.accounts.get(o.accountId)!
  const spec = o.contract.spec
  const key = `${o.accountId}:${o.contract.id}`
  const signed = o.side === OrderSide.Bid ? qty : -qty
  const pos = book.positions.get(key)
  let pnl: number | null = null
  // The position rows this fill touched, in order, with the side each had (a flat row reads size 0).
  const touched: Array<readonly [PositionState, number]> = []
  if (pos === undefined) {
    const opened: PositionState = {
      id: book.nextPositionId++,
      accountId: o.accountId,
      contract: o.contract,
      createdMs: atMs,
      size: signed,
      avgTicks: priceTicks
    }
    book.positions.set(key, opened)
    touched.push([opened, signed])
  } else if (Math.sign(pos.size) === Math.sign(signed)) {
    pos.avgTicks = (pos.avgTicks * Math.abs(pos.size) + priceTicks * qty) / (Math.abs(pos.size) + qty)
    pos.size += signed
    touched.push([pos, pos.size])
  } else {
    const closing = Math.min(qty, Math.abs(pos.size))
    const direction = pos.size > 0 ? 1 : -1
    pnl = round2((priceTicks - pos.avgTicks) * direction * closing * spec.tickValue)
    pos.size += direction === 1 ? -closing : closing
    touched.push([pos, direction])
    const opening = qty - closing
    if (pos.size === 0) {
      book.positions.delete(key)
      if (opening > 0) {
        const flipped: PositionState = {
          id: book.nextPositionId++,
          accountId: o.accountId,
          contract: o.contract,
          createdMs: atMs,
          size: o.side === OrderSide.Bid ? opening : -opening,
          avgTicks: priceTicks
        }
        book.positions.set(key, flipped)
        touched.push([flipped, flipped.size])
      }
    }
  }
  const fees = round2(spec.feePerSide * qty)
  const trade = {
    id: book.nextTradeId++,
    accountId: o.accountId,
    contract: o.contract,
    createdMs: atMs,
    priceTicks,
    pnl,
    fees,
    side: o.side,
    size: qty,
    orderId: o.id
  }
  book.trades.push(trade)
  account.balance = round2(account.balance + (pnl ?? 0) - fees)
  o.fillVolume += qty
  o.fillNotional += priceTicks * qty
  o.updatedMs = atMs
  if (o.fillVolume >= o.size) {
    o.status = OrderStatus.Filled
    book.working.delete(o)
  }
  book.orderChanged(o)
  book.tradeAdded(trade)
  for (const [p, side] of touched) book.positionChanged(p, side)
  book.accountChanged(account)
  // Bracket children open once their parent is completely filled.
  if (o.children !== undefined && o.status === OrderStatus.Filled) {
    const avg = o.fillNotional / o.fillVolume
    for (const id of o.children) {
      const child = book.orders.get(id)
      if (child === undefined || child.status !== OrderStatus.Suspended) continue
      activateChild(book, child, Math.round(avg), atMs, nextSec)
    }
  }
  // OCO: a child's fill shrinks its sibling; a complete fill cancels it.
  if (o.linkedOrderId !== undefined) {
    const sibling = book.orders.get(o.linkedOrderId)
    if (sibling !== undefined && isWorking(sibling.status)) {
      if (o.status === OrderStatus.Filled) cancelOrder(book, sibling, atMs)
      else {
        sibling.size = Math.max(sibling.fillVolume + 1, o.size - o.fillVolume)
        book.orderChanged(sibling)
      }
    }
  }
}

const activateChild = (book: Book, child: OrderState, fillTicks: number, atMs: number, nextSec: number): void => {
  if (child.bracketTicks !== undefined) {
    const target = fillTicks + child.bracketTicks
    if (child.type === OrderType.Limit) child.limitTicks = target
    else if (child.type === OrderType.TrailingStop) {
      child.trailTicks = Math.abs(child.bracketTicks)
      child.trailExtreme = fillTicks
      child.stopTicks = target
    } else child.stopTicks = target
  }
  child.status = OrderStatus.Open
  child.updatedMs = atMs
  child.activeFrom = nextSec
  book.working.add(child)
  book.orderChanged(child)
}

/** Cancels a working order and its children still waiting for the parent's fill. */
export const cancelOrder = (book: Book, o: OrderState, atMs: number): void => {
  o.status = OrderStatus.Cancelled
  o.updatedMs = atMs
  book.working.delete(o)
  book.orderChanged(o)
  if (o.children !== undefined) {
    for (const id of o.children) {
      const child = book.orders.get(id)
      if (child !== undefined && child.status === OrderStatus.Suspended) {
        child.status = OrderStatus.Cancelled
        child.updatedMs = atMs
        book.working.delete(child)
        book.orderChanged(child)
      }
    }
  }
}
