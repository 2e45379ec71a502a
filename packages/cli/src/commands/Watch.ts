/**
 * `projectx watch quotes|trades|depth <symbol>` and `projectx watch orders|positions|fills`: the hubs live.
 * On a terminal quotes redraw in place (one line per contract) and events scroll; `--json` prints one
 * object per line for pipes. Ctrl-C interrupts the stream, whose scope unsubscribes and closes the socket.
 */
import { Instruments, MarketHub, ProjectXConfig, type Realtime, UserHub } from "@projectx-effect/sdk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import { formatPrice, formatTime, type Paint, print, sideColor, stdoutPaint } from "../Output.ts"
import { Json, withSdk } from "../Settings.ts"
import { account } from "./WatchAccount.ts"

const symbols = Argument.String("symbol").pipe(
  Argument.withDescription("A root (MNQ: its front month), a contract name or id"),
  Argument.variadic({ min: 1 })
)
const symbol = Argument.String("symbol").pipe(
  Argument.withDescription("A root (MNQ: its front month), a contract name or id")
)

const jsonLine = (value: unknown) => print(`${JSON.stringify(value)}\n`)

const signalText = (signal: Realtime.Signal, p: Paint): string => {
  switch (signal._tag) {
    case "Stale":
      return p.yellow(`stale: ${signal.subscription} silent for ${Math.round(signal.silentMs / 1000)} s`)
    case "Recovered":
      return p.green(`recovered: ${signal.subscription} after ${Math.round(signal.gapMs / 1000)} s (${signal.via})`)
    case "Reconnected":
      return p.dim(`${signal.hub} hub reconnected (${signal.reconnects}); subscriptions replayed`)
    case "Logout":
      return p.red(`${signal.hub} hub: GatewayLogout (session taken elsewhere); logging in again`)
  }
}

const isTty = () => process.stdout.isTTY === true

/** Quotes: one line per contract, redrawn in place on a terminal at most 10 times a second. */
const watchQuotes = (list: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const hub = yield* MarketHub.MarketHub
    const instruments = yield* Instruments.Instruments
    const contracts = yield* Effect.forEach(list, (s) => instruments.resolve(s))
    const json = yield* Json
    const config = yield* ProjectXConfig.ProjectXConfig
    const p = stdoutPaint()
    const merged = Stream.mergeAll(
      contracts.map((c) => hub.quotes(c.id)),
      { concurrency: "unbounded" }
    )
    if (json || !isTty()) {
      return yield* Stream.runForEach(merged, (event) =>
        json
          ? jsonLine(event)
          : print(
              `${event._tag === "Quote" ? quoteLine(event, contracts, config.timeZone, p) : signalText(event, p)}\n`
            )
      )
    }
    const latest = new Map<string, Realtime.Quote>()
    const notes: Array<string> = []
    let drawn = 0
    const draw = Effect.sync(() => {
      const lines = [
        p.dim("contract      last        bid         ask         change    volume   time"),
        ...contracts.map((c) => {
          const q = latest.get(c.id)
          return q === undefined
            ? `${c.name.padEnd(12)}  ${p.dim("waiting for the first quote…")}`
            : quoteLine(q, contracts, config.timeZone, p)
        }),
        ...notes.slice(-3)
      ]
      const up = drawn > 0 ? `\x1b[${drawn}A` : ""
      process.stdout.write(`${up}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`)
      drawn = lines.length
    })
    yield* draw
    yield* Stream.runForEach(Stream.groupedWithin(merged, 10_000, "100 millis"), (batch) =>
      Effect.andThen(
        Effect.sync(() => {
          for (const event of batch) {
            if (event._tag === "Quote") latest.set(event.contractId, event)
            else notes.push(signalText(event, p))
          }
        }),
        draw
      )
    )
  })

const quoteLine = (
  q: Realtime.Quote,
  contracts: ReadonlyArray<{ readonly id: string; readonly name: string; readonly tickSize: number }>,
  timeZone: string,
  p: Paint
): string => {
  const c = contracts.find((x) => x.id === q.contractId)
  const tick = c?.tickSize
  const change = q.change ?? 0
  const changeText = `${change >= 0 ? "+" : ""}${formatPrice(change, tick)}`
  return [
    (c?.name ?? q.contractId).padEnd(12),
    formatPrice(q.lastPrice, tick).padStart(10),
    formatPrice(q.bestBid, tick).padStart(11),
    formatPrice(q.bestAsk, tick).padStart(11),
    (change >= 0 ? p.green : p.red)(changeText.padStart(11)),
    String(q.volume ?? "").padStart(9),
    `  ${q.timestamp instanceof Date ? formatTime(q.timestamp.getTime(), timeZone) : ""}`
  ].join(" ")
}

/** A scrolling view of one event per line (or JSON lines). */
const scroll = <A extends { readonly _tag: string }>(
  stream: Stream.Stream<A | Realtime.Signal, unknown, never>,
  describe: (event: A, p: Paint, timeZone: string) => string
) =>
  Effect.gen(function* () {
    const json = yield* Json
    const config = yield* ProjectXConfig.ProjectXConfig
    const p = stdoutPaint()
    if (!json) yield* print(p.dim("watching; Ctrl-C to stop\n"))
    yield* Stream.runForEach(stream, (event) => {
      if (json) return jsonLine(event)
      const signal = event as Realtime.Signal
      const isSignal =
        signal._tag === "Stale" ||
        signal._tag === "Recovered" ||
        signal._tag === "Reconnected" ||
        signal._tag === "Logout"
      return print(`${isSignal ? signalText(signal, p) : describe(event as A, p, config.timeZone)}\n`)
    })
  })

const sides = ["buy", "sell"] as const
const orderStatus = [
  "none",
  "open",
  "filled",
  "cancelled",
  "expired",
  "rejected",
  "pending",
  "pending-cancel",
  "suspended"
]
const orderTypes = ["unknown", "limit", "market", "stop-limit", "stop", "trailing-stop", "join-bid", "join-ask"]
const source = (s: Realtime.EventSource, p: Paint) => (s === "rest" ? p.dim(" (from REST after a gap)") : "")

const quotes = Command.make("quotes", { symbols }, ({ symbols }) => withSdk(watchQuotes(symbols))).pipe(
  Command.withDescription("Live quotes, one line per contract redrawn in place (--json: one object per line)."),
  Command.withShortDescription("Live quotes")
)

const trades = Command.make("trades", { symbol }, ({ symbol }) =>
  withSdk(
    Effect.gen(function* () {
      const hub = yield* MarketHub.MarketHub
      yield* scroll(hub.trades(symbol), (e: Realtime.MarketTrades, p, tz) =>
        e.trades
          .map(
            (t) =>
              `${formatTime(t.timestamp.getTime(), tz)}  ${sideColor(t.type === 0 ? "buy" : "sell", (t.type === 0 ? "buy " : "sell").padEnd(4), p)} ${String(t.volume).padStart(4)} @ ${t.price}`
          )
          .join("\n")
      )
    })
  )
).pipe(Command.withDescription("Live market prints of a contract."), Command.withShortDescription("Live prints"))

const depth = Command.make("depth", { symbol }, ({ symbol }) =>
  withSdk(
    Effect.gen(function* () {
      const hub = yield* MarketHub.MarketHub
      yield* scroll(hub.depth(symbol), (e: Realtime.Depth, p) =>
        p.dim(
          `${e.entries.length} DOM updates (${e.entries.filter((x) => x.type === 6).length > 0 ? "reset" : "delta"})`
        )
      )
    })
  )
).pipe(Command.withDescription("Live DOM updates of a contract."), Command.withShortDescription("Live depth"))

const orders = Command.make("orders", {}, () =>
  withSdk(
    Effect.gen(function* () {
      const hub = yield* UserHub.UserHub
      yield* scroll(hub.orders(), (e: Realtime.OrderUpdate, p, tz) => {
        const o = e.order
        const side = sides[o.side] ?? "buy"
        const price = o.filledPrice ?? o.limitPrice ?? o.stopPrice
        return `${formatTime((o.updateTimestamp ?? o.creationTimestamp).getTime(), tz)}  #${o.id} ${sideColor(side, side, p)} ${o.size} ${o.contractId} ${orderTypes[o.type] ?? o.type} ${p.bold(orderStatus[o.status] ?? String(o.status))}${o.fillVolume ? ` filled ${o.fillVolume}` : ""}${price == null ? "" : ` @ ${price}`}${source(e.source, p)}`
      })
    })
  )
).pipe(
  Command.withDescription("Order changes of the selected account as they happen (--json: one object per line)."),
  Command.withShortDescription("Live order events")
)

const positions = Command.make("positions", {}, () =>
  withSdk(
    Effect.gen(function* () {
      const hub = yield* UserHub.UserHub
      yield* scroll(hub.positions(), (e: Realtime.PositionUpdate, p) => {
        const x = e.position
        return x.size === 0
          ? `${x.contractId} ${p.dim("flat")}${source(e.source, p)}`
          : `${x.contractId} ${sideColor(x.type === 1 ? "buy" : "sell", x.type === 1 ? "long" : "short", p)} ${x.size} @ ${x.averagePrice}${source(e.source, p)}`
      })
    })
  )
).pipe(
  Command.withDescription("Position changes of the selected account."),
  Command.withShortDescription("Live positions")
)

const fills = Command.make("fills", {}, () =>
  withSdk(
    Effect.gen(function* () {
      const hub = yield* UserHub.UserHub
      yield* scroll(hub.trades(), (e: Realtime.UserTrade, p, tz) => {
        const t = e.trade
        const side = sides[t.side] ?? "buy"
        return `${formatTime(t.creationTimestamp.getTime(), tz)}  ${sideColor(side, side, p)} ${t.size} ${t.contractId} @ ${t.price}${t.profitAndLoss == null ? "" : ` P&L ${t.profitAndLoss}`}${source(e.source, p)}`
      })
    })
  )
).pipe(Command.withDescription("Fills of the selected account."), Command.withShortDescription("Live fills"))

export const watch = Command.make("watch").pipe(
  Command.withDescription(
    "Stream the realtime hubs: quotes, prints and depth per contract; orders, positions and fills of the account."
  ),
  Command.withShortDescription("Live quotes and account events"),
  Command.withSubcommands([quotes, trades, depth, orders, positions, fills, account])
)
