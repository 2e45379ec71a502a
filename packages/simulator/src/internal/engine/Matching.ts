// The matching engine: brings resting orders up to the market clock by evaluating them, in id order,
// against each block of the path since the last evaluation, and fills marketable orders on arrival.
// Fills happen at the order's price or the block's open when the market gapped through it.
import { OrderSide, OrderStatus, OrderType } from "@projectx-effect/gateway"
import type { ContractInfo } from "../Contracts.ts"
import type { Block } from "../Market.ts"
import type { Book } from "./Book.ts"
import { fill } from "./Fills.ts"
import type { OrderState } from "./Model.ts"

/** Market time, after evaluating resting orders up to it. */
export const advance = (book: Book): number => {
  const t = book.clock()
  if (t > book.lastEvalMs) evaluate(book, book.lastEvalMs, t)
  book.lastEvalMs = t
  return t
}

/**
 * Evaluates a price override: the market jumped from `fromTicks` to `toTicks` now, so every
 * working order of the contract (even one placed this very second) meets that jump.
 */
export const evaluateJump = (book: Book, contract: ContractInfo, fromTicks: number, toTicks: number): void => {
  const now = advance(book)
  // Closed: nothing trades; the orders meet the moved price in the first block after the reopen.
  if (!book.market.isOpen(now)) return
  const sec = Math.floor(now / 1000)
  const block: Block = {
    start: sec,
    length: 1,
    o: fromTicks,
    h: Math.max(fromTicks, toTicks),
    l: Math.min(fromTicks, toTicks),
    c: toTicks,
    v: 0
  }
  onBlock(book, contract, block, true)
}

const evaluate = (book: Book, fromMs: number, toMs: number): void => {
  if (book.working.size === 0) return
  evaluateRange(book, Math.floor(fromMs / 1000) + 1, Math.floor(toMs / 1000) + 1)
}

const evaluateRange = (book: Book, a: number, b: number): void => {
  if (a >= b || book.working.size === 0) return
  const byContract = new Map<string, ContractInfo>()
  for (const o of book.working) byContract.set(o.contract.id, o.contract)
  for (const contract of byContract.values()) {
    book.market.forEachBlock(contract, a, b, (block) => onBlock(book, contract, block))
  }
}

const onBlock = (book: Book, contract: ContractInfo, block: Block, jump = false): void => {
  // A snapshot: children a fill opens in this block start working from the next one.
  const candidates: Array<OrderState> = []
  for (const o of book.working) {
    if (o.contract.id === contract.id && o.status === OrderStatus.Open && (jump || o.activeFrom <= block.start)) {
      candidates.push(o)
    }
  }
  if (candidates.length === 0) return
  candidates.sort((x, y) => x.id - y.id)
  const at = jump ? book.clock() : (block.start + block.length) * 1000 - 1
  const next = block.start + block.length
  for (const o of candidates) {
    if (o.status !== OrderStatus.Open) continue
    const stopBefore = o.stopTicks
    const px = triggerPrice(o, block)
    if (px === undefined) {
      // A trailing stop that followed the market is an order update too.
      if (o.stopTicks !== stopBefore) book.orderChanged(o)
      continue
    }
    const remaining = o.size - o.fillVolume
    const max = book.options.maxFillPerStep
    fill(book, o, max > 0 ? Math.min(max, remaining) : remaining, px, Math.min(at, book.clock()), next)
  }
}

/** The fill price of a resting order on a block, or undefined when the block does not reach it. */
const triggerPrice = (o: OrderState, b: Block): number | undefined => {
  const buy = o.side === OrderSide.Bid
  switch (o.type) {
    case OrderType.Limit:
    case OrderType.JoinBid:
    case OrderType.JoinAsk:
      return limitTouch(buy, o.limitTicks!, b)
    case OrderType.Stop:
      return stopTouch(buy, o.stopTicks!, b)
    case OrderType.StopLimit: {
      if (!o.triggered) {
        if (stopTouch(buy, o.stopTicks!, b) === undefined) return undefined
        o.triggered = true
      }
      return limitTouch(buy, o.limitTicks!, b)
    }
    case OrderType.TrailingStop: {
      const stop = buy ? o.trailExtreme + o.trailTicks! : o.trailExtreme - o.trailTicks!
      o.stopTicks = stop
      const px = stopTouch(buy, stop, b)
      if (px !== undefined) return px
      // Not hit: the stop follows the best price of this block.
      o.trailExtreme = buy ? Math.min(o.trailExtreme, b.l) : Math.max(o.trailExtreme, b.h)
      o.stopTicks = buy ? o.trailExtreme + o.trailTicks! : o.trailExtreme - o.trailTicks!
      return undefined
    }
    default:
      return undefined
  }
}

const limitTouch = (buy: boolean, limit: number, b: Block): number | undefined => {
  if (buy) return b.l <= limit ? Math.min(limit, b.o) : undefined
  return b.h >= limit ? Math.max(limit, b.o) : undefined
}

const stopTouch = (buy: boolean, stop: number, b: Block): number | undefined => {
  if (buy) return b.h >= stop ? Math.max(stop, b.o) : undefined
  return b.l <= stop ? Math.min(stop, b.o) : undefined
}

/** Market orders, and limit/stop orders already through the market, fill on arrival. */
export const executeImmediately = (book: Book, o: OrderState, last: number, now: number): void => {
  const buy = o.side === OrderSide.Bid
  const bid = last
  const ask = last + 1
  const next = Math.floor(now / 1000) + 1
  switch (o.type) {
    case OrderType.Market:
      fill(book, o, o.size, buy ? ask : bid, now, next)
      return
    case OrderType.Limit:
    case OrderType.JoinBid:
    case OrderType.JoinAsk:
      if (buy ? o.limitTicks! >= ask : o.limitTicks! <= bid) fill(book, o, o.size, buy ? ask : bid, now, next)
      return
    case OrderType.Stop:
      if (buy ? o.stopTicks! <= last : o.stopTicks! >= last) fill(book, o, o.size, buy ? ask : bid, now, next)
      return
    case OrderType.StopLimit:
      if (buy ? o.stopTicks! <= last : o.stopTicks! >= last) {
        o.triggered = true
        if (buy ? o.limitTicks! >= ask : o.limitTicks! <= bid) fill(book, o, o.size, buy ? ask : bid, now, next)
      }
      return
    default:
      return
  }
}
