// The engine's records (accounts, orders, positions, trades), the outcome shape every operation returns
// and the rejection messages. Plain data and pure helpers, shared by every engine module, so the
// concept modules depend on this one file and never on each other's internals.
import type { HalfTrade, Order, Position, TradingAccount } from "@projectx-effect/gateway"
import { nameOf, OrderStatus, OrderType } from "@projectx-effect/gateway"
import type { BracketMode } from "../../Seed.ts"
import type { ContractInfo } from "../Contracts.ts"

export type WireOrder = (typeof Order)["Encoded"]
export type WirePosition = (typeof Position)["Encoded"]
export type WireTrade = (typeof HalfTrade)["Encoded"]
export type WireAccount = (typeof TradingAccount)["Encoded"]

export interface EngineOptions {
  /** Largest quantity a resting order fills per evaluated step (0 = no limit): partial fills. */
  readonly maxFillPerStep: number
  /** Whether StopLimit (3) orders are accepted (the docs do not list them for placement). */
  readonly stopLimit: "accept" | "reject"
  /** Whether `Position/closeContract` also cancels the position's bracket children (reportedly not). */
  readonly closeCancelsBrackets: boolean
}

export interface AccountState {
  readonly id: number
  readonly userId: number
  name: string
  balance: number
  canTrade: boolean
  isVisible: boolean
  simulated: boolean
  active: boolean
  follower: boolean
  bracketMode: BracketMode
  violation: boolean
  minStopLossTicks: number
}

/** Account settings the admin API may change. */
export type AccountSettings = Partial<Omit<AccountState, "id" | "userId">>

export interface OrderState {
  readonly id: number
  readonly accountId: number
  readonly contract: ContractInfo
  readonly createdMs: number
  updatedMs: number
  status: number
  readonly type: number
  readonly side: number
  size: number
  limitTicks: number | undefined
  stopTicks: number | undefined
  fillVolume: number
  fillNotional: number
  readonly customTag: string | null
  /** Trailing stops: distance in ticks and the best price seen since placement. */
  trailTicks: number | undefined
  trailExtreme: number
  /** StopLimit: the stop has been touched and the order now works as a limit. */
  triggered: boolean
  /** First second the engine evaluates this order at (orders never fill on the path before them). */
  activeFrom: number
  parentOrderId: number | undefined
  linkedOrderId: number | undefined
  /** On a bracket child: its signed offset from the parent's fill, unless the user modified its price. */
  bracketTicks: number | undefined
  /** On a parent: its children. */
  children: Array<number> | undefined
}

export interface PositionState {
  readonly id: number
  readonly accountId: number
  readonly contract: ContractInfo
  readonly createdMs: number
  /** Signed size: > 0 long, < 0 short. */
  size: number
  /** Average entry price in (fractional) ticks. */
  avgTicks: number
}

export interface TradeState {
  readonly id: number
  readonly accountId: number
  readonly contract: ContractInfo
  readonly createdMs: number
  readonly priceTicks: number
  readonly pnl: number | null
  readonly fees: number
  readonly side: number
  readonly size: number
  readonly orderId: number
}

export interface Outcome {
  readonly errorCode: number
  readonly errorMessage: string | null
}

export const ok: Outcome = { errorCode: 0, errorMessage: null }
export const fail = (errorCode: number, errorMessage: string | null = null): Outcome => ({ errorCode, errorMessage })

/** Rejection messages (the ones marked [DOC]/[OBSERVED] in gateway-api.md §4.4 are verbatim). */
export const Messages = {
  positionBrackets: "Brackets cannot be used with Position Brackets. You must enable Auto OCO Brackets.",
  trailNotSet: "Trail Distance not set.",
  trailMisaligned: "Invalid trail price. Price is not aligned to tick size.",
  noLastPrice: "Cannot trail without a last price",
  invalidSymbol: "Invalid symbol",
  trailMax: "Trail Distance exceeds maximum (1000)",
  stopLossTicks: (ticks: number, long: boolean) =>
    long
      ? `Invalid stop loss ticks (${ticks}). Ticks should be less than zero when longing.`
      : `Invalid stop loss ticks (${ticks}). Ticks should be greater than zero when going short.`,
  takeProfitTicks: (ticks: number, long: boolean) =>
    long
      ? `Invalid take profit ticks (${ticks}). Ticks should be greater than zero when longing.`
      : `Invalid take profit ticks (${ticks}). Ticks should be less than zero when going short.`,
  stopLossType: (type: number) => `Invalid stop loss type (${nameOf(OrderType, type)})`,
  takeProfitType: (type: number) => `Invalid take profit type (${nameOf(OrderType, type)})`,
  stopLossMinimum: (ticks: number) => `Stop loss tick value should be at least ${ticks} ticks.`,
  priceMisaligned: (field: string) => `Invalid ${field}. Price is not aligned to tick size.`,
  priceMissing: (field: string) => `Invalid ${field}. A ${field} is required for this order type.`,
  invalidSize: "Invalid order size. Size must be greater than zero.",
  invalidType: (type: number) => `Order type ${nameOf(OrderType, type)} is not supported.`,
  duplicateTag: (tag: string) => `Custom tag '${tag}' is already in use on this account.`,
  accountRejected: "Account is not allowed to trade.",
  accountViolation: "Account is in violation and cannot place orders.",
  contractNotActive: (name: string) => `Contract ${name} is not the active contract.`,
  outsideHours: "Market is closed.",
  insufficientFunds: "Insufficient funds to place this order.",
  follower: "Follower accounts cannot cancel orders",
  live: "Live accounts not supported",
  notWorking: (action: string, status: number) =>
    `Cannot ${action} order: already ${nameOf(OrderStatus, status).toLowerCase()}`
} as const

export const isoMicros = (ms: number): string => new Date(ms).toISOString().slice(0, 23) + "000+00:00"

export const round2 = (x: number): number => Math.round(x * 100) / 100

/** A price with at most nine decimals (averages can fall between ticks). */
export const price9 = (x: number): number => Math.round(x * 1e9) / 1e9

export const isWorking = (status: number): boolean => status === OrderStatus.Open || status === OrderStatus.Suspended
