// Read-only answers: accounts, orders (by window, open, by id, the paged query) and trades, each
// after bringing the book up to the market clock so a query never shows a fill that should have happened.
import {
  type Endpoints,
  OrderSortField,
  OrderStatus,
  type RequestOf,
  SearchOrderByIdErrorCode,
  SearchOrderErrorCode,
  SortDirection
} from "@projectx-effect/gateway"
import type { Book } from "./Book.ts"
import { advance } from "./Matching.ts"
import { fail, ok, type Outcome, type WireAccount, type WireOrder, type WireTrade } from "./Model.ts"
import { wireAccount, wireOrder, wireTrade } from "./Wire.ts"

export const searchAccounts = (book: Book, userId: number, onlyActive: boolean): Array<WireAccount> => {
  const out: Array<WireAccount> = []
  for (const a of book.accounts.values()) {
    if (a.userId !== userId || (onlyActive && !a.active)) continue
    out.push(wireAccount(a))
  }
  return out
}

export const searchOrders = (
  book: Book,
  userId: number,
  accountId: number,
  startMs: number,
  endMs: number | undefined
): Outcome & { readonly orders: Array<WireOrder> } => {
  advance(book)
  if (book.ownedAccount(userId, accountId) === undefined) {
    return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
  }
  const orders = (book.ordersByAccount.get(accountId) ?? [])
    .filter((o) => o.createdMs >= startMs && (endMs === undefined || o.createdMs <= endMs))
    .map(wireOrder)
  return { ...ok, orders }
}

export const searchOpen = (
  book: Book,
  userId: number,
  accountId: number
): Outcome & { readonly orders: Array<WireOrder> } => {
  advance(book)
  if (book.ownedAccount(userId, accountId) === undefined) {
    return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
  }
  const orders = (book.ordersByAccount.get(accountId) ?? []).filter((o) => o.status === OrderStatus.Open).map(wireOrder)
  return { ...ok, orders }
}

export const searchById = (
  book: Book,
  userId: number,
  accountId: number,
  orderId: number
): Outcome & { readonly order: WireOrder | null } => {
  advance(book)
  const o = book.orders.get(orderId)
  if (book.ownedAccount(userId, accountId) === undefined || o === undefined || o.accountId !== accountId) {
    return { ...fail(SearchOrderByIdErrorCode.OrderNotFound), order: null }
  }
  return { ...ok, order: wireOrder(o) }
}

/** Every order of an account, whoever owns it (admin API). */
export const allOrders = (book: Book, accountId: number): Array<WireOrder> => {
  advance(book)
  return (book.ordersByAccount.get(accountId) ?? []).map(wireOrder)
}

export const queryOrders = (
  book: Book,
  userId: number,
  req: RequestOf<typeof Endpoints.queryOrders>
): Outcome & { readonly orders: Array<WireOrder>; readonly totalCount?: number } => {
  advance(book)
  const f = req.filter
  if (book.ownedAccount(userId, f.accountId) === undefined) {
    return { ...fail(SearchOrderErrorCode.AccountNotFound), orders: [] }
  }
  const statuses = f.statuses == null ? undefined : new Set<number>(f.statuses)
  const after = f.createdAfter == null ? undefined : f.createdAfter.getTime()
  const before = f.createdBefore == null ? undefined : f.createdBefore.getTime()
  // `filter.contractId` is accepted but, like the live server, does not filter (gateway-api.md §4.4).
  const rows = (book.ordersByAccount.get(f.accountId) ?? []).filter(
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
  const orders = rows.slice(offset, offset + pageSize).map(wireOrder)
  return req.includeTotalCount === true ? { ...ok, orders, totalCount: rows.length } : { ...ok, orders }
}

export const searchTrades = (
  book: Book,
  userId: number,
  accountId: number,
  startMs: number,
  endMs: number | undefined
): Outcome & { readonly trades: Array<WireTrade> } => {
  advance(book)
  if (book.ownedAccount(userId, accountId) === undefined) return { ...fail(1), trades: [] }
  const trades: Array<WireTrade> = []
  for (const t of book.trades) {
    if (t.accountId !== accountId || t.createdMs < startMs || (endMs !== undefined && t.createdMs > endMs)) continue
    trades.push(wireTrade(t))
  }
  return { ...ok, trades }
}
