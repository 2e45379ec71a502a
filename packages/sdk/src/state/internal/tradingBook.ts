/**
 * The pure heart of `TradingState`: one account's orders, positions and balance, moved by user-hub events
 * (each checked by the order lifecycle) and replaced by REST snapshots. A snapshot is compared with what the
 * events built first, and every difference is reported by kind: that is how a dropped hub is explained.
 */
import type { HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"
import { check, isLive, isTerminal, type Phase, Phase as P, phaseOf } from "../OrderLifecycle.ts"

/** An order with its lifecycle phase. */
export interface TrackedOrder {
  readonly order: Order
  readonly phase: Phase
}

/** A placement sent with `customTag`, not yet matched to an order (Unknown when its reply was lost). */
export interface Placement {
  readonly customTag: string
  readonly phase: typeof P.Submitted | typeof P.Unknown
  readonly sentAt: number
}

export interface TradingSnapshot {
  readonly accountId: number
  readonly account: TradingAccount | undefined
  /** Known orders by id: every live one, and terminal ones seen since the last REST snapshot. */
  readonly orders: ReadonlyMap<number, TrackedOrder>
  /** Open positions by contract id (the Gateway nets one position per contract). */
  readonly positions: ReadonlyMap<string, Position>
  /** Placements whose order has not been seen yet, by tag. */
  readonly placements: ReadonlyMap<string, Placement>
  /** The latest fills (newest last), at most `maxTrades`. */
  readonly trades: ReadonlyArray<HalfTrade>
  /** How many changes were applied; grows by one per applied event or snapshot. */
  readonly version: number
}

export const empty = (accountId: number): TradingSnapshot => ({
  accountId,
  account: undefined,
  orders: new Map(),
  positions: new Map(),
  placements: new Map(),
  trades: [],
  version: 0
})

/** What an event did. */
export type Applied =
  | { readonly _tag: "Applied" }
  | { readonly _tag: "Ignored"; readonly reason: string }
  | {
      readonly _tag: "Backwards"
      readonly orderId: number
      readonly from: Phase
      readonly to: Phase
      readonly reason: string
    }

const applied: Applied = { _tag: "Applied" }
const ignored = (reason: string): Applied => ({ _tag: "Ignored", reason })

export type UserEvent =
  | { readonly _tag: "Order"; readonly order: Order }
  | { readonly _tag: "Position"; readonly position: Position }
  | { readonly _tag: "Trade"; readonly trade: HalfTrade }
  | { readonly _tag: "Account"; readonly account: TradingAccount }

const withOrder = (s: TradingSnapshot, order: Order): TradingSnapshot => {
  const orders = new Map(s.orders)
  orders.set(order.id, { order, phase: phaseOf(order) })
  let placements = s.placements
  const tag = order.customTag
  if (tag != null && placements.has(tag)) {
    placements = new Map(placements)
    ;(placements as Map<string, Placement>).delete(tag)
  }
  return { ...s, orders, placements, version: s.version + 1 }
}

/** Applies one user-hub event; events of other accounts are ignored. */
export const apply = (
  s: TradingSnapshot,
  event: UserEvent,
  maxTrades = 200
): { readonly state: TradingSnapshot; readonly result: Applied } => {
  switch (event._tag) {
    case "Order": {
      const order = event.order
      if (order.accountId !== s.accountId) return { state: s, result: ignored("another account") }
      const verdict = check(s.orders.get(order.id)?.order, order)
      if (verdict._tag === "Duplicate") return { state: s, result: ignored("duplicate") }
      if (verdict._tag === "Backwards") {
        const { from, to, reason } = verdict
        return { state: s, result: { _tag: "Backwards", orderId: order.id, from, to, reason } }
      }
      return { state: withOrder(s, order), result: applied }
    }
    case "Position": {
      const p = event.position
      if (p.accountId !== s.accountId) return { state: s, result: ignored("another account") }
      const held = s.positions.get(p.contractId)
      const positions = new Map(s.positions)
      if (p.size === 0) {
        // A flat announcement for an earlier row (before a flip) must not remove the current one.
        if (held === undefined) return { state: s, result: ignored("already flat") }
        if (held.id !== p.id) return { state: s, result: ignored(`flat row ${p.id} is not the open row ${held.id}`) }
        positions.delete(p.contractId)
      } else {
        if (held !== undefined && held.id === p.id && samePosition(held, p)) {
          return { state: s, result: ignored("duplicate") }
        }
        positions.set(p.contractId, p)
      }
      return { state: { ...s, positions, version: s.version + 1 }, result: applied }
    }
    case "Trade": {
      const t = event.trade
      if (t.accountId !== s.accountId) return { state: s, result: ignored("another account") }
      if (s.trades.some((x) => x.id === t.id)) return { state: s, result: ignored("duplicate") }
      const trades = [...s.trades, t]
      if (trades.length > maxTrades) trades.splice(0, trades.length - maxTrades)
      return { state: { ...s, trades, version: s.version + 1 }, result: applied }
    }
    case "Account": {
      const a = event.account
      if (a.id !== s.accountId) return { state: s, result: ignored("another account") }
      const held = s.account
      if (held !== undefined && held.balance === a.balance && sameAccount(held, a)) {
        return { state: s, result: ignored("duplicate") }
      }
      return { state: { ...s, account: a, version: s.version + 1 }, result: applied }
    }
  }
}

/** Records a placement about to be sent, so its order can be recognised by tag. */
export const submitted = (s: TradingSnapshot, customTag: string, sentAt: number): TradingSnapshot => {
  const placements = new Map(s.placements)
  placements.set(customTag, { customTag, phase: P.Submitted, sentAt })
  return { ...s, placements, version: s.version + 1 }
}

/** Marks a placement's outcome unknown (its reply was lost and the lookup could not settle it). */
export const unknown = (s: TradingSnapshot, customTag: string): TradingSnapshot => {
  const held = s.placements.get(customTag)
  if (held === undefined) return s
  const placements = new Map(s.placements)
  placements.set(customTag, { ...held, phase: P.Unknown })
  return { ...s, placements, version: s.version + 1 }
}

/** Forgets a placement that was refused before it could create an order. */
export const withdrawn = (s: TradingSnapshot, customTag: string): TradingSnapshot => {
  if (!s.placements.has(customTag)) return s
  const placements = new Map(s.placements)
  placements.delete(customTag)
  return { ...s, placements, version: s.version + 1 }
}

/** The order carrying `customTag`, if one is known. */
export const byTag = (s: TradingSnapshot, customTag: string): TrackedOrder | undefined => {
  for (const o of s.orders.values()) if (o.order.customTag === customTag) return o
  return undefined
}

/** What REST says: the account, orders (every live one and the recent terminal ones), open positions. */
export interface RestSnapshot {
  readonly account: TradingAccount | undefined
  readonly orders: ReadonlyArray<Order>
  readonly positions: ReadonlyArray<Position>
}

export const DivergenceKind = {
  /** REST has a live order the events never announced. */
  OrderMissing: "OrderMissing",
  /** The order's phase differs (a fill, cancel or rejection the events missed). */
  OrderPhase: "OrderPhase",
  /** Same phase, different fill volume, size or prices. */
  OrderFields: "OrderFields",
  /** The events hold a live order that REST no longer lists. */
  OrderVanished: "OrderVanished",
  /** A placement whose outcome was unknown was found by its tag. */
  PlacementFound: "PlacementFound",
  /** A placement whose outcome was unknown has no order: it was not executed. */
  PlacementAbsent: "PlacementAbsent",
  /** REST has an open position the events never announced. */
  PositionMissing: "PositionMissing",
  /** The events hold a position that REST says is flat. */
  PositionExtra: "PositionExtra",
  /** Same contract, different size, side or average price. */
  PositionFields: "PositionFields",
  /** The account's balance differs. */
  Balance: "Balance",
  /** Another account field differs (canTrade, name, …). */
  AccountFields: "AccountFields"
} as const
export type DivergenceKind = (typeof DivergenceKind)[keyof typeof DivergenceKind]

export interface Divergence {
  readonly kind: DivergenceKind
  /** The order id, contract id or account id concerned. */
  readonly key: string
  /** What the events said, and what REST said. */
  readonly detail: string
}

const describeOrder = (o: Order | undefined): string =>
  o === undefined
    ? "absent"
    : `${phaseOf(o)} ${o.fillVolume ?? 0}/${o.size}${o.limitPrice == null ? "" : ` limit ${o.limitPrice}`}${o.stopPrice == null ? "" : ` stop ${o.stopPrice}`}`

const describePosition = (p: Position | undefined): string =>
  p === undefined ? "flat" : `${p.type === 1 ? "long" : "short"} ${p.size} @ ${p.averagePrice}`

const samePosition = (a: Position, b: Position): boolean =>
  a.size === b.size && a.type === b.type && Math.abs(a.averagePrice - b.averagePrice) < 1e-9

const sameAccount = (a: TradingAccount, b: TradingAccount): boolean =>
  a.name === b.name && a.canTrade === b.canTrade && a.isVisible === b.isVisible

/**
 * Replaces the state with REST's, reporting every way the event-built state differed. Terminal orders REST
 * no longer lists simply age out; a live one that vanished is a divergence. Placements whose tag REST shows
 * are settled; Unknown placements older than `placementGraceMs` with no order are declared absent.
 */
export const reconcile = (
  s: TradingSnapshot,
  rest: RestSnapshot,
  now: number,
  placementGraceMs = 60_000
): { readonly state: TradingSnapshot; readonly divergences: ReadonlyArray<Divergence> } => {
  const out: Array<Divergence> = []
  const orders = new Map<number, TrackedOrder>()
  const tags = new Set<string>()
  for (const order of rest.orders) {
    if (order.accountId !== s.accountId) continue
    const phase = phaseOf(order)
    orders.set(order.id, { order, phase })
    if (order.customTag != null) tags.add(order.customTag)
    const held = s.orders.get(order.id)
    if (held === undefined) {
      if (isLive(phase))
        out.push({ kind: "OrderMissing", key: String(order.id), detail: `absent → ${describeOrder(order)}` })
      continue
    }
    if (held.phase !== phase) {
      out.push({
        kind: "OrderPhase",
        key: String(order.id),
        detail: `${describeOrder(held.order)} → ${describeOrder(order)}`
      })
    } else if (
      (held.order.fillVolume ?? 0) !== (order.fillVolume ?? 0) ||
      held.order.size !== order.size ||
      (held.order.limitPrice ?? null) !== (order.limitPrice ?? null) ||
      (held.order.stopPrice ?? null) !== (order.stopPrice ?? null)
    ) {
      out.push({
        kind: "OrderFields",
        key: String(order.id),
        detail: `${describeOrder(held.order)} → ${describeOrder(order)}`
      })
    }
  }
  for (const [id, held] of s.orders) {
    if (orders.has(id) || isTerminal(held.phase)) continue
    out.push({ kind: "OrderVanished", key: String(id), detail: `${describeOrder(held.order)} → not listed` })
  }
  const placements = new Map<string, Placement>()
  for (const [tag, p] of s.placements) {
    if (tags.has(tag)) {
      if (p.phase === P.Unknown) out.push({ kind: "PlacementFound", key: tag, detail: "Unknown → found by tag" })
    } else if (p.phase === P.Unknown && now - p.sentAt > placementGraceMs) {
      out.push({ kind: "PlacementAbsent", key: tag, detail: "Unknown → no order carries the tag" })
    } else {
      placements.set(tag, p)
    }
  }
  const positions = new Map<string, Position>()
  for (const p of rest.positions) {
    if (p.accountId !== s.accountId || p.size === 0) continue
    positions.set(p.contractId, p)
    const held = s.positions.get(p.contractId)
    if (held === undefined) {
      out.push({ kind: "PositionMissing", key: p.contractId, detail: `flat → ${describePosition(p)}` })
    } else if (!samePosition(held, p)) {
      out.push({
        kind: "PositionFields",
        key: p.contractId,
        detail: `${describePosition(held)} → ${describePosition(p)}`
      })
    }
  }
  for (const [contractId, held] of s.positions) {
    if (!positions.has(contractId)) {
      out.push({ kind: "PositionExtra", key: contractId, detail: `${describePosition(held)} → flat` })
    }
  }
  let account = s.account
  if (rest.account !== undefined) {
    const held = s.account
    if (held !== undefined) {
      if (Math.abs(held.balance - rest.account.balance) > 1e-6) {
        out.push({ kind: "Balance", key: String(s.accountId), detail: `${held.balance} → ${rest.account.balance}` })
      }
      if (!sameAccount(held, rest.account)) {
        out.push({ kind: "AccountFields", key: String(s.accountId), detail: "name/canTrade/isVisible changed" })
      }
    }
    account = rest.account
  }
  return {
    state: { ...s, account, orders, positions, placements, version: s.version + 1 },
    divergences: out
  }
}

/** The live orders (Submitted, Working, PartiallyFilled), oldest id first. */
export const liveOrders = (s: TradingSnapshot): ReadonlyArray<Order> =>
  [...s.orders.values()]
    .filter((o) => isLive(o.phase))
    .map((o) => o.order)
    .sort((a, b) => a.id - b.id)
