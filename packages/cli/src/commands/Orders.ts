/**
 * `projectx orders place|modify|cancel|list|open`. Placement goes through the SDK's checks (size,
 * tick alignment, bracket signs) before anything is sent, and carries a unique customTag so a lost
 * reply is reconciled instead of resent.
 */
import type { Order } from "@projectx-effect/gateway"
import { Instruments, Orders, ProjectXConfig } from "@projectx-effect/sdk/rest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { ExitCode, Reported, UsageError } from "../Failure.ts"
import { formatCount, formatPrice, keyValues, note, print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withRestSdk, withShownDefault } from "../Settings.ts"
import { contractsFor, orderJson, ordersTable } from "../Views.ts"

/** An optional price flag (`--limit-price 21000.25`). */
const priceFlag = (name: string, description: string) =>
  Flag.Finite(name).pipe(Flag.withDescription(description), Flag.withMetavar("price"), Flag.optional)

const DAY_MS = 86_400_000

const types = ["market", "limit", "stop", "trailing-stop", "join-bid", "join-ask"] as const

const need = (value: Option.Option<number>, flag: string, type: string) =>
  Option.isSome(value)
    ? Effect.succeed(value.value)
    : Effect.fail(new UsageError({ message: `a ${type} order needs --${flag}` }))

/** Prints orders as a table (tick precision from their contracts) or JSON. */
export const showOrders = (orders: ReadonlyArray<Order>) =>
  Effect.gen(function* () {
    if (yield* Json) return yield* printJson(orders.map(orderJson))
    const config = yield* ProjectXConfig.ProjectXConfig
    const contracts = yield* contractsFor(orders.map((o) => o.contractId))
    yield* print(ordersTable(orders, contracts, config.timeZone, stdoutPaint()))
  })

/** The orders created in the last `days` days, newest first. */
const recent = (days: number) =>
  Effect.gen(function* () {
    if (!(days > 0)) return yield* new UsageError({ message: `--days ${days}: expected a number of days > 0` })
    const now = yield* Clock.currentTimeMillis
    const list = yield* (yield* Orders.Orders).search({ start: new Date(now - days * DAY_MS), end: new Date(now) })
    return [...list].sort((a, b) => b.creationTimestamp.getTime() - a.creationTimestamp.getTime() || b.id - a.id)
  })

/**
 * A price off the contract's tick grid, refused with the two nearest valid prices (the SDK would refuse it
 * too, but in terms of its API): `--limit-price 100.1` on MNQ → "use 100.00 or 100.25".
 */
export const offGrid = (
  flag: string,
  price: number,
  contract: { readonly name: string; readonly tickSize: number }
): UsageError | undefined => {
  if (Orders.isAligned(price, contract.tickSize)) return undefined
  const below = formatPrice(Orders.roundToTick(price, contract.tickSize, "down"), contract.tickSize)
  const above = formatPrice(Orders.roundToTick(price, contract.tickSize, "up"), contract.tickSize)
  return new UsageError({
    message: `--${flag} ${price} is not on ${contract.name}'s price grid (tick size ${formatPrice(contract.tickSize, contract.tickSize)})`,
    hint: `the nearest valid prices are ${below} and ${above}`
  })
}

/** Refuses the first off-grid price flag of an order on `contractId`. */
const checkGrid = (contractId: string, prices: ReadonlyArray<readonly [string, Option.Option<number>]>) =>
  Effect.gen(function* () {
    const given = prices.flatMap(([flag, value]) => (Option.isSome(value) ? [[flag, value.value] as const] : []))
    if (given.length === 0) return
    const contract = yield* (yield* Instruments.Instruments).resolve(contractId)
    for (const [flag, price] of given) {
      const error = offGrid(flag, price, contract)
      if (error !== undefined) return yield* error
    }
  })

/** The cancelled orders read back (one search over their creation window), in the report's order. */
const afterCancel = (cancelled: ReadonlyArray<Order>) =>
  Effect.gen(function* () {
    if (cancelled.length === 0) return []
    const now = yield* Clock.currentTimeMillis
    const since = Math.min(...cancelled.map((o) => o.creationTimestamp.getTime()))
    const found = yield* (yield* Orders.Orders).search({ start: new Date(since - 60_000), end: new Date(now + 60_000) })
    const byId = new Map(found.map((o) => [o.id, o]))
    return cancelled.map((o) => byId.get(o.id) ?? o)
  })

const place = Command.make(
  "place",
  {
    symbol: Argument.String("symbol").pipe(
      Argument.withDescription("A root (MNQ: its front month), a contract name or id")
    ),
    side: Flag.Literals("side", ["buy", "sell"] as const).pipe(Flag.withDescription("buy (long) or sell (short)")),
    size: Flag.Int("size").pipe(withShownDefault("Contracts", 1)),
    type: Flag.Literals("type", types).pipe(withShownDefault("Order type", "market")),
    limitPrice: priceFlag("limit-price", "For --type limit"),
    stopPrice: priceFlag("stop-price", "For --type stop"),
    trailPrice: priceFlag("trail-price", "For --type trailing-stop: the level the stop starts at"),
    stopLoss: Flag.Int("stop-loss").pipe(
      Flag.withDescription("Bracket stop loss in signed ticks from the fill (buy: negative, sell: positive)"),
      Flag.withMetavar("ticks"),
      Flag.optional
    ),
    takeProfit: Flag.Int("take-profit").pipe(
      Flag.withDescription("Bracket take profit in signed ticks from the fill (buy: positive, sell: negative)"),
      Flag.withMetavar("ticks"),
      Flag.optional
    ),
    tag: Flag.String("tag").pipe(
      Flag.withDescription("Your customTag (unique per account; generated when omitted)"),
      Flag.optional
    )
  },
  (input) =>
    withRestSdk(
      Effect.gen(function* () {
        const common = {
          contractId: input.symbol,
          side: input.side,
          size: input.size,
          readBack: true,
          ...(Option.isSome(input.tag) ? { customTag: input.tag.value } : {}),
          ...(Option.isSome(input.stopLoss) ? { stopLoss: { ticks: input.stopLoss.value } } : {}),
          ...(Option.isSome(input.takeProfit) ? { takeProfit: { ticks: input.takeProfit.value } } : {})
        }
        let order: Orders.PlaceOrderInput
        switch (input.type) {
          case "market":
            order = { ...common, type: "market" }
            break
          case "limit":
            order = { ...common, type: "limit", limitPrice: yield* need(input.limitPrice, "limit-price", "limit") }
            break
          case "stop":
            order = { ...common, type: "stop", stopPrice: yield* need(input.stopPrice, "stop-price", "stop") }
            break
          case "trailing-stop":
            order = {
              ...common,
              type: "trailingStop",
              trailPrice: yield* need(input.trailPrice, "trail-price", "trailing-stop")
            }
            break
          case "join-bid":
            order = { ...common, type: "joinBid" }
            break
          case "join-ask":
            order = { ...common, type: "joinAsk" }
            break
        }
        yield* checkGrid(input.symbol, [
          ["limit-price", input.limitPrice],
          ["stop-price", input.stopPrice],
          ["trail-price", input.trailPrice]
        ])
        const orders = yield* Orders.Orders
        const placed = yield* orders.place(order)
        const entry = placed.order ?? (yield* orders.byId(placed.orderId, placed.accountId))
        const children = (yield* recent(1)).filter((o) => o.parentOrderId === placed.orderId)
        if (yield* Json) {
          return yield* printJson({ ...placed, order: orderJson(entry), children: children.map(orderJson) })
        }
        const p = stdoutPaint()
        yield* print(
          keyValues(
            [
              ["placed", p.bold(`order ${placed.orderId}`)],
              ["account", String(placed.accountId)],
              ["contract", placed.contractId],
              ["customTag", placed.customTag],
              ...(placed.reconciled ? ([["note", "the reply was lost; found by its customTag"]] as const) : [])
            ],
            p
          )
        )
        yield* print("\n")
        yield* showOrders([entry, ...children])
      })
    )
).pipe(
  Command.withDescription(
    "Place an order on the selected account. Brackets are signed ticks from the fill: a buy with --stop-loss -40 --take-profit 80 risks 40 ticks to make 80."
  ),
  Command.withShortDescription("Place an order (with optional bracket)"),
  Command.withExamples([
    { command: "projectx orders place MNQ --side buy --size 1", description: "a market buy of the front month" },
    { command: "projectx orders place MNQ --side buy --stop-loss -40 --take-profit 80", description: "bracketed" },
    {
      command: "projectx orders place MES --side sell --type limit --limit-price 6010.25",
      description: "a resting limit"
    }
  ])
)

const orderId = Argument.Int("order-id").pipe(Argument.withDescription("The order's id"))

const modify = Command.make(
  "modify",
  {
    orderId,
    size: Flag.Int("size").pipe(Flag.withDescription("New size"), Flag.optional),
    limitPrice: priceFlag("limit-price", "New limit price"),
    stopPrice: priceFlag("stop-price", "New stop price"),
    trailPrice: priceFlag("trail-price", "New trailing-stop level")
  },
  (input) =>
    withRestSdk(
      Effect.gen(function* () {
        const changes = {
          ...(Option.isSome(input.size) ? { size: input.size.value } : {}),
          ...(Option.isSome(input.limitPrice) ? { limitPrice: input.limitPrice.value } : {}),
          ...(Option.isSome(input.stopPrice) ? { stopPrice: input.stopPrice.value } : {}),
          ...(Option.isSome(input.trailPrice) ? { trailPrice: input.trailPrice.value } : {})
        }
        if (Object.keys(changes).length === 0) {
          return yield* new UsageError({
            message: "nothing to modify",
            hint: "give at least one of --size, --limit-price, --stop-price, --trail-price"
          })
        }
        const orders = yield* Orders.Orders
        if (Option.isSome(input.limitPrice) || Option.isSome(input.stopPrice) || Option.isSome(input.trailPrice)) {
          yield* checkGrid((yield* orders.byId(input.orderId)).contractId, [
            ["limit-price", input.limitPrice],
            ["stop-price", input.stopPrice],
            ["trail-price", input.trailPrice]
          ])
        }
        yield* orders.modify({ orderId: input.orderId, ...changes })
        const after = yield* orders.byId(input.orderId)
        if (yield* Json) return yield* printJson({ modified: input.orderId, order: orderJson(after) })
        yield* print(`Modified order ${input.orderId}\n\n`)
        yield* showOrders([after])
      })
    )
).pipe(
  Command.withDescription("Change a working order's size or prices."),
  Command.withShortDescription("Modify a working order")
)

const cancel = Command.make(
  "cancel",
  {
    orderId: orderId.pipe(Argument.optional),
    all: Flag.Boolean("all").pipe(
      Flag.withDescription("Cancel every open order (of --symbol)"),
      Flag.withDefault(false)
    ),
    symbol: Flag.String("symbol").pipe(Flag.withDescription("With --all: only this contract's orders"), Flag.optional)
  },
  (input) =>
    withRestSdk(
      Effect.gen(function* () {
        const orders = yield* Orders.Orders
        const json = yield* Json
        if (input.all) {
          if (Option.isSome(input.orderId)) {
            return yield* new UsageError({ message: "give an order id or --all, not both" })
          }
          const contractId = Option.isSome(input.symbol)
            ? (yield* (yield* Instruments.Instruments).resolve(input.symbol.value)).id
            : undefined
          const report = yield* orders.cancelAll(contractId === undefined ? {} : { contractId })
          // The report holds the orders as they were before the cancel: show them as they are now.
          const after = yield* afterCancel(report.cancelled)
          if (json) {
            return yield* printJson({
              cancelled: after.map(orderJson),
              failed: report.failed.map((f) => ({ order: orderJson(f.order), error: f.error.message }))
            })
          }
          yield* print(
            `Cancelled ${formatCount(report.cancelled.length)} order${report.cancelled.length === 1 ? "" : "s"}\n`
          )
          if (after.length > 0) {
            yield* print("\n")
            yield* showOrders(after)
          }
          for (const f of report.failed) yield* note(`Could not cancel order ${f.order.id}: ${f.error.message}`)
          if (report.failed.length > 0) {
            return yield* new Reported({
              code: ExitCode.Failure,
              message: `${report.failed.length} order(s) could not be cancelled`
            })
          }
          return
        }
        if (Option.isNone(input.orderId)) {
          return yield* new UsageError({
            message: "which order?",
            hint: "give an order id (see `projectx orders open`) or --all"
          })
        }
        yield* orders.cancel(input.orderId.value)
        if (json) return yield* printJson({ cancelled: input.orderId.value })
        yield* print(`Cancelled order ${input.orderId.value}\n`)
      })
    )
).pipe(
  Command.withDescription("Cancel a working order, or every open order with --all."),
  Command.withShortDescription("Cancel orders")
)

const list = Command.make(
  "list",
  { days: Flag.Finite("days").pipe(withShownDefault("How many days back", 1)) },
  ({ days }) => withRestSdk(Effect.flatMap(recent(days), showOrders))
).pipe(
  Command.withDescription("Orders created in the last --days (default 1), any status, newest first."),
  Command.withShortDescription("List recent orders")
)

const open = Command.make("open", {}, () =>
  withRestSdk(
    Effect.gen(function* () {
      yield* showOrders(yield* (yield* Orders.Orders).searchOpen())
    })
  )
).pipe(
  Command.withDescription("Working orders on the selected account."),
  Command.withShortDescription("List working orders")
)

export const orders = Command.make("orders").pipe(
  Command.withDescription("Place, modify, cancel and list orders on the selected account (--account)."),
  Command.withShortDescription("Place, modify, cancel and list orders"),
  Command.withSubcommands([place, modify, cancel, list, open])
)
