/**
 * An order's lifecycle as an explicit state machine: Submitted → Working → PartiallyFilled → Filled /
 * Cancelled / Rejected / Expired, plus Unknown for a placement whose outcome is ambiguous until its tag is
 * found. The Gateway's nine statuses (and `fillVolume`) map onto these phases; a transition is checked
 * against the order already held, so a late or reordered event can never move an order backwards.
 */
import { nameOf, type Order, OrderStatus } from "@projectx-effect/gateway"

export const Phase = {
  /** A placement whose outcome is not known (its reply was lost); settled when its `customTag` is found. */
  Unknown: "Unknown",
  /** Accepted, not yet able to fill: Pending (6), or a bracket child Suspended (8) until its parent fills. */
  Submitted: "Submitted",
  /** Resting, nothing filled: Open (1), or PendingCancellation (7) while the cancel is in flight. */
  Working: "Working",
  /** Resting with part of its size filled. */
  PartiallyFilled: "PartiallyFilled",
  Filled: "Filled",
  Cancelled: "Cancelled",
  Rejected: "Rejected",
  Expired: "Expired"
} as const
export type Phase = (typeof Phase)[keyof typeof Phase]

const rank: Record<Phase, number> = {
  Unknown: 0,
  Submitted: 1,
  Working: 2,
  PartiallyFilled: 3,
  Filled: 4,
  Cancelled: 4,
  Rejected: 4,
  Expired: 4
}

/** Filled, Cancelled, Rejected or Expired: nothing can happen to the order any more. */
export const isTerminal = (phase: Phase): boolean => rank[phase] === 4

/** Submitted, Working or PartiallyFilled: the order may still fill. */
export const isLive = (phase: Phase): boolean => rank[phase] >= 1 && rank[phase] <= 3

/** The phase of a Gateway order, from its status and how much of it has filled. */
export const phaseOf = (order: Pick<Order, "status" | "fillVolume">): Phase => {
  const filled = (order.fillVolume ?? 0) > 0
  switch (order.status) {
    case OrderStatus.Pending:
      return filled ? Phase.PartiallyFilled : Phase.Submitted
    case OrderStatus.Suspended:
      return Phase.Submitted
    case OrderStatus.Open:
    case OrderStatus.PendingCancellation:
      return filled ? Phase.PartiallyFilled : Phase.Working
    case OrderStatus.Filled:
      return Phase.Filled
    case OrderStatus.Cancelled:
      return Phase.Cancelled
    case OrderStatus.Expired:
      return Phase.Expired
    case OrderStatus.Rejected:
      return Phase.Rejected
    default:
      return Phase.Unknown
  }
}

/** Whether an order protects a position as a stop would: a live Stop or TrailingStop (or StopLimit). */
export const isStopType = (type: number): boolean => type === 3 || type === 4 || type === 5

/** The verdict on an incoming version of an order, given the version held. */
export type Verdict =
  | { readonly _tag: "Apply"; readonly from: Phase | undefined; readonly to: Phase }
  /** The same version again (a duplicate event, or REST repeating what the events said). */
  | { readonly _tag: "Duplicate"; readonly phase: Phase }
  /** An older version: applying it would move the order backwards. */
  | { readonly _tag: "Backwards"; readonly from: Phase; readonly to: Phase; readonly reason: string }

const stamp = (order: Order): number | undefined => {
  const t = order.updateTimestamp
  return t == null ? undefined : t.getTime()
}

/** Fields that make two versions of one order differ for a trader. */
export const sameOrder = (a: Order, b: Order): boolean =>
  a.status === b.status &&
  (a.fillVolume ?? 0) === (b.fillVolume ?? 0) &&
  a.size === b.size &&
  (a.limitPrice ?? null) === (b.limitPrice ?? null) &&
  (a.stopPrice ?? null) === (b.stopPrice ?? null) &&
  (a.filledPrice ?? null) === (b.filledPrice ?? null)

/**
 * Checks the move from `held` to `next`. Forward in phase is applied; within one phase a version is applied
 * unless it is older (less filled, or an earlier `updateTimestamp`); anything that would go back a phase,
 * unfill contracts or turn one terminal state into another is refused.
 */
export const check = (held: Order | undefined, next: Order): Verdict => {
  const to = phaseOf(next)
  if (held === undefined) return { _tag: "Apply", from: undefined, to }
  const from = phaseOf(held)
  if (sameOrder(held, next)) return { _tag: "Duplicate", phase: from }
  const backwards = (reason: string): Verdict => ({ _tag: "Backwards", from, to, reason })
  if ((next.fillVolume ?? 0) < (held.fillVolume ?? 0)) {
    return backwards(`fillVolume ${held.fillVolume ?? 0} → ${next.fillVolume ?? 0}`)
  }
  if (isTerminal(from) && from !== to) return backwards(`${from} is terminal`)
  if (rank[to] < rank[from] && from !== Phase.Unknown) {
    return backwards(`${nameOf(OrderStatus, held.status)} → ${nameOf(OrderStatus, next.status)}`)
  }
  if (rank[to] === rank[from]) {
    const a = stamp(held)
    const b = stamp(next)
    if (a !== undefined && b !== undefined && b < a) return backwards("an older updateTimestamp")
  }
  return { _tag: "Apply", from, to }
}
