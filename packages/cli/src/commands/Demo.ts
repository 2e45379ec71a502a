/**
 * `projectx demo`: the whole SDK in one command, with no credentials. It starts the simulator
 * in-process on a free port and walks through login, accounts, symbol resolution, bars (a cache miss
 * then a hit), a bracketed order, positions, fills and health, then draws a waterfall of the traces it
 * recorded. Every step runs in its own trace; a failing step is reported by name and makes the exit
 * code 1, and the steps that do not depend on it still run.
 */
import {
  Accounts,
  Auth,
  Health,
  Instruments,
  MarketData,
  Orders,
  Positions,
  ProjectX,
  Telemetry,
  Trades
} from "@projectx-effect/sdk"
import { SpanRecorder } from "@projectx-effect/sdk/testing"
import { type Contract, nameOf, OrderStatus } from "@projectx-effect/gateway"
import { Simulator, type SimulatorAdmin } from "@projectx-effect/simulator"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { describeCause, ExitCode, Reported, UsageError } from "../Failure.ts"
import {
  formatCount,
  formatDuration,
  formatMoney,
  formatPrice,
  formatTime,
  keyValues,
  type Paint,
  print,
  stdoutPaint,
  wantsColor
} from "../Output.ts"
import { otlpOptions, TimeZone, telemetryLayer, withShownDefault } from "../Settings.ts"
import * as Waterfall from "../Waterfall.ts"
import {
  accountsTable,
  barsTable,
  contractsFor,
  healthDetails,
  ordersTable,
  positionsTable,
  tradesSummary,
  tradesTable
} from "../Views.ts"

const DAY_MS = 86_400_000

/** Spans of the steps whose traces end up in the waterfall. */
const BARS_SPAN = "demo: bars (cache miss)"
const ORDER_SPAN = "demo: bracketed order"

interface StepOutcome {
  readonly title: string
  readonly ok: boolean
  readonly message?: string | undefined
}

class Missing extends Error {
  readonly _tag = "Missing"
}

/** A value an earlier step produced, or a failure saying which step it needed. */
const needs = <A>(value: A | undefined, what: string): Effect.Effect<A, Missing> =>
  value === undefined ? Effect.fail(new Missing(`skipped: needs ${what}`)) : Effect.succeed(value)

const indent = (text: string, by = "   ") =>
  text
    .split("\n")
    .map((line) => (line.length === 0 ? line : by + line))
    .join("\n")

const program = (symbol: string, timeZone: string, p: Paint) =>
  Effect.gen(function* () {
    const outcomes: Array<StepOutcome> = []
    let n = 0

    /** Runs one narrated step in its own trace; a failure is printed and recorded, never thrown. */
    const step = <A, E, R>(title: string, body: Effect.Effect<A, E, R>, spanName = `demo: ${title}`) =>
      Effect.gen(function* () {
        n++
        yield* print(`\n${p.bold(p.cyan(`${n}.`))} ${p.bold(title)}\n`)
        const exit = yield* Effect.exit(body.pipe(Effect.withSpan(spanName, { root: true })))
        if (Exit.isSuccess(exit)) {
          outcomes.push({ title, ok: true })
          return exit.value as A | undefined
        }
        if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
        const failure = exit.cause.reasons.find(Cause.isFailReason)?.error
        const message = failure instanceof Missing ? failure.message : describeCause(exit.cause).message
        outcomes.push({ title, ok: false, message })
        yield* print(`${p.red(`   ✗ ${title} failed: ${message}`)}\n`)
        return undefined
      })

    const say = (text: string) => print(`${indent(text)}\n`)

    // 1. The simulator is already listening (it is this program's outer Layer).
    const sim = yield* Simulator.Simulator
    yield* step(
      "Start the Gateway simulator",
      say(
        `${keyValues(
          [
            ["listening on", `${sim.url} (in-process, market always open)`],
            ["log in with", `${Simulator.credentials.userName} / ${Simulator.credentials.apiKey}`]
          ],
          p
        ).trimEnd()}\n${p.dim("Against your firm, the same SDK code needs only PROJECT_X_USERNAME and PROJECT_X_API_KEY.")}`
      )
    )

    yield* step(
      "Log in",
      Effect.gen(function* () {
        const started = performance.now()
        const session = yield* (yield* Auth.Auth).login
        yield* say(
          `Auth/loginKey answered in ${formatDuration(performance.now() - started)}; the session token is valid until ${formatTime(
            session.expiresAt,
            timeZone
          )} and is refreshed through Auth/validate at ${formatTime(session.refreshAt, timeZone)}.`
        )
      })
    )

    yield* step(
      "List the accounts",
      Effect.gen(function* () {
        const accounts = yield* Accounts.Accounts
        const list = yield* accounts.search()
        const selected = yield* accounts.selected
        yield* say(
          `${accountsTable(list, selected.id, p).trimEnd()}\n${p.dim(`* trades go to ${selected.name} (the first that can trade; --account picks another)`)}`
        )
      })
    )

    const contract: Contract | undefined = yield* step(
      `Resolve ${symbol} to its front month`,
      Effect.gen(function* () {
        const c = yield* (yield* Instruments.Instruments).resolve(symbol)
        yield* say(
          `${symbol} → ${p.bold(c.name)} (${c.id}): ${c.description}; tick ${formatPrice(c.tickSize, c.tickSize)} = $${formatMoney(
            c.tickValue
          )}. The active contract wins, not the alphabetically first.`
        )
        return c
      })
    )

    // A fixed range, so the second fetch hits the cache even if a minute boundary passes in between.
    const now = yield* Clock.currentTimeMillis
    const end = new Date(Math.floor(now / 300_000) * 300_000)
    const barsRequest = (c: Contract): MarketData.BarsRequest => ({
      contractId: c.id,
      unit: "minute",
      unitNumber: 5,
      start: new Date(end.getTime() - 5 * DAY_MS),
      end,
      timeZone
    })

    const missMs: number | undefined = yield* step(
      "Fetch five days of 5-minute bars (cache miss)",
      Effect.gen(function* () {
        const c = yield* needs(contract, "the contract from the resolve step")
        const md = yield* MarketData.MarketData
        const plan = yield* md.plan(barsRequest(c))
        yield* say(
          `${plan.chunks.length} History request${plan.chunks.length === 1 ? "" : "s"} planned (at most 20,000 bars each, within the 50 per 30 s bucket)`
        )
        const lines: Array<string> = []
        const started = performance.now()
        const table = yield* md.bars({
          ...barsRequest(c),
          onProgress: (x) => {
            if (!x.fromCache) {
              lines.push(
                `request ${x.requestsDone}/${x.requestsTotal} · ${formatCount(x.bars)} bars · ${x.requestsTotal - x.requestsDone} left`
              )
            }
          }
        })
        const ms = performance.now() - started
        yield* say(p.dim(lines.join("\n")))
        yield* say(
          `${p.bold(formatCount(table.numRows))} bars in ${p.bold(formatDuration(ms))} (cache miss: fetched, merged ascending, stored as Arrow IPC). The last three:`
        )
        const rows =
          table.numRows > 0 ? Array.from({ length: Math.min(3, table.numRows) }, (_, i) => table.numRows - 3 + i) : []
        const tail = rows
          .filter((i) => i >= 0)
          .map((i) => {
            const row = table.get(i)!
            return {
              timestamp: new Date(Number(row.timestamp)),
              open: row.open,
              high: row.high,
              low: row.low,
              close: row.close,
              volume: Number(row.volume)
            }
          })
        yield* say(barsTable(tail, c.tickSize, timeZone, p).trimEnd())
        return ms
      }),
      BARS_SPAN
    )

    yield* step(
      "Fetch the same bars again (cache hit)",
      Effect.gen(function* () {
        const c = yield* needs(contract, "the contract from the resolve step")
        let fromCache = false
        const started = performance.now()
        const table = yield* (yield* MarketData.MarketData).bars({
          ...barsRequest(c),
          onProgress: (x) => {
            fromCache = x.fromCache
          }
        })
        const ms = performance.now() - started
        yield* say(
          `${formatCount(table.numRows)} bars in ${p.bold(formatDuration(ms))} (${fromCache ? "cache hit: no request sent" : p.red("expected a cache hit")}); the miss took ${
            missMs === undefined ? "?" : formatDuration(missMs)
          }${missMs !== undefined && ms > 0 ? ` — ${Math.max(1, Math.round(missMs / ms))}× faster` : ""}.`
        )
        if (!fromCache) return yield* Effect.fail(new Missing("the second fetch was not served from the cache"))
      })
    )

    const placedId: number | undefined = yield* step(
      "Place a bracketed market order",
      Effect.gen(function* () {
        const c = yield* needs(contract, "the contract from the resolve step")
        const orders = yield* Orders.Orders
        yield* say(`Buy 1 ${c.name} at market, stop loss 40 ticks below the fill, take profit 80 ticks above.`)
        const placed = yield* orders.place({
          type: "market",
          contractId: c.id,
          side: "buy",
          size: 1,
          stopLoss: { ticks: -40 },
          takeProfit: { ticks: 80 },
          readBack: true
        })
        const entry = placed.order ?? (yield* orders.byId(placed.orderId))
        const all = yield* orders.search()
        const children = all.filter((o) => o.parentOrderId === placed.orderId)
        yield* say(
          `Order ${placed.orderId} placed with customTag ${placed.customTag} (a lost reply is reconciled by this tag, never resent).`
        )
        yield* say(ordersTable([entry, ...children], new Map([[c.id, c]]), timeZone, p).trimEnd())
        yield* say(
          p.dim(
            `${children.length} bracket child${children.length === 1 ? "" : "ren"}: one fills, the other is cancelled (OCO).`
          )
        )
        return placed.orderId
      }),
      ORDER_SPAN
    )

    yield* step(
      "Show the open positions",
      Effect.gen(function* () {
        const positions = yield* (yield* Positions.Positions).searchOpen()
        const contracts = yield* contractsFor(positions.map((x) => x.contractId))
        yield* say(positionsTable(positions, contracts, timeZone, p).trimEnd())
      })
    )

    yield* step(
      "Close the position and cancel its bracket",
      Effect.gen(function* () {
        const c = yield* needs(contract, "the contract from the resolve step")
        yield* needs(placedId, "the order from the order step")
        const orders = yield* Orders.Orders
        // Position/closeContract leaves the bracket children working (a stray stop would reopen a
        // position); Positions.close cancels them itself and says which.
        const cleanup = yield* (yield* Positions.Positions).close(c.id)
        if (cleanup.bracketsFailed.length > 0 || cleanup.bracketLookupError !== undefined) {
          const errors = [
            ...cleanup.bracketsFailed.map((f) => f.error.message),
            ...(cleanup.bracketLookupError === undefined ? [] : [cleanup.bracketLookupError.message])
          ]
          return yield* Effect.fail(new Missing(errors.join("; ")))
        }
        const children = (yield* orders.search()).filter((o) => o.parentOrderId === placedId)
        const statuses = children.map((o) => `${o.id} ${nameOf(OrderStatus, o.status)}`).join(", ")
        const cancelled = cleanup.bracketsCancelled.map((o) => o.id)
        yield* say(
          `Closed ${c.name} at market (Position/closeContract). Bracket: ${statuses || "none"}${
            cancelled.length > 0
              ? ` (the SDK cancelled ${cancelled.join(", ")}: the Gateway leaves a closed position's bracket working)`
              : ""
          }.`
        )
      })
    )

    yield* step(
      "Show the fills",
      Effect.gen(function* () {
        const trades = yield* (yield* Trades.Trades).search()
        const contracts = yield* contractsFor(trades.map((t) => t.contractId))
        yield* say(tradesTable(trades, contracts, timeZone, p).trimEnd())
        if (trades.length > 0) yield* say(`\n${tradesSummary(Trades.summarize(trades), p).trimEnd()}`)
      })
    )

    yield* step(
      "Health and cache statistics",
      Effect.gen(function* () {
        const report = yield* (yield* Health.Health).check
        yield* say(healthDetails(report, timeZone, p).trimEnd())
      })
    )

    yield* step(
      "Traces",
      Effect.gen(function* () {
        const spans = yield* (yield* SpanRecorder.SpanRecorder).spans
        const roots = spans.filter((s) => s.name === BARS_SPAN || s.name === ORDER_SPAN)
        const traces = new Set(roots.map((s) => s.traceId))
        const picked = spans.filter((s) => traces.has(s.traceId))
        yield* say(
          `${formatCount(spans.length)} spans recorded (SpanRecorder.layerMemory()); the bars miss and the bracketed order:`
        )
        yield* print(
          `\n${Waterfall.render(picked, {
            color: wantsColor(process.stdout),
            nameWidth: 44,
            barWidth: 36,
            attributes: ["http.response.status_code"]
          })}`
        )
        const otlp = yield* Telemetry.otlpSettings(otlpOptions).pipe(Effect.option)
        if (otlp._tag === "Some" && otlp.value.tracesUrl !== undefined) {
          yield* say(
            `The same traces are exported over OTLP to ${otlp.value.tracesUrl} (service "${otlp.value.serviceName}").`
          )
        } else {
          yield* say(p.dim("Set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to send them to Jaeger as well."))
        }
      })
    )
    return outcomes
  })

const run = (symbol: string, timeZone: string | undefined, faults: ReadonlyArray<SimulatorAdmin.FaultRule>) =>
  Effect.gen(function* () {
    const p = stdoutPaint()
    const started = performance.now()
    yield* print(
      `${p.bold("projectx demo")}: the ProjectX SDK end to end against the bundled Gateway simulator. No account or credentials needed.\n`
    )
    const sim = yield* Simulator.Simulator
    const zone = timeZone ?? "America/Chicago"
    const sdk = ProjectX.layer({
      apiUrl: sim.url,
      username: Simulator.credentials.userName,
      apiKey: Simulator.credentials.apiKey,
      timeZone: zone
    })
    // Recorded in memory for the waterfall, and exported too when an OTLP endpoint is configured.
    const telemetry = SpanRecorder.withMemory(telemetryLayer)
    const outcomes = yield* program(symbol, zone, p).pipe(Effect.provide(sdk), Effect.provide(telemetry))
    const failed = outcomes.filter((o) => !o.ok)
    const elapsed = formatDuration(performance.now() - started)
    if (failed.length > 0) {
      yield* print(`\n${p.red(p.bold(`${failed.length} of ${outcomes.length} steps failed`))} (${elapsed}):\n`)
      for (const f of failed) yield* print(`${p.red(`  ✗ ${f.title}: ${f.message}`)}\n`)
      return yield* new Reported({
        code: ExitCode.Failure,
        message: `demo: ${failed.length} step(s) failed: ${failed.map((f) => f.title).join("; ")}`
      })
    }
    yield* print(
      `\n${p.green(p.bold(`All ${outcomes.length} steps passed`))} in ${elapsed}.\n\n` +
        `Next: \`projectx sim\` runs the simulator on its own; \`projectx --help\` lists the commands, which work\n` +
        `the same against your firm once PROJECT_X_USERNAME and PROJECT_X_API_KEY are set.\n`
    )
  }).pipe(Effect.provide(Simulator.layer({ port: 0, tradingHours: "always", faults })))

export const demo = Command.make(
  "demo",
  {
    symbol: Flag.String("symbol").pipe(withShownDefault("The root to trade", "MNQ")),
    // For tests: fault rules for the embedded simulator (JSON, see the simulator's README).
    simFaults: Flag.String("sim-faults").pipe(Flag.withHidden, Flag.optional)
  },
  ({ symbol, simFaults }) =>
    Effect.gen(function* () {
      const zone = Option.getOrUndefined(yield* TimeZone)
      const faults = Option.isSome(simFaults)
        ? yield* Effect.try({
            try: () => JSON.parse(simFaults.value) as ReadonlyArray<SimulatorAdmin.FaultRule>,
            catch: () => new UsageError({ message: "--sim-faults: expected a JSON array of fault rules" })
          })
        : []
      return yield* run(symbol, zone, faults)
    })
).pipe(
  Command.withDescription(
    "Start the simulator in-process and walk through the SDK: login, accounts, front month, bars (cache miss then hit), a bracketed order, positions, fills, health and a waterfall of the recorded traces. Exports the traces over OTLP too when OTEL_EXPORTER_OTLP_ENDPOINT is set."
  ),
  Command.withShortDescription("Run the whole SDK against a built-in simulator (no credentials)")
)
