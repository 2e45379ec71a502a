/**
 * `projectx bars <symbol>`: historical bars as a table, JSON, an Arrow IPC file or CSV. A range that
 * needs more than one Gateway request shows a progress bar on stderr (TTY only); the summary line
 * goes to stderr too, so stdout stays clean for pipes. A range above the SDK's request cap shows its
 * estimate and runs only with `--yes`.
 */
import { Bars, Instruments, MarketData } from "@projectx-effect/sdk"
import { Effect, FileSystem, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { UsageError } from "../Failure.ts"
import {
  formatCount,
  formatDuration,
  formatTime,
  note,
  print,
  printJson,
  progressBar,
  stderrPaint,
  stdoutPaint
} from "../Output.ts"
import { Json, withSdk } from "../Settings.ts"
import { barsJson, barsTable } from "../Views.ts"

const units = ["second", "minute", "hour", "day", "week", "month"] as const

/** An ISO-8601 instant or date ("2025-11-19", "2025-11-19T14:30:00Z"); a bare date is midnight UTC. */
export const parseInstant = (flag: string, text: string): Effect.Effect<Date, UsageError> => {
  const ms = Date.parse(text)
  return Number.isFinite(ms)
    ? Effect.succeed(new Date(ms))
    : Effect.fail(
        new UsageError({
          message: `--${flag} ${JSON.stringify(text)} is not a date`,
          hint: "use ISO-8601, e.g. 2025-11-19 or 2025-11-19T14:30:00Z"
        })
      )
}

type OutFormat = "arrow" | "csv"

const outFormat = (path: string): Effect.Effect<OutFormat, UsageError> => {
  const lower = path.toLowerCase()
  if (/\.(arrow|feather|ipc)$/.test(lower)) return Effect.succeed("arrow")
  if (lower.endsWith(".csv")) return Effect.succeed("csv")
  return Effect.fail(
    new UsageError({
      message: `--out ${path}: unknown file type`,
      hint: "end the name in .arrow (Arrow IPC file, for Polars, pandas, DuckDB) or .csv"
    })
  )
}

export const bars = Command.make(
  "bars",
  {
    symbol: Argument.String("symbol").pipe(
      Argument.withDescription("A root (MNQ, NQ, ES), a contract name (MNQZ5) or a contract id")
    ),
    unit: Flag.Literals("unit", units).pipe(Flag.withDescription("Bar unit"), Flag.withDefault("minute" as const)),
    every: Flag.Int("every").pipe(
      Flag.withDescription("Units per bar: --unit minute --every 5 gives 5-minute bars"),
      Flag.withDefault(1)
    ),
    days: Flag.Finite("days").pipe(
      Flag.withDescription("How many days back from --end (default 1 when --start is not given)"),
      Flag.optional
    ),
    start: Flag.String("start").pipe(
      Flag.withDescription("Range start, ISO-8601"),
      Flag.withMetavar("time"),
      Flag.optional
    ),
    end: Flag.String("end").pipe(
      Flag.withDescription("Range end, ISO-8601 (default: now)"),
      Flag.withMetavar("time"),
      Flag.optional
    ),
    limit: Flag.Int("limit").pipe(Flag.withDescription("At most this many bars (the latest)"), Flag.optional),
    partial: Flag.Boolean("partial").pipe(
      Flag.withDescription("Include the bar still forming"),
      Flag.withDefault(false)
    ),
    yes: Flag.Boolean("yes").pipe(
      Flag.withDescription("Download a range that needs more requests than the SDK's cap (it says how long)"),
      Flag.withDefault(false)
    ),
    out: Flag.String("out").pipe(
      Flag.withDescription("Write to a file: .arrow (Arrow IPC file) or .csv"),
      Flag.withMetavar("file"),
      Flag.optional
    )
  },
  (input) =>
    withSdk(
      Effect.gen(function* () {
        const json = yield* Json
        const start = Option.isSome(input.start) ? yield* parseInstant("start", input.start.value) : undefined
        const end = Option.isSome(input.end) ? yield* parseInstant("end", input.end.value) : undefined
        const days = Option.getOrUndefined(input.days) ?? (start === undefined ? 1 : undefined)
        const format = Option.isSome(input.out) ? yield* outFormat(input.out.value) : undefined
        let request: MarketData.BarsRequest = {
          symbol: input.symbol,
          unit: input.unit,
          unitNumber: input.every,
          includePartialBar: input.partial,
          ...(start === undefined ? {} : { start }),
          ...(end === undefined ? {} : { end }),
          ...(days === undefined ? {} : { days }),
          ...(Option.isSome(input.limit) ? { limit: input.limit.value } : {})
        }
        const md = yield* MarketData.MarketData
        // Above the cap the SDK refuses with the count and the time it would take: show that, and go on
        // only when told to.
        const capped = yield* Effect.result(md.plan(request))
        if (
          capped._tag === "Failure" &&
          capped.failure._tag === "ValidationError" &&
          capped.failure.field === "maxRequests"
        ) {
          if (!input.yes) {
            return yield* new UsageError({ message: capped.failure.message, hint: "add --yes to download it anyway" })
          }
          yield* note(`bars: ${capped.failure.allowed.split(";")[0]}; going ahead (--yes)`)
          request = { ...request, maxRequests: 1_000_000 }
        }
        const plan = yield* md.plan(request)
        const contract = yield* (yield* Instruments.Instruments).resolve(input.symbol)
        const progress = plan.chunks.length > 1 ? progressBar("bars") : undefined
        progress?.update(0, plan.chunks.length, 0)
        const started = performance.now()
        const table = yield* md
          .bars({
            ...request,
            onProgress: (p) => {
              if (!p.fromCache) progress?.update(p.requestsDone, p.requestsTotal, p.bars)
            }
          })
          .pipe(Effect.ensuring(Effect.sync(() => progress?.done())))
        const elapsed = performance.now() - started
        const zone = Bars.timeZone(table)
        const summary = `${formatCount(table.numRows)} bars · ${contract.name} · ${input.every} ${input.unit} · ${formatTime(
          plan.start,
          zone
        )} → ${formatTime(plan.end, zone)} (${zone}) · ${plan.chunks.length} request${plan.chunks.length === 1 ? "" : "s"} · ${formatDuration(elapsed)}`

        if (Option.isSome(input.out) && format !== undefined) {
          const path = input.out.value
          const fs = yield* FileSystem.FileSystem
          const bytes =
            format === "arrow" ? Bars.toIPC(table, { format: "file" }) : new TextEncoder().encode(Bars.toCsv(table))
          yield* fs.writeFile(path, bytes)
          if (json) {
            return yield* printJson({
              file: path,
              format: format === "arrow" ? "arrow-ipc-file" : "csv",
              rows: table.numRows,
              bytes: bytes.byteLength,
              contractId: contract.id,
              timeZone: zone,
              start: new Date(plan.start),
              end: new Date(plan.end)
            })
          }
          yield* print(
            `Wrote ${formatCount(table.numRows)} bars to ${path} (${format === "arrow" ? "Arrow IPC file" : "CSV"}, ${formatCount(bytes.byteLength)} bytes)\n`
          )
          return yield* note(stderrPaint().dim(summary))
        }
        const rows = Bars.toRows(table)
        if (json) return yield* printJson(barsJson(rows, zone))
        yield* print(barsTable(rows, contract.tickSize, zone, stdoutPaint()))
        yield* note(stderrPaint().dim(summary))
      })
    )
).pipe(
  Command.withDescription(
    "Historical bars for a symbol. Give --days, or --start [--end]. Ranges beyond 20,000 bars are split into several requests (with a progress bar on a terminal)."
  ),
  Command.withShortDescription("Download historical bars (table, JSON, Arrow, CSV)"),
  Command.withExamples([
    { command: "projectx bars MNQ --unit minute --every 5 --days 5", description: "five days of 5-minute bars" },
    {
      command: "projectx bars ES --unit hour --start 2025-01-01 --end 2025-06-30 --out es.arrow",
      description: "an Arrow file for Polars, pandas or DuckDB"
    },
    { command: "projectx bars NQ --unit day --days 365 --out nq.csv", description: "a year of daily bars as CSV" }
  ])
)
