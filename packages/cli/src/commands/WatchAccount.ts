/**
 * `projectx watch account`: the account as `TradingState` keeps it — working orders with their lifecycle
 * phase, open positions with live P&L from the market hub's quotes, the balance, and what REST had to
 * repair. A terminal view redrawn in place (4 times a second at most); `--json` prints one object a change.
 */
import { Instruments, MarketHub, OrderLifecycle, TradingState } from "@projectx-effect/sdk"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Stream from "effect/Stream"
import * as Command from "effect/cli/Command"
import { formatMoney, formatPrice, type Paint, print, signColor, stdoutPaint } from "../Output.ts"
import { Json, withSdk } from "../Settings.ts"

export interface ContractInfo {
  readonly name: string
  readonly tickSize: number
  readonly tickValue: number
}

export interface PositionRow {
  readonly contractId: string
  readonly side: "long" | "short"
  readonly size: number
  readonly averagePrice: number
  readonly lastPrice: number | undefined
  /** Unrealized, in account currency: (last − average) × size × tickValue / tickSize, signed by side. */
  readonly pnl: number | undefined
}

export interface OrderRow {
  readonly id: number
  readonly contractId: string
  readonly side: "buy" | "sell"
  readonly type: string
  readonly filled: number
  readonly size: number
  readonly price: number | undefined
  readonly phase: OrderLifecycle.Phase
}

export interface AccountView {
  readonly accountId: number
  readonly name: string | undefined
  readonly balance: number | undefined
  readonly orders: ReadonlyArray<OrderRow>
  readonly positions: ReadonlyArray<PositionRow>
  /** Divergences REST repaired since the watch began. */
  readonly repaired: number
}

const types = ["unknown", "limit", "market", "stop-limit", "stop", "trailing-stop", "join-bid", "join-ask"]

/** The view of a snapshot, given the last price and tick facts per contract. Pure, so it is tested alone. */
export const accountView = (
  s: TradingState.TradingSnapshot,
  lastPrice: (contractId: string) => number | undefined,
  contract: (contractId: string) => ContractInfo | undefined,
  repaired: number
): AccountView => ({
  accountId: s.accountId,
  name: s.account?.name,
  balance: s.account?.balance,
  orders: [...s.orders.values()]
    .filter((o) => OrderLifecycle.isLive(o.phase))
    .sort((a, b) => a.order.id - b.order.id)
    .map(({ order, phase }) => ({
      id: order.id,
      contractId: order.contractId,
      side: order.side === 0 ? "buy" : "sell",
      type: types[order.type] ?? String(order.type),
      filled: order.fillVolume ?? 0,
      size: order.size,
      price: order.limitPrice ?? order.stopPrice ?? undefined,
      phase
    })),
  positions: [...s.positions.values()].map((p) => {
    const last = lastPrice(p.contractId)
    const c = contract(p.contractId)
    const direction = p.type === 1 ? 1 : -1
    return {
      contractId: p.contractId,
      side: p.type === 1 ? "long" : "short",
      size: p.size,
      averagePrice: p.averagePrice,
      lastPrice: last,
      pnl:
        last === undefined || c === undefined
          ? undefined
          : Math.round((last - p.averagePrice) * p.size * (c.tickValue / c.tickSize) * direction * 100) / 100
    }
  }),
  repaired
})

const render = (v: AccountView, contract: (id: string) => ContractInfo | undefined, p: Paint): Array<string> => {
  const name = (id: string) => contract(id)?.name ?? id
  const tick = (id: string) => contract(id)?.tickSize
  const total = v.positions.reduce((sum, r) => sum + (r.pnl ?? 0), 0)
  return [
    `${p.bold(v.name ?? String(v.accountId))}  balance ${formatMoney(v.balance)}  open P&L ${signColor(total, formatMoney(total), p)}${v.repaired > 0 ? p.yellow(`  repaired from REST: ${v.repaired}`) : ""}`,
    p.dim("positions    side    size     average        last         P&L"),
    ...(v.positions.length === 0
      ? [p.dim("  (flat)")]
      : v.positions.map((r) =>
          [
            name(r.contractId).padEnd(12),
            r.side.padEnd(6),
            String(r.size).padStart(5),
            formatPrice(r.averagePrice, tick(r.contractId)).padStart(11),
            formatPrice(r.lastPrice, tick(r.contractId)).padStart(11),
            signColor(r.pnl, formatMoney(r.pnl).padStart(11), p)
          ].join(" ")
        )),
    p.dim("orders       id        side  type           filled   price       phase"),
    ...(v.orders.length === 0
      ? [p.dim("  (none working)")]
      : v.orders.map((o) =>
          [
            name(o.contractId).padEnd(12),
            String(o.id).padEnd(9),
            o.side.padEnd(5),
            o.type.padEnd(14),
            `${o.filled}/${o.size}`.padStart(6),
            formatPrice(o.price, tick(o.contractId)).padStart(11),
            `  ${o.phase}`
          ].join(" ")
        ))
  ]
}

const watchAccount = Effect.gen(function* () {
  const state = yield* TradingState.TradingState
  const market = yield* MarketHub.MarketHub
  const instruments = yield* Instruments.Instruments
  const json = yield* Json
  const p = stdoutPaint()
  const contracts = new Map<string, ContractInfo>()
  const quotes = yield* FiberMap.make<string>()
  const lasts = new Map<string, number>()
  let drawn = 0
  let previous = ""

  /** Quotes for every contract with a position (for P&L), subscribed as positions appear. */
  const follow = (contractId: string) =>
    Effect.gen(function* () {
      if (!contracts.has(contractId)) {
        const c = yield* instruments.resolve(contractId)
        contracts.set(contractId, { name: c.name, tickSize: c.tickSize, tickValue: c.tickValue })
      }
      if (yield* FiberMap.has(quotes, contractId)) return
      yield* FiberMap.run(
        quotes,
        contractId,
        Stream.runForEach(market.quotes(contractId), (q) =>
          Effect.sync(() => {
            if (q._tag === "Quote" && q.lastPrice !== undefined) lasts.set(contractId, q.lastPrice)
          })
        )
      )
    })

  const draw = Effect.gen(function* () {
    const s = yield* state.snapshot
    for (const id of s.positions.keys()) yield* follow(id)
    for (const o of s.orders.values()) if (!contracts.has(o.order.contractId)) yield* follow(o.order.contractId)
    const report = yield* state.divergences
    const view = accountView(
      s,
      (id) => lasts.get(id),
      (id) => contracts.get(id),
      report.total
    )
    const text = JSON.stringify(view)
    if (text === previous) return
    previous = text
    if (json) return yield* print(`${text}\n`)
    const lines = render(view, (id) => contracts.get(id), p)
    const up = drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ""
    yield* print(`${up}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`)
    drawn = lines.length
  })

  // Redraw on state changes and on quotes, at most 4 times a second.
  yield* Stream.merge(state.changes, Stream.tick("250 millis")).pipe(
    Stream.debounce("50 millis"),
    Stream.runForEach(() => draw)
  )
})

export const account = Command.make("account", {}, () =>
  withSdk(Effect.scoped(watchAccount.pipe(Effect.provide(TradingState.TradingState.layer()))))
).pipe(
  Command.withDescription(
    "The account live: working orders with their lifecycle phase, positions with live P&L from quotes, the balance, and what REST had to repair (--json: one object per change)."
  ),
  Command.withShortDescription("Live orders, positions and P&L")
)
