// Accounts, orders, positions and trades, and the matching engine that fills orders on the simulated
// price. Plain synchronous code: every operation first brings resting orders up to the market clock
// (evaluating them, in time order, against the path since the last evaluation), then acts.
import {
  CancelOrderErrorCode,
  ClosePositionErrorCode,
  type Endpoints,
  type HalfTrade,
  ModifyOrderErrorCode,
  nameOf,
  type Order,
  OrderSide,
  OrderSortField,
  OrderStatus,
  OrderType,
  PartialClosePositionErrorCode,
  PlaceOrderErrorCode,
  type Position,
  PositionType,
  type RequestOf,
  SearchOrderByIdErrorCode,
  SearchOrderErrorCode,
  SortDirection,
  type TradingAccount
} from "@projectx-effect/gateway"
import type { BracketMode, SeedUser } from "../Seed.ts"
import { type ContractInfo, frontQuarter, isWellFormedId, priceOf, resolveContract, ticksOf } from "./Contracts.ts"
import type { Block, Market } from "./Market.ts"

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

interface OrderState {
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

interface PositionState {
  readonly id: number
  readonly accountId: number
  readonly contract: ContractInfo
  readonly createdMs: number
  /** Signed size: > 0 long, < 0 short. */
  size: number
  /** Average entry price in (fractional) ticks. */
  avgTicks: number
}

interface TradeState {
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

const ok: Outcome = { errorCode: 0, errorMessage: null }
const fail = (errorCode: number, errorMessage: string | null = null): Outcome => ({ errorCode, errorMessage })

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

const isoMicros = (ms: number): string => new Date(ms).toISOString().slice(0, 23) + "000+00:00"

const round2 = (x: number): number => Math.round(x * 100) / 100

/** A price with at most nine decimals (averages can fall between ticks). */
const price9 = (x: number): number => Math.round(x * 1e9) / 1e9

const isWorking = (status: number): boolean => status === OrderStatus.Open || status === OrderStatus.Suspended

export class Engine {
  readonly accounts = new Map<number, AccountState>()
  private readonly users: ReadonlyArray<SeedUser>
  private readonly orders = new Map<number, OrderState>()
  private readonly ordersByAccount = new Map<number, Array<OrderState>>()
  private readonly working = new Set<OrderState>()
  private readonly positions = new Map<string, PositionState>()
  private readonly trades: Array<TradeState> = []
  private nextOrderId = 3_000_000_001
  private nextPositionId = 400_001
  private nextTradeId = 7_000_000_001
  private lastEvalMs: number
  private readonly market: Market
  private readonly clock: () => number
  private readonly historyStartMs: number
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

  // ---------------------------------------------------------------------------------------------
  // Clock and matching

  /** Market time, after evaluating resting orders up to it. */
  now(): number {
    const t = this.clock()
    if (t > this.lastEvalMs) this.evaluate(this.lastEvalMs, t)
    this.lastEvalMs = t
    return t
  }

  /**
   * Evaluates a price override: the market jumped from `fromTicks` to `toTicks` now, so every
   * working order of the contract (even one placed this very second) meets that jump.
   */
  evaluateJump(contract: ContractInfo, fromTicks: number, toTicks: number): void {
    const now = this.now()
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
    this.onBlock(contract, block, true)
  }

  private evaluate(fromMs: number, toMs: number): void {
    if (this.working.size === 0) return
    this.evaluateRange(Math.floor(fromMs / 1000) + 1, Math.floor(toMs / 1000) + 1)
  }

  private evaluateRange(a: number, b: number): void {
    if (a >= b || this.working.size === 0) return
    const byContract = new Map<string, ContractInfo>()
    for (const o of this.working) byContract.set(o.contract.id, o.contract)
    for (const contract of byContract.values()) {
      this.market.forEachBlock(contract, a, b, (block) => this.onBlock(contract, block))
    }
  }

  private onBlock(contract: ContractInfo, block: Block, jump = false): void {
    // A snapshot: children a fill opens in this block start working from the next one.
    const candidates: Array<OrderState> = []
    for (const o of this.working) {
      if (o.contract.id === contract.id && o.status === OrderStatus.Open && (jump || o.activeFrom <= block.start)) {
        candidates.push(o)
      }
    }
    if (candidates.length === 0) return
    candidates.sort((x, y) => x.id - y.id)
    const at = jump ? this.clock() : (block.start + block.length) * 1000 - 1
    const next = block.start + block.length
    for (const o of candidates) {
      if (o.status !== OrderStatus.Open) continue
      const px = this.triggerPrice(o, block)
      if (px === undefined) continue
      const remaining = o.size - o.fillVolume
      const max = this.options.maxFillPerStep
      this.fill(o, max > 0 ? Math.min(max, remaining) : remaining, px, Math.min(at, this.clock()), next)
    }
  }

  /** The fill price of a resting order on a block, or undefined when the block does not reach it. */
  private triggerPrice(o: OrderState, b: Block): number | undefined {
    const buy = o.side === OrderSide.Bid
    switch (o.type) {
      case OrderType.Limit:
      case OrderType.JoinBid:
      case OrderType.JoinAsk:
        return this.limitTouch(buy, o.limitTicks!, b)
      case OrderType.Stop:
        return this.stopTouch(buy, o.stopTicks!, b)
      case OrderType.StopLimit: {
        if (!o.triggered) {
          if (this.stopTouch(buy, o.stopTicks!, b) === undefined) return undefined
          o.triggered = true
        }
        return this.limitTouch(buy, o.limitTicks!, b)
      }
      case OrderType.TrailingStop: {
        const stop = buy ? o.trailExtreme + o.trailTicks! : o.trailExtreme - o.trailTicks!
        o.stopTicks = stop
        const px = this.stopTouch(buy, stop, b)
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

  private limitTouch(buy: boolean, limit: number, b: Block): number | undefined {
    if (buy) return b.l <= limit ? Math.min(limit, b.o) : undefined
    return b.h >= limit ? Math.max(limit, b.o) : undefined
  }

  private stopTouch(buy: boolean, stop: number, b: Block): number | undefined {
    if (buy) return b.h >= stop ? Math.max(stop, b.o) : undefined
    return b.l <= stop ? Math.min(stop, b.o) : undefined
  }

  /** Fills `qty` of an order at `priceTicks`: trade row, position, balance, status, brackets. */
  private fill(o: OrderState, qty: number, priceTicks: number, atMs: number, nextSec: number): void {
    if (qty <= 0) return
    const account = this.accounts.get(o.accountId)!
    const spec = o.contract.spec
    const key = `${o.accountId}:${o.contract.id}`
    const signed = o.side === OrderSide.Bid ? qty : -qty
    const pos = this.positions.get(key)
    let pnl: number | null = null
    if (pos === undefined) {
      this.positions.set(key, {
        id: this.nextPositionId++,
        accountId: o.accountId,
        contract: o.contract,
        createdMs: atMs,
        size: signed,
        avgTicks: priceTicks
      })
    } else if (Math.sign(pos.size) === Math.sign(signed)) {
      pos.avgTicks = (pos.avgTicks * Math.abs(pos.size) + priceTicks * qty) / (Math.abs(pos.size) + qty)
      pos.size += signed
    } else {
      const closing = Math.min(qty, Math.abs(pos.size))
      const direction = pos.size > 0 ? 1 : -1
      pnl = round2((priceTicks - pos.avgTicks) * direction * closing * spec.tickValue)
      pos.size += direction === 1 ? -closing : closing
      const opening = qty - closing
      if (pos.size === 0) {
        this.positions.delete(key)
        if (opening > 0) {
          this.positions.set(key, {
            id: this.nextPositionId++,
            accountId: o.accountId,
            contract: o.contract,
            createdMs: atMs,
            size: o.side === OrderSide.Bid ? opening : -opening,
            avgTicks: priceTicks
          })
        }
      }
    }
    const fees = round2(spec.feePerSide * qty)
    this.trades.push({
      id: this.nextTradeId++,
      accountId: o.accountId,
      contract: o.contract,
      createdMs: atMs,
      priceTicks,
      pnl,
      fees,
      side: o.side,
      size: qty,
      orderId: o.id
    })
    account.balance = round2(account.balance + (pnl ?? 0) - fees)
    o.fillVolume += qty
    o.fillNotional += priceTicks * qty
    o.updatedMs = atMs
    if (o.fillVolume >= o.size) {
      o.status = OrderStatus.Filled
      this.working.delete(o)
    }
    // Bracket children open once their parent is completely filled.
    if (o.children !== undefined && o.status === OrderStatus.Filled) {
      const avg = o.fillNotional / o.fillVolume
      for (const id of o.children) {
        const child = this.orders.get(id)
        if (child === undefined || child.status !== OrderStatus.Suspended) continue
        this.activateChild(child, Math.round(avg), atMs, nextSec)
      }
    }
    // OCO: a child's fill shrinks its sibling; a complete fill cancels it.
    if (o.linkedOrderId !== undefined) {
      const sibling = this.orders.get(o.linkedOrderId)
      if (sibling !== undefined && isWorking(sibling.status)) {
        if (o.status === OrderStatus.Filled) this.cancelOrder(sibling, atMs)
        else sibling.size = Math.max(sibling.fillVolume + 1, o.size - o.fillVolume)
      }
    }
  }

  private activateChild(child: OrderState, fillTicks: number, atMs: number, nextSec: number): void {
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
    this.working.add(child)
  }

  private cancelOrder(o: OrderState, atMs: number): void {
    o.status = OrderStatus.Cancelled
    o.updatedMs = atMs
    this.working.delete(o)
    if (o.children !== undefined) {
      for (const id of o.children) {
        const child = this.orders.get(id)
        if (child !== undefined && child.status === OrderStatus.Suspended) {
          child.status = OrderStatus.Cancelled
          child.updatedMs = atMs
          this.working.delete(child)
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Accounts and contracts

  ownedAccount(userId: number, accountId: number): AccountState | undefined {
    const a = this.accounts.get(accountId)
    return a !== undefined && a.userId === userId ? a : undefined
  }

  searchAccounts(userId: number, onlyActive: boolean): Array<WireAccount> {
    const out: Array<WireAccount> = []
    for (const a of this.accounts.values()) {
      if (a.userId !== userId || (onlyActive && !a.active)) continue
      out.push({
        id: a.id,
        name: a.name,
        balance: a.balance,
        canTrade: a.canTrade,
        isVisible: a.isVisible,
        simulated: a.simulated
      })
    }
    return out
  }

  contract(id: string): ContractInfo | undefined {
    return resolveContract(id, this.clock(), this.historyStartMs)
  }

  // ---------------------------------------------------------------------------------------------
  // Orders

  private newOrder(
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

  private rejectRow(
    account: AccountState,
    contract: ContractInfo,
    req: RequestOf<typeof Endpoints.placeOrder>,
    nowMs: number,
    outcome: Outcome,
    keepTag = true
  ): Outcome & { readonly orderId: number } {
    const o = this.newOrder(
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
    return { ...outcome, orderId: o.id }
  }

  placeOrder(
    userId: number,
    req: RequestOf<typeof Endpoints.placeOrder>
  ): Outcome & { readonly orderId: number | null } {
    const now = this.now()
    const C = PlaceOrderErrorCode
    const account = this.ownedAccount(userId, req.accountId)
    if (account === undefined) return { ...fail(C.AccountNotFound), orderId: null }
    if (!isWellFormedId(req.contractId)) return { ...fail(C.OrderRejected, Messages.invalidSymbol), orderId: null }
    const contract = this.contract(req.contractId)
    if (contract === undefined) return { ...fail(C.ContractNotFound), orderId: null }
    const reject = (outcome: Outcome, keepTag = true) => this.rejectRow(account, contract, req, now, outcome, keepTag)

    if (!account.canTrade) return reject(fail(C.AccountRejected, Messages.accountRejected))
    if (account.violation) return reject(fail(C.AccountViolation, Messages.accountViolation))
    if (!this.isActive(contract, now))
      return reject(fail(C.ContractNotActive, Messages.contractNotActive(contract.name)))
    if (!this.market.isOpen(now)) return reject(fail(C.OutsideTradingHours, Messages.outsideHours))

    const rejected = (message: string, keepTag = true) => reject(fail(C.OrderRejected, message), keepTag)
    if (req.size <= 0) return rejected(Messages.invalidSize)
    const buy = req.side === OrderSide.Bid
    const type = req.type
    if (type === OrderType.Unknown || (type === OrderType.StopLimit && this.options.stopLimit === "reject")) {
      return rejected(Messages.invalidType(type))
    }
    const last = this.market.lastTicks(contract, now)

    // Prices: present where the type needs them, on the tick grid.
    let limitTicks: number | undefined
    let stopTicks: number | undefined
    const needsLimit = type === OrderType.Limit || type === OrderType.StopLimit
    const needsStop = type === OrderType.Stop || type === OrderType.StopLimit
    if (needsLimit) {
      if (req.limitPrice == null) return rejected(Messages.priceMissing("limit price"))
      limitTicks = ticksOf(contract, req.limitPrice)
      if (limitTicks === undefined) return rejected(Messages.priceMisaligned("limit price"))
    }
    if (needsStop) {
      if (req.stopPrice == null) return rejected(Messages.priceMissing("stop price"))
      stopTicks = ticksOf(contract, req.stopPrice)
      if (stopTicks === undefined) return rejected(Messages.priceMisaligned("stop price"))
    }
    let trailTicks: number | undefined
    if (type === OrderType.TrailingStop) {
      if (req.trailPrice == null) return rejected(Messages.trailNotSet)
      const level = ticksOf(contract, req.trailPrice)
      if (level === undefined) return rejected(Messages.trailMisaligned)
      if (last === undefined) return rejected(Messages.noLastPrice)
      trailTicks = Math.abs(last - level)
      if (trailTicks === 0) return rejected(Messages.trailNotSet)
      if (trailTicks > 1000) return rejected(Messages.trailMax)
    }
    if (last === undefined) return reject(fail(C.OrderRejected, Messages.noLastPrice))

    // Brackets: only in Auto OCO mode, with signed ticks and sensible types.
    const sl = req.stopLossBracket ?? undefined
    const tp = req.takeProfitBracket ?? undefined
    if (sl !== undefined || tp !== undefined) {
      if (account.bracketMode === "position") return rejected(Messages.positionBrackets)
      if (sl !== undefined) {
        if (buy ? sl.ticks >= 0 : sl.ticks <= 0) return rejected(Messages.stopLossTicks(sl.ticks, buy))
        if (sl.type !== OrderType.Stop && sl.type !== OrderType.TrailingStop)
          return rejected(Messages.stopLossType(sl.type))
        if (account.minStopLossTicks > 0 && Math.abs(sl.ticks) < account.minStopLossTicks) {
          return rejected(Messages.stopLossMinimum(account.minStopLossTicks))
        }
      }
      if (tp !== undefined) {
        if (buy ? tp.ticks <= 0 : tp.ticks >= 0) return rejected(Messages.takeProfitTicks(tp.ticks, buy))
        if (tp.type !== OrderType.Limit) return rejected(Messages.takeProfitType(tp.type))
      }
    }

    const tag = req.customTag ?? null
    if (tag !== null) {
      for (const o of this.ordersByAccount.get(account.id) ?? []) {
        if (o.customTag === tag) return rejected(Messages.duplicateTag(tag), false)
      }
    }

    // Margin: an order that grows the exposure must fit the balance.
    const posSize = this.positions.get(`${account.id}:${contract.id}`)?.size ?? 0
    const after = posSize + (buy ? req.size : -req.size)
    if (Math.abs(after) > Math.abs(posSize)) {
      let margin = 0
      for (const p of this.positions.values()) {
        if (p.accountId === account.id && p.contract.id !== contract.id)
          margin += Math.abs(p.size) * p.contract.spec.margin
      }
      margin += Math.abs(after) * contract.spec.margin
      if (account.balance <= 0 || margin > account.balance) {
        return reject(fail(C.InsufficientFunds, Messages.insufficientFunds))
      }
    }

    // Accepted.
    const bid = last
    const ask = last + 1
    if (type === OrderType.JoinBid) limitTicks = bid
    if (type === OrderType.JoinAsk) limitTicks = ask
    const o = this.newOrder(
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
    if (sl !== undefined || tp !== undefined) {
      // Children wait (Suspended) with provisional prices from the expected entry.
      const reference = limitTicks ?? stopTicks ?? (buy ? ask : bid)
      const children: Array<OrderState> = []
      const childSide = buy ? OrderSide.Ask : OrderSide.Bid
      if (sl !== undefined) {
        const child = this.newOrder(
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
        const child = this.newOrder(
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
    this.working.add(o)
    this.executeImmediately(o, last, now)
    return { ...ok, orderId: o.id }
  }

  /** Market orders, and limit/stop orders already through the market, fill on arrival. */
  private executeImmediately(o: OrderState, last: number, now: number): void {
    const buy = o.side === OrderSide.Bid
    const bid = last
    const ask = last + 1
    const next = Math.floor(now / 1000) + 1
    switch (o.type) {
      case OrderType.Market:
        this.fill(o, o.size, buy ? ask : bid, now, next)
        return
      case OrderType.Limit:
      case OrderType.JoinBid:
      case OrderType.JoinAsk:
        if (buy ? o.limitTicks! >= ask : o.limitTicks! <= bid) this.fill(o, o.size, buy ? ask : bid, now, next)
        return
      case OrderType.Stop:
        if (buy ? o.stopTicks! <= last : o.stopTicks! >= last) this.fill(o, o.size, buy ? ask : bid, now, next)
        return
      case OrderType.StopLimit:
        if (buy ? o.stopTicks! <= last : o.stopTicks! >= last) {
          o.triggered = true
          if (buy ? o.limitTicks! >= ask : o.limitTicks! <= bid) this.fill(o, o.size, buy ? ask : bid, now, next)
        }
        return
      default:
        return
    }
  }

  private isActive(contract: ContractInfo, now: number): boolean {
    return contract.quarter === frontQuarter(now)
  }

  modifyOrder(userId: number, req: RequestOf<typeof Endpoints.modifyOrder>): Outcome {
    const now = this.now()
    const C = ModifyOrderErrorCode
    const account = this.ownedAccount(userId, req.accountId)
    if (account === undefined) return fail(C.AccountNotFound)
    const o = this.orders.get(req.orderId)
    if (o === undefined || o.accountId !== account.id) return fail(C.OrderNotFound)
    if (!account.canTrade) return fail(C.AccountRejected, Messages.accountRejected)
    if (!isWorking(o.status)) return fail(C.Rejected, Messages.notWorking("modify", o.status))
    const contract = o.contract
    let size = o.size
    if (req.size != null) {
      if (req.size <= 0 || req.size <= o.fillVolume) return fail(C.Rejected, Messages.invalidSize)
      size = req.size
    }
    let limitTicks = o.limitTicks
    let stopTicks = o.stopTicks
    let trailTicks = o.trailTicks
    if (req.limitPrice != null) {
      limitTicks = ticksOf(contract, req.limitPrice)
      if (limitTicks === undefined) return fail(C.Rejected, Messages.priceMisaligned("limit price"))
    }
    if (req.stopPrice != null) {
      stopTicks = ticksOf(contract, req.stopPrice)
      if (stopTicks === undefined) return fail(C.Rejected, Messages.priceMisaligned("stop price"))
    }
    const last = this.market.lastTicks(contract, now)
    if (req.trailPrice != null && o.type === OrderType.TrailingStop) {
      const level = ticksOf(contract, req.trailPrice)
      if (level === undefined) return fail(C.Rejected, Messages.trailMisaligned)
      if (last === undefined) return fail(C.Rejected, Messages.noLastPrice)
      // No 1000-tick guard on modify (gateway-api.md §4.4.1).
      trailTicks = Math.abs(last - level)
      if (trailTicks === 0) return fail(C.Rejected, Messages.trailNotSet)
    }
    o.size = size
    if (req.limitPrice != null) {
      o.limitTicks = limitTicks
      if (o.status === OrderStatus.Suspended && o.type === OrderType.Limit) o.bracketTicks = undefined
    }
    if (req.stopPrice != null) {
      o.stopTicks = stopTicks
      if (o.status === OrderStatus.Suspended && o.type !== OrderType.Limit) o.bracketTicks = undefined
    }
    if (trailTicks !== o.trailTicks && trailTicks !== undefined && last !== undefined) {
      o.trailTicks = trailTicks
      o.trailExtreme = last
      o.stopTicks = o.side === OrderSide.Bid ? last + trailTicks : last - trailTicks
    }
    o.updatedMs = now
    if (o.status === OrderStatus.Open && last !== undefined) this.executeImmediately(o, last, now)
    return ok
  }

  cancel(userId: number, req: RequestOf<typeof Endpoints.cancelOrder>): Outcome {
    const now = this.now()
    const C = CancelOrderErrorCode
    const account = this.ownedAccount(userId, req.accountId)
    if (account === undefined) return fail(C.AccountNotFound)
    const o = this.orders.get(req.orderId)
    if (o === undefined || o.accountId !== account.id) return fail(C.OrderNotFound)
    if (account.follower) return fail(C.AccountRejected, Messages.follower)
    if (!account.simulated) return fail(C.AccountRejected, Messages.live)
    if (!isWorking(o.status)) return fail(C.Rejected, Messages.notWorking("cancel", o.status))
    this.cancelOrder(o, now)
    return ok
  }

  private wireOrder(o: OrderState): WireOrder {
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

  searchOrders(
    userId: number,
    accountId: number,
    startMs: number,
    endMs: number | undefined
  ): Outcome & { readonly orders: Array<WireOrder> } {
    this.now()
    if (this.ownedAccount(userId, accountId) === undefined) {
      return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
    }
    const orders = (this.ordersByAccount.get(accountId) ?? [])
      .filter((o) => o.createdMs >= startMs && (endMs === undefined || o.createdMs <= endMs))
      .map((o) => this.wireOrder(o))
    return { ...ok, orders }
  }

  searchOpen(userId: number, accountId: number): Outcome & { readonly orders: Array<WireOrder> } {
    this.now()
    if (this.ownedAccount(userId, accountId) === undefined) {
      return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
    }
    const orders = (this.ordersByAccount.get(accountId) ?? [])
      .filter((o) => o.status === OrderStatus.Open)
      .map((o) => this.wireOrder(o))
    return { ...ok, orders }
  }

  searchById(userId: number, accountId: number, orderId: number): Outcome & { readonly order: WireOrder | null } {
    this.now()
    const o = this.orders.get(orderId)
    if (this.ownedAccount(userId, accountId) === undefined || o === undefined || o.accountId !== accountId) {
      return { ...fail(SearchOrderByIdErrorCode.OrderNotFound), order: null }
    }
    return { ...ok, order: this.wireOrder(o) }
  }

  queryOrders(
    userId: number,
    req: RequestOf<typeof Endpoints.queryOrders>
  ): Outcome & { readonly orders: Array<WireOrder>; readonly totalCount?: number } {
    this.now()
    const f = req.filter
    if (this.ownedAccount(userId, f.accountId) === undefined) {
      return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
    }
    const statuses = f.statuses == null ? undefined : new Set<number>(f.statuses)
    const after = f.createdAfter == null ? undefined : f.createdAfter.getTime()
    const before = f.createdBefore == null ? undefined : f.createdBefore.getTime()
    // `filter.contractId` is accepted but, like the live server, does not filter (gateway-api.md §4.4).
    const rows = (this.ordersByAccount.get(f.accountId) ?? []).filter(
      (o) =>
        (statuses === undefined || statuses.has(o.status)) &&
        (after === undefined || o.createdMs >= after) &&
        (before === undefined || o.createdMs <= before)
    )
    const byId = req.sortBy === OrderSortField.Id
    const desc = (req.sortDirection ?? SortDirection.Desc) === SortDirection.Desc
    rows.sort((a, b) => {
      const d = byId ? a.id - b.id : a.createdMs - b.createdMs || a.id - b.id
      return desc ? -d : d
    })
    const pageSize = Math.min(100, Math.max(1, req.pageSize ?? 100))
    const offset = Math.max(0, req.pageOffset ?? 0)
    const orders = rows.slice(offset, offset + pageSize).map((o) => this.wireOrder(o))
    return req.includeTotalCount === true ? { ...ok, orders, totalCount: rows.length } : { ...ok, orders }
  }

  /** Every order of an account (admin API). */
  allOrders(accountId: number): Array<WireOrder> {
    this.now()
    return (this.ordersByAccount.get(accountId) ?? []).map((o) => this.wireOrder(o))
  }

  // ---------------------------------------------------------------------------------------------
  // Positions and trades

  private wirePosition(p: PositionState): WirePosition {
    return {
      id: p.id,
      accountId: p.accountId,
      contractId: p.contract.id,
      contractDisplayName: p.contract.name,
      creationTimestamp: isoMicros(p.createdMs),
      type: p.size > 0 ? PositionType.Long : PositionType.Short,
      size: Math.abs(p.size),
      averagePrice: price9(p.avgTicks * p.contract.spec.tickSize)
    }
  }

  searchPositions(userId: number, accountId: number): Outcome & { readonly positions: Array<WirePosition> } {
    this.now()
    if (this.ownedAccount(userId, accountId) === undefined) return { ...fail(1), positions: [] }
    const positions: Array<WirePosition> = []
    for (const p of this.positions.values()) if (p.accountId === accountId) positions.push(this.wirePosition(p))
    return { ...ok, positions }
  }

  /** closeContract and partialCloseContract share this; the two error enums differ (§4.5). */
  closePosition(userId: number, accountId: number, contractId: string, size: number | undefined): Outcome {
    const now = this.now()
    const partial = size !== undefined
    const C = partial ? PartialClosePositionErrorCode : ClosePositionErrorCode
    const account = this.ownedAccount(userId, accountId)
    if (account === undefined) return fail(C.AccountNotFound)
    const contract = this.contract(contractId)
    if (contract === undefined) return fail(C.ContractNotFound)
    if (!account.canTrade || (partial && !account.simulated)) {
      return fail(C.AccountRejected, account.canTrade ? Messages.live : Messages.accountRejected)
    }
    const pos = this.positions.get(`${account.id}:${contract.id}`)
    if (pos === undefined) return fail(C.PositionNotFound)
    if (now > contract.expiresAt) return fail(C.ContractNotActive)
    const qty = size ?? Math.abs(pos.size)
    if (partial && (qty <= 0 || qty > Math.abs(pos.size))) return fail(PartialClosePositionErrorCode.InvalidCloseSize)
    const last = this.market.lastTicks(contract, now)
    // Market closed or no price: OrderRejected with a null message, as documented.
    if (!this.market.isOpen(now) || last === undefined) return fail(C.OrderRejected)
    const side = pos.size > 0 ? OrderSide.Ask : OrderSide.Bid
    const o = this.newOrder(
      account,
      contract,
      { type: OrderType.Market, side, size: qty, status: OrderStatus.Open, customTag: null },
      now
    )
    this.working.add(o)
    this.fill(o, qty, side === OrderSide.Bid ? last + 1 : last, now, Math.floor(now / 1000) + 1)
    if (!partial && this.options.closeCancelsBrackets) {
      for (const w of [...this.working]) {
        if (w.accountId === account.id && w.contract.id === contract.id && w.parentOrderId !== undefined) {
          this.cancelOrder(w, now)
        }
      }
    }
    return ok
  }

  searchTrades(
    userId: number,
    accountId: number,
    startMs: number,
    endMs: number | undefined
  ): Outcome & { readonly trades: Array<WireTrade> } {
    this.now()
    if (this.ownedAccount(userId, accountId) === undefined) return { ...fail(1), trades: [] }
    const trades: Array<WireTrade> = []
    for (const t of this.trades) {
      if (t.accountId !== accountId || t.createdMs < startMs || (endMs !== undefined && t.createdMs > endMs)) continue
      trades.push({
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
    }
    return { ...ok, trades }
  }

  /** Positions of an account whoever owns it (admin API). */
  adminPositions(accountId: number): Array<WirePosition> {
    const a = this.accounts.get(accountId)
    return a === undefined ? [] : this.searchPositions(a.userId, accountId).positions
  }

  /** Every trade of an account (admin API). */
  adminTrades(accountId: number): Array<WireTrade> {
    const a = this.accounts.get(accountId)
    return a === undefined ? [] : this.searchTrades(a.userId, accountId, 0, undefined).trades
  }

  /** Account settings (admin API). */
  updateAccount(accountId: number, settings: AccountSettings): AccountState | undefined {
    const a = this.accounts.get(accountId)
    if (a === undefined) return undefined
    Object.assign(a, settings)
    return a
  }

  get seedUsers(): ReadonlyArray<SeedUser> {
    return this.users
  }
}
