// The trading engine's facade: accounts, orders, positions and trades over the simulated market, one
// method per Gateway operation. The work lives in engine/ by concept (Validation, Placement, Amend,
// Matching, Fills, Positions, Queries over one Book); this class only routes, so callers see one object.
import type { Endpoints, RequestOf } from "@projectx-effect/gateway"
import type { SeedUser } from "../Seed.ts"
import type { ContractInfo } from "./Contracts.ts"
import { cancel, modifyOrder } from "./engine/Amend.ts"
import { Book, type EngineListener } from "./engine/Book.ts"
import { advance, evaluateJump } from "./engine/Matching.ts"
import type {
  AccountSettings,
  AccountState,
  EngineOptions,
  Outcome,
  WireAccount,
  WireOrder,
  WirePosition,
  WireTrade
} from "./engine/Model.ts"
import { placeOrder } from "./engine/Placement.ts"
import { closePosition, searchPositions } from "./engine/Positions.ts"
import * as Queries from "./engine/Queries.ts"
import type { Market } from "./Market.ts"

export type { EngineEvent, EngineListener } from "./engine/Book.ts"
export type {
  AccountSettings,
  AccountState,
  EngineOptions,
  Outcome,
  WireAccount,
  WireOrder,
  WirePosition,
  WireTrade
} from "./engine/Model.ts"
export { Messages } from "./engine/Model.ts"

export class Engine {
  private readonly book: Book

  constructor(market: Market, clock: () => number, users: ReadonlyArray<SeedUser>, options: EngineOptions) {
    this.book = new Book(market, clock, users, options)
  }

  get accounts(): ReadonlyMap<number, AccountState> {
    return this.book.accounts
  }

  get options(): EngineOptions {
    return this.book.options
  }

  set options(options: EngineOptions) {
    this.book.options = options
  }

  get seedUsers(): ReadonlyArray<SeedUser> {
    return this.book.users
  }

  /**
   * Tells `listener` of every order, position, trade and account change (wire-encoded; a closed
   * position is announced with size 0). Returns the unsubscribe function.
   */
  onEvent(listener: EngineListener): () => void {
    this.book.listeners.add(listener)
    return () => {
      this.book.listeners.delete(listener)
    }
  }

  /** Market time, after evaluating resting orders up to it. */
  now(): number {
    return advance(this.book)
  }

  /** A price override: every working order of the contract meets the jump now. */
  evaluateJump(contract: ContractInfo, fromTicks: number, toTicks: number): void {
    evaluateJump(this.book, contract, fromTicks, toTicks)
  }

  ownedAccount(userId: number, accountId: number): AccountState | undefined {
    return this.book.ownedAccount(userId, accountId)
  }

  contract(id: string): ContractInfo | undefined {
    return this.book.contract(id)
  }

  searchAccounts(userId: number, onlyActive: boolean): Array<WireAccount> {
    return Queries.searchAccounts(this.book, userId, onlyActive)
  }

  placeOrder(
    userId: number,
    req: RequestOf<typeof Endpoints.placeOrder>
  ): Outcome & { readonly orderId: number | null } {
    return placeOrder(this.book, userId, req)
  }

  modifyOrder(userId: number, req: RequestOf<typeof Endpoints.modifyOrder>): Outcome {
    return modifyOrder(this.book, userId, req)
  }

  cancel(userId: number, req: RequestOf<typeof Endpoints.cancelOrder>): Outcome {
    return cancel(this.book, userId, req)
  }

  searchOrders(
    userId: number,
    accountId: number,
    startMs: number,
    endMs: number | undefined
  ): Outcome & { readonly orders: Array<WireOrder> } {
    return Queries.searchOrders(this.book, userId, accountId, startMs, endMs)
  }

  searchOpen(userId: number, accountId: number): Outcome & { readonly orders: Array<WireOrder> } {
    return Queries.searchOpen(this.book, userId, accountId)
  }

  searchById(userId: number, accountId: number, orderId: number): Outcome & { readonly order: WireOrder | null } {
    return Queries.searchById(this.book, userId, accountId, orderId)
  }

  queryOrders(
    userId: number,
    req: RequestOf<typeof Endpoints.queryOrders>
  ): Outcome & { readonly orders: Array<WireOrder>; readonly totalCount?: number } {
    return Queries.queryOrders(this.book, userId, req)
  }

  /** Every order of an account (admin API). */
  allOrders(accountId: number): Array<WireOrder> {
    return Queries.allOrders(this.book, accountId)
  }

  searchPositions(userId: number, accountId: number): Outcome & { readonly positions: Array<WirePosition> } {
    return searchPositions(this.book, userId, accountId)
  }

  /** closeContract and partialCloseContract share this; the two error enums differ (§4.5). */
  closePosition(userId: number, accountId: number, contractId: string, size: number | undefined): Outcome {
    return closePosition(this.book, userId, accountId, contractId, size)
  }

  searchTrades(
    userId: number,
    accountId: number,
    startMs: number,
    endMs: number | undefined
  ): Outcome & { readonly trades: Array<WireTrade> } {
    return Queries.searchTrades(this.book, userId, accountId, startMs, endMs)
  }

  /** Positions of an account whoever owns it (admin API). */
  adminPositions(accountId: number): Array<WirePosition> {
    const a = this.book.accounts.get(accountId)
    return a === undefined ? [] : searchPositions(this.book, a.userId, accountId).positions
  }

  /** Every trade of an account (admin API). */
  adminTrades(accountId: number): Array<WireTrade> {
    const a = this.book.accounts.get(accountId)
    return a === undefined ? [] : Queries.searchTrades(this.book, a.userId, accountId, 0, undefined).trades
  }

  /** Account settings (admin API). */
  updateAccount(accountId: number, settings: AccountSettings): AccountState | undefined {
    const a = this.book.accounts.get(accountId)
    if (a === undefined) return undefined
    Object.assign(a, settings)
    this.book.accountChanged(a)
    return a
  }
}
