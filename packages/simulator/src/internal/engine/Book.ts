// The engine's state: accounts, orders, positions and trades with their id counters, the market clock,
// and the listeners told of every change. One mutable object the concept modules (placement, matching,
// fills, queries) act on as plain functions, so no module reaches into another's private fields.
import type { SeedUser } from "../../Seed.ts"
import { type ContractInfo, resolveContract } from "../Contracts.ts"
import type { Market } from "../Market.ts"
import type {
  AccountState,
  EngineOptions,
  OrderState,
  PositionState,
  TradeState,
  WireAccount,
  WireOrder,
  WirePosition,
  WireTrade
} from "./Model.ts"
import { wireAccount, wireOrder, wirePosition, wireTrade } from "./Wire.ts"

/** A change of engine state, wire-encoded, for the realtime hubs (gateway-api.md §9). */
export type EngineEvent =
  | { readonly kind: "order"; readonly accountId: number; readonly payload: WireOrder }
  | { readonly kind: "position"; readonly accountId: number; readonly payload: WirePosition }
  | { readonly kind: "trade"; readonly accountId: number; readonly payload: WireTrade }
  | { readonly kind: "account"; readonly accountId: number; readonly payload: WireAccount }

export type EngineListener = (event: EngineEvent) => void

export class Book {
  readonly accounts = new Map<number, AccountState>()
  readonly orders = new Map<number, OrderState>()
  readonly ordersByAccount = new Map<number, Array<OrderState>>()
  readonly working = new Set<OrderState>()
  /** Keyed `${accountId}:${contractId}`. */
  readonly positions = new Map<string, PositionState>()
  readonly trades: Array<TradeState> = []
  readonly listeners = new Set<EngineListener>()
  nextOrderId = 3_000_000_001
  nextPositionId = 400_001
  nextTradeId = 7_000_000_001
  /** The market second up to which resting orders have been evaluated (ms). */
  lastEvalMs: number
  readonly historyStartMs: number
  readonly market: Market
  readonly clock: () => number
  readonly users: ReadonlyArray<SeedUser>
  options: EngineOptions

  constructor(market: Market, clock: () => number, users: ReadonlyArray<SeedUser>, options: EngineOptions) {
    this.market = market
    this.clock = clock
    this.users = users
    this.options = options
    this.historyStartMs = market.historyStartSec * 1000
    for (const u of users) {
      for (const a of u.accounts) this.accounts.set(a.id, { ...a, userId: u.id })
    }
    this.lastEvalMs = clock()
  }

  ownedAccount(userId: number, accountId: number): AccountState | undefined {
    const a = this.accounts.get(accountId)
    return a !== undefined && a.userId === userId ? a : undefined
  }

  contract(id: string): ContractInfo | undefined {
    return resolveContract(id, this.clock(), this.historyStartMs)
  }

  // Change events: payloads are encoded only when someone listens (fills sit on the hot path).

  orderChanged(o: OrderState): void {
    if (this.listeners.size > 0) this.emit({ kind: "order", accountId: o.accountId, payload: wireOrder(o) })
  }

  positionChanged(p: PositionState, lastSide: number = p.size): void {
    if (this.listeners.size > 0) {
      this.emit({ kind: "position", accountId: p.accountId, payload: wirePosition(p, lastSide) })
    }
  }

  tradeAdded(t: TradeState): void {
    if (this.listeners.size > 0) this.emit({ kind: "trade", accountId: t.accountId, payload: wireTrade(t) })
  }

  accountChanged(a: AccountState): void {
    if (this.listeners.size > 0) this.emit({ kind: "account", accountId: a.id, payload: wireAccount(a) })
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Records a new order row (any status); the caller announces it once its fields are final. */
  newOrder(
    account: AccountState,
    contract: ContractInfo,
    fields: {
      readonly type: number
      readonly side: number
      readonly size: number
      readonly status: number
      readonly customTag: string | null
      readonly limitTicks?: number | undefined
      readonly stopTicks?: number | undefined
    },
    nowMs: number
  ): OrderState {
    const o: OrderState = {
      id: this.nextOrderId++,
      accountId: account.id,
      contract,
      createdMs: nowMs,
      updatedMs: nowMs,
      status: fields.status,
      type: fields.type,
      side: fields.side,
      size: fields.size,
      limitTicks: fields.limitTicks,
      stopTicks: fields.stopTicks,
      fillVolume: 0,
      fillNotional: 0,
      customTag: fields.customTag,
      trailTicks: undefined,
      trailExtreme: 0,
      triggered: false,
      activeFrom: Math.floor(nowMs / 1000) + 1,
      parentOrderId: undefined,
      linkedOrderId: undefined,
      bracketTicks: undefined,
      children: undefined
    }
    this.orders.set(o.id, o)
    let list = this.ordersByAccount.get(account.id)
    if (list === undefined) this.ordersByAccount.set(account.id, (list = []))
    list.push(o)
    return o
  }
}
