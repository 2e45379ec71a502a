// The engine's records in their wire encoding (what the REST answers and the realtime events carry).
// One function per record so the REST queries and the change events can never disagree on a field.
import { OrderType, PositionType } from "@projectx-effect/gateway"
import { priceOf } from "../Contracts.ts"
import {
  type AccountState,
  isoMicros,
  type OrderState,
  type PositionState,
  price9,
  type TradeState,
  type WireAccount,
  type WireOrder,
  type WirePosition,
  type WireTrade
} from "./Model.ts"

export const wireOrder = (o: OrderState): WireOrder => {
  const c = o.contract
  const out: {
    -readonly [K in keyof WireOrder]: WireOrder[K]
  } = {
    id: o.id,
    accountId: o.accountId,
    contractId: c.id,
    symbolId: c.symbolId,
    creationTimestamp: isoMicros(o.createdMs),
    updateTimestamp: isoMicros(o.updatedMs),
    status: o.status as WireOrder["status"],
    type: o.type as WireOrder["type"],
    side: o.side as WireOrder["side"],
    size: o.size,
    limitPrice: o.limitTicks === undefined ? null : priceOf(c, o.limitTicks),
    stopPrice: o.stopTicks === undefined ? null : priceOf(c, o.stopTicks),
    fillVolume: o.fillVolume,
    filledPrice: o.fillVolume === 0 ? null : price9((o.fillNotional / o.fillVolume) * c.spec.tickSize),
    customTag: o.customTag
  }
  if (o.trailTicks !== undefined && o.type === OrderType.TrailingStop) {
    out.trailDistance = o.trailTicks
    // Read back as a distance in price units, not the level that was sent (§4.4.1).
    out.trailPrice = priceOf(c, o.trailTicks)
  }
  if (o.parentOrderId !== undefined) out.parentOrderId = o.parentOrderId
  if (o.linkedOrderId !== undefined) out.linkedOrderId = o.linkedOrderId
  return out
}

/** A position; a flat one (signed size 0) keeps its last side and reads size 0, as the hubs announce it. */
export const wirePosition = (p: PositionState, lastSide: number = p.size): WirePosition => ({
  id: p.id,
  accountId: p.accountId,
  contractId: p.contract.id,
  contractDisplayName: p.contract.name,
  creationTimestamp: isoMicros(p.createdMs),
  type: (p.size === 0 ? lastSide : p.size) > 0 ? PositionType.Long : PositionType.Short,
  size: Math.abs(p.size),
  averagePrice: price9(p.avgTicks * p.contract.spec.tickSize)
})

export const wireTrade = (t: TradeState): WireTrade => ({
  id: t.id,
  accountId: t.accountId,
  contractId: t.contract.id,
  creationTimestamp: isoMicros(t.createdMs),
  price: priceOf(t.contract, t.priceTicks),
  profitAndLoss: t.pnl,
  fees: t.fees,
  side: t.side as WireTrade["side"],
  size: t.size,
  voided: false,
  orderId: t.orderId
})

export const wireAccount = (a: AccountState): WireAccount => ({
  id: a.id,
  name: a.name,
  balance: a.balance,
  canTrade: a.canTrade,
  isVisible: a.isVisible,
  simulated: a.simulated
})
