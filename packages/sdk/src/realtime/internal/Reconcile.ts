/**
 * What a user-event subscriber has already been told, so the hub and the REST backfill after a gap deliver
 * each change once: fills by id, orders and positions by their state. The Gateway does not replay missed
 * events, so after a reconnect the REST snapshot is diffed against this and only the difference is sent.
 */
import type { HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"

const LIMIT = 50_000

/** Forgets the oldest entries once a map grows past the limit (a long-running bot's history). */
const bounded = <K, V>(map: Map<K, V>) => {
  if (map.size <= LIMIT) return
  const excess = map.size - LIMIT
  let i = 0
  for (const key of map.keys()) {
    if (i++ >= excess) break
    map.delete(key)
  }
}

const orderTime = (order: Order): number => (order.updateTimestamp ?? order.creationTimestamp).getTime()

const orderSignature = (o: Order): string =>
  `${o.status}|${o.fillVolume ?? 0}|${o.filledPrice ?? ""}|${o.size}|${o.limitPrice ?? ""}|${o.stopPrice ?? ""}|${o.updateTimestamp?.getTime() ?? ""}`

const positionSignature = (p: Position): string => `${p.type}|${p.size}|${p.averagePrice}`

const accountSignature = (a: TradingAccount): string => `${a.balance}|${a.canTrade}|${a.isVisible}|${a.name}`

export class Seen {
  readonly orders = new Map<number, { readonly signature: string; readonly time: number; readonly fill: number }>()
  readonly trades = new Map<number, true>()
  /** Open positions by contract (a flat position is removed). */
  readonly positions = new Map<string, { readonly signature: string; readonly position: Position }>()
  readonly accounts = new Map<number, string>()

  /** True when `order` says something new (a REST copy older than what the hub said is not new). */
  order(order: Order, fromRest: boolean): boolean {
    const signature = orderSignature(order)
    const before = this.orders.get(order.id)
    if (before?.signature === signature) return false
    const time = orderTime(order)
    const fill = order.fillVolume ?? 0
    if (fromRest && before !== undefined && (time < before.time || (time === before.time && fill < before.fill))) {
      return false
    }
    this.orders.delete(order.id)
    this.orders.set(order.id, { signature, time, fill })
    bounded(this.orders)
    return true
  }

  trade(trade: HalfTrade): boolean {
    if (this.trades.has(trade.id)) return false
    this.trades.set(trade.id, true)
    bounded(this.trades)
    return true
  }

  position(position: Position): boolean {
    const signature = positionSignature(position)
    const before = this.positions.get(position.contractId)
    if (position.size === 0) {
      if (before === undefined) return false
      this.positions.delete(position.contractId)
      return true
    }
    if (before?.signature === signature) return false
    this.positions.set(position.contractId, { signature, position })
    return true
  }

  /** REST's open positions: the changed ones, and a flat copy of each one REST no longer lists. */
  positionsFromRest(open: ReadonlyArray<Position>): Array<Position> {
    const changed: Array<Position> = []
    const listed = new Set<string>()
    for (const position of open) {
      listed.add(position.contractId)
      if (this.position(position)) changed.push(position)
    }
    for (const [contractId, known] of [...this.positions]) {
      if (listed.has(contractId)) continue
      const flat: Position = { ...known.position, size: 0 }
      if (this.position(flat)) changed.push(flat)
    }
    return changed
  }

  account(account: TradingAccount): boolean {
    const signature = accountSignature(account)
    if (this.accounts.get(account.id) === signature) return false
    this.accounts.set(account.id, signature)
    return true
  }
}

/** REST orders in the order they happened. */
export const byTime = (orders: ReadonlyArray<Order>): Array<Order> =>
  [...orders].sort((a, b) => orderTime(a) - orderTime(b) || a.id - b.id)

/** REST fills in the order they happened. */
export const tradesByTime = (trades: ReadonlyArray<HalfTrade>): Array<HalfTrade> =>
  [...trades].sort((a, b) => a.creationTimestamp.getTime() - b.creationTimestamp.getTime() || a.id - b.id)
