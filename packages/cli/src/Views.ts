/**
 * How each Gateway object is shown: the table columns for accounts, contracts, orders, positions,
 * fills and bars, and the contract lookups that give prices their tick precision. Shared by the
 * commands and the demo so both print the same thing.
 */
import {
  type Contract,
  nameOf,
  OrderSide,
  OrderStatus,
  OrderType,
  PositionType,
  type HalfTrade,
  type Order,
  type Position,
  type TradingAccount
} from "@projectx-effect/gateway"
import type { Bars, Health } from "@projectx-effect/sdk"
import { Instruments, type Trades } from "@projectx-effect/sdk/rest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  formatCount,
  formatDuration,
  formatMoney,
  formatPrice,
  formatTime,
  isoWithOffset,
  keyValues,
  type Paint,
  sideColor,
  signColor,
  table
} from "./Output.ts"

/** Contracts by id, for tick sizes and names (best effort: an unknown id is left out). */
export const contractsFor = (ids: Iterable<string>) =>
  Effect.gen(function* () {
    const instruments = yield* Instruments.Instruments
    const unique = [...new Set(ids)]
    const found = yield* Effect.forEach(unique, (id) => Effect.option(instruments.byId(id)), { concurrency: 4 })
    const map = new Map<string, Contract>()
    found.forEach((c) => {
      if (Option.isSome(c)) map.set(c.value.id, c.value)
    })
    return map
  })

export type Contracts = ReadonlyMap<string, Contract>

const contractName = (contracts: Contracts, id: string) => contracts.get(id)?.name ?? id
const tickOf = (contracts: Contracts, id: string) => contracts.get(id)?.tickSize

export const sideName = (side: number): string =>
  side === OrderSide.Bid ? "buy" : side === OrderSide.Ask ? "sell" : String(side)

export const positionSide = (type: number): string =>
  type === PositionType.Long ? "long" : type === PositionType.Short ? "short" : String(type)

// -----------------------------------------------------------------------------------------------
// JSON: enums by name (what the tables show), with the Gateway's number beside them as `…Code`
// -----------------------------------------------------------------------------------------------

export const orderJson = (o: Order) => ({
  ...o,
  side: sideName(o.side),
  sideCode: o.side,
  type: nameOf(OrderType, o.type),
  typeCode: o.type,
  status: nameOf(OrderStatus, o.status),
  statusCode: o.status
})

export const positionJson = (x: Position) => ({ ...x, type: positionSide(x.type), typeCode: x.type })

export const tradeJson = (t: HalfTrade) => ({ ...t, side: sideName(t.side), sideCode: t.side })

// -----------------------------------------------------------------------------------------------

export const accountsTable = (accounts: ReadonlyArray<TradingAccount>, selectedId: number | undefined, p: Paint) =>
  table<TradingAccount>(
    accounts,
    [
      { header: "", value: (a) => (a.id === selectedId ? "*" : ""), color: (_, t, p) => p.green(t) },
      { header: "id", align: "right", value: (a) => String(a.id) },
      { header: "name", value: (a) => a.name },
      { header: "balance", align: "right", value: (a) => formatMoney(a.balance) },
      {
        header: "can trade",
        value: (a) => (a.canTrade ? "yes" : "no"),
        color: (a, t, p) => (a.canTrade ? t : p.dim(t))
      },
      { header: "simulated", value: (a) => (a.simulated === undefined ? "" : a.simulated ? "yes" : "no") }
    ],
    p
  )

const monthCodes = "FGHJKMNQUVXZ"

/** A contract id's root and expiry (`CON.F.US.MNQ.Z25` → MNQ, 2025-12); other ids sort by text. */
const contractKey = (c: Contract): readonly [string, number, string] => {
  const parts = c.id.split(".")
  const root = parts.length >= 5 ? (parts[parts.length - 2] as string) : c.name
  const m = /^([FGHJKMNQUVXZ])(\d{2})$/.exec(parts[parts.length - 1] ?? "")
  const expiry = m === null ? Number.MAX_SAFE_INTEGER : (2000 + Number(m[2])) * 12 + monthCodes.indexOf(m[1] as string)
  return [root, expiry, c.id]
}

/** Contracts by root, then expiry (nearest first), instead of the Gateway's order. */
export const sortContracts = (contracts: ReadonlyArray<Contract>): Array<Contract> =>
  contracts
    .map((c) => [contractKey(c), c] as const)
    .sort(([a], [b]) => a[0].localeCompare(b[0]) || a[1] - b[1] || a[2].localeCompare(b[2]))
    .map(([, c]) => c)

export const contractsTable = (contracts: ReadonlyArray<Contract>, p: Paint) =>
  table<Contract>(
    contracts,
    [
      { header: "id", value: (c) => c.id },
      { header: "name", value: (c) => c.name },
      { header: "description", value: (c) => c.description },
      { header: "tick", align: "right", value: (c) => formatPrice(c.tickSize, c.tickSize) },
      { header: "tick value", align: "right", value: (c) => formatMoney(c.tickValue) },
      { header: "active", value: (c) => (c.activeContract ? "yes" : ""), color: (_, t, p) => p.green(t) }
    ],
    p
  )

export const contractDetails = (c: Contract, p: Paint) =>
  keyValues(
    [
      ["id", c.id],
      ["name", c.name],
      ["description", c.description],
      ["tick size", formatPrice(c.tickSize, c.tickSize)],
      ["tick value", formatMoney(c.tickValue)],
      ["front month", c.activeContract ? "yes" : "no"],
      ...(c.symbolId === undefined ? [] : ([["symbol", c.symbolId]] as const))
    ],
    p
  )

export const ordersTable = (orders: ReadonlyArray<Order>, contracts: Contracts, timeZone: string, p: Paint) =>
  table<Order>(
    orders,
    [
      { header: "id", align: "right", value: (o) => String(o.id) },
      { header: `created (${timeZone})`, value: (o) => formatTime(o.creationTimestamp.getTime(), timeZone) },
      { header: "contract", value: (o) => contractName(contracts, o.contractId) },
      { header: "side", value: (o) => sideName(o.side), color: (o, t, p) => sideColor(sideName(o.side), t, p) },
      { header: "type", value: (o) => nameOf(OrderType, o.type) },
      { header: "size", align: "right", value: (o) => String(o.size) },
      {
        header: "limit",
        align: "right",
        value: (o) => formatPrice(o.limitPrice, tickOf(contracts, o.contractId))
      },
      { header: "stop", align: "right", value: (o) => formatPrice(o.stopPrice, tickOf(contracts, o.contractId)) },
      {
        header: "filled",
        align: "right",
        value: (o) => formatPrice(o.filledPrice, tickOf(contracts, o.contractId))
      },
      {
        header: "status",
        value: (o) => nameOf(OrderStatus, o.status),
        color: (o, t, p) =>
          o.status === OrderStatus.Filled
            ? p.green(t)
            : o.status === OrderStatus.Rejected
              ? p.red(t)
              : o.status === OrderStatus.Open
                ? p.yellow(t)
                : p.dim(t)
      },
      { header: "parent", align: "right", value: (o) => (o.parentOrderId == null ? "" : String(o.parentOrderId)) },
      { header: "tag", value: (o) => o.customTag ?? "" }
    ],
    p
  )

export const positionsTable = (positions: ReadonlyArray<Position>, contracts: Contracts, timeZone: string, p: Paint) =>
  table<Position>(
    positions,
    [
      { header: "contract", value: (x) => contracts.get(x.contractId)?.name ?? x.contractDisplayName ?? x.contractId },
      { header: "id", value: (x) => x.contractId },
      {
        header: "side",
        value: (x) => positionSide(x.type),
        color: (_, t, p) => sideColor(t.trim(), t, p)
      },
      { header: "size", align: "right", value: (x) => String(x.size) },
      {
        header: "avg price",
        align: "right",
        value: (x) => formatPrice(x.averagePrice, tickOf(contracts, x.contractId))
      },
      { header: `opened (${timeZone})`, value: (x) => formatTime(x.creationTimestamp.getTime(), timeZone) }
    ],
    p
  )

export const tradesTable = (trades: ReadonlyArray<HalfTrade>, contracts: Contracts, timeZone: string, p: Paint) =>
  table<HalfTrade>(
    trades,
    [
      { header: "id", align: "right", value: (t) => String(t.id) },
      { header: `time (${timeZone})`, value: (t) => formatTime(t.creationTimestamp.getTime(), timeZone) },
      { header: "contract", value: (t) => contractName(contracts, t.contractId) },
      { header: "side", value: (t) => sideName(t.side), color: (t, x, p) => sideColor(sideName(t.side), x, p) },
      { header: "size", align: "right", value: (t) => String(t.size) },
      { header: "price", align: "right", value: (t) => formatPrice(t.price, tickOf(contracts, t.contractId)) },
      {
        header: "p&l",
        align: "right",
        value: (t) => formatMoney(t.profitAndLoss),
        color: (t, x, p) => signColor(t.profitAndLoss, x, p)
      },
      { header: "fees", align: "right", value: (t) => formatMoney(t.fees + (t.commissions ?? 0)) },
      { header: "order", align: "right", value: (t) => String(t.orderId) },
      { header: "", value: (t) => (t.voided ? "voided" : ""), color: (_, x, p) => p.dim(x) }
    ],
    p
  )

export const tradesSummary = (s: Trades.TradesSummary, p: Paint) =>
  keyValues(
    [
      ["fills", `${formatCount(s.fills)}${s.voided > 0 ? ` (+${s.voided} voided)` : ""}`],
      ["realized p&l", signColor(s.realizedPnl, formatMoney(s.realizedPnl), p)],
      ["fees", formatMoney(s.fees + s.commissions)],
      ["net p&l", signColor(s.netPnl, formatMoney(s.netPnl), p)]
    ],
    p
  )

/** Bars as rows for JSON: the timestamp in ISO-8601 with the table zone's offset (as in the CSV). */
export const barsJson = (rows: ReadonlyArray<Bars.Bar>, timeZone: string) =>
  rows.map((r) => ({
    timestamp: isoWithOffset(r.timestamp.getTime(), timeZone),
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume
  }))

export const barsTable = (rows: ReadonlyArray<Bars.Bar>, tickSize: number | undefined, timeZone: string, p: Paint) =>
  table<Bars.Bar>(
    rows,
    [
      { header: `time (${timeZone})`, value: (r) => formatTime(r.timestamp.getTime(), timeZone) },
      { header: "open", align: "right", value: (r) => formatPrice(r.open, tickSize) },
      { header: "high", align: "right", value: (r) => formatPrice(r.high, tickSize) },
      { header: "low", align: "right", value: (r) => formatPrice(r.low, tickSize) },
      {
        header: "close",
        align: "right",
        value: (r) => formatPrice(r.close, tickSize),
        color: (r, t, p) => signColor(r.close - r.open, t, p)
      },
      { header: "volume", align: "right", value: (r) => formatCount(r.volume) }
    ],
    p
  )

const breakerText = (state: { readonly _tag: string }) => state._tag.toLowerCase()

export const healthDetails = (
  h: Health.HealthReport,
  timeZone: string,
  p: Paint,
  extra: ReadonlyArray<readonly [string, string]> = []
) => {
  const session =
    h.session.state === "none"
      ? "not logged in"
      : `${h.session.state}, expires ${formatTime(h.session.expiresAt.getTime(), timeZone)} (${h.session.logins} login${
          h.session.logins === 1 ? "" : "s"
        }, ${h.session.validations} refresh${h.session.validations === 1 ? "" : "es"})`
  const breakers = Object.entries(h.breakers)
  const failures = Object.entries(h.requests.failures)
  const pool = h.http.pools
    .map((x) => `${x.origin}: ${x.connected} connected, ${x.free} free, ${x.running} running`)
    .join("; ")
  return keyValues(
    [
      ["status", h.healthy ? p.green("healthy") : p.red("unhealthy")],
      ...extra,
      ["gateway", h.gateway],
      ["session", session],
      [
        "circuit breakers",
        breakers.length === 0
          ? "closed"
          : breakers.map(([g, s]) => `${g} ${s._tag === "Open" ? p.red(breakerText(s)) : breakerText(s)}`).join(", ")
      ],
      [
        "rate limit history",
        `${h.rateLimits.history.used}/${h.rateLimits.history.limit} per ${formatDuration(h.rateLimits.history.windowMs)}, ${h.rateLimits.history.queued} queued`
      ],
      [
        "rate limit general",
        `${h.rateLimits.general.used}/${h.rateLimits.general.limit} per ${formatDuration(h.rateLimits.general.windowMs)}, ${h.rateLimits.general.queued} queued`
      ],
      [
        "requests",
        `${formatCount(h.requests.requests)} (${h.requests.attempts} attempts, ${h.requests.retries} retries, ${h.requests.rateLimited} rate-limited)`
      ],
      ["failures", failures.length === 0 ? "none" : failures.map(([k, n]) => `${k} ${n}`).join(", ")],
      ["http pool", pool.length === 0 ? "idle" : pool],
      ["bar cache", cacheText(h.cache)]
    ],
    p
  )
}

export const cacheText = (c: Health.HealthReport["cache"]) =>
  `${c.hits} hit${c.hits === 1 ? "" : "s"}, ${c.misses} miss${c.misses === 1 ? "" : "es"} (hit ratio ${(c.hitRatio * 100).toFixed(0)} %), ${c.entries} entr${
    c.entries === 1 ? "y" : "ies"
  }, ${formatCount(c.bytesStored)} bytes stored (${c.compressionRatio.toFixed(2)}× compression), ${c.evictions} evictions`
