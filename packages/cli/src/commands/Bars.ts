/**
 * `projectx bars <symbol>`: historical bars as a table, JSON, a Parquet or Arrow IPC file, or CSV. A range that
 * needs more than one Gateway request shows a progress bar on stderr (TTY only); the summary line
 * goes to stderr too, so stdout stays clean for pipes. A range above the SDK's request cap shows its
 * estimate and runs only with `--yes`.
 */
import { barUnitCode, barUnitNames, maxUnitNumber } from "@projectx-effect/gateway"
import { Bars, Instruments, MarketData, ProjectXConfig, RateLimiter } from "@projectx-effect/sdk"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { checkDestination, encode, formatNames, type OutFormat } from "../DataFiles.ts"
import { UsageError } from "../Failure.ts"
import {
  formatCount,
  formatDuration,
  formatTime,
  note,
  type Progress,
  print,
  printJson,
  progressBar,
  stderrPaint,
  stdoutPaint,
  waitText
} from "../Output.ts"
import { Json, withSdk, withShownDefault } from "../Settings.ts"
import { parseInstant } from "../Time.ts"
import { barsJson, barsTable } from "../Views.ts"

const units = barUnitNames
type Unit = (typeof units)[number]

const unitCode: Readonly<Record<Unit, number>> = barUnitCode

/** `--every` within the Gateway's range for the unit (a bar of at most ~10 years), checked before any request. */
export const checkEvery = (unit: Unit, every: number): UsageError | undefined => {
  const max = maxUnitNumber[unitCode[unit]] ?? 1
  return every >= 1 && every <= max
    ? undefined
    : new UsageError({
        message: `--every ${every} is out of range for --unit ${unit}`,
        hint: `use 1 to ${formatCount(max)} ${unit}s per bar`
      })
}

/** A `--start`/`--end` value: ISO-8601, read in the display zone when it has no offset. */
const instantFlag = (flag: string, text: string, zone: string): Effect.Effect<number, UsageError> => {
  const ms = parseInstant(text, zone)
  return ms !== undefined
    ? Effect.succeed(ms)
    : Effect.fail(
        new UsageError({
          message: `--${flag} ${JSON.stringify(text)} is not a date`,
          hint: `use ISO-8601: 2025-11-19 (midnight in ${zone}), 2025-11-19T09:30 (in ${zone}) or 2025-11-19T15:30:00Z`
        })
      )
}

/** The range flags as instants, refused here (naming the right flag) when they cannot make a range. */
export const checkRange = (
  start: number | undefined,
  end: number | undefined,
  now: number,
  zone: string
): UsageError | undefined => {
  const shown = (ms: number) => `${formatTime(ms, zone)} ${zone}`
  if (start !== undefined && start >= now) {
    return new UsageError({
      message: `--start is in the future (${shown(start)})`,
      hint: "give a --start in the past, or --days N for the last N days"
    })
  }
  if (start !== undefined && end !== undefined && start >= end) {
    return new UsageError({
      message: `--start (${shown(start)}) is not before --end (${shown(end)})`,
      hint: "swap them, or move --end later"
    })
  }
  return undefined
}

/**
 * Says on the progress bar when the history bucket holds the next request back, and for how long, so a
 * bar that stops for 20 s does not look hung. Polls the limiter's state once a second.
 */
const watchLimiter = (progress: Progress) =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter.RateLimiter
    const check = Effect.gen(function* () {
      const state = yield* limiter.state("history")
      const waitMs = DateTime.toEpochMillis(state.nextAvailableAt) - (yield* Clock.currentTimeMillis)
      progress.waiting(
        state.queued > 0 && waitMs >= 1000
          ? waitText(waitMs, "history", state.limit, Duration.toMillis(state.window))
          : undefined
      )
    })
    return yield* Effect.repeat(check, Schedule.spaced("1 second"))
  })

export const bars = Command.make(
  "bars",
  {
    symbol: Argument.String("symbol").pipe(
      Argument.withDescription("A root (MNQ, NQ, ES), a contract name (MNQZ5) or a contract id")
    ),
    unit: Flag.Literals("unit", units).pipe(withShownDefault("Bar unit", "minute")),
    every: Flag.Int("every").pipe(withShownDefault("Units per bar: --unit minute --every 5 gives 5-minute bars", 1)),
    days: Flag.Finite("days").pipe(
      Flag.withDescription("How many days back from --end (default 1 when --start is not given)"),
      Flag.optional
    ),
    start: Flag.String("start").pipe(
      Flag.withDescription(
        "Range start, ISO-8601; without an offset it is read in --tz (2025-11-17 is midnight there)"
      ),
      Flag.withMetavar("time"),
      Flag.optional
    ),
    end: Flag.String("end").pipe(
      Flag.withDescription("Range end, ISO-8601, read like --start (default: now)"),
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
      Flag.withDescription("Write to a file: .parquet, .arrow (Arrow IPC file) or .csv (timestamps in UTC)"),
      Flag.withMetavar("file"),
      Flag.optional
    )
  },
  (input) =>
    withSdk(
      Effect.gen(function* () {
        const json = yield* Json
        const zone = (yield* ProjectXConfig.ProjectXConfig).timeZone
        const everyError = checkEvery(input.unit, input.every)
        if (everyError !== undefined) return yield* everyError
        const start = Option.isSome(input.start) ? yield* instantFlag("start", input.start.value, zone) : undefined
        const end = Option.isSome(input.end) ? yield* instantFlag("end", input.end.value, zone) : undefined
        const rangeError = checkRange(start, end, yield* Clock.currentTimeMillis, zone)
        if (rangeError !== undefined) return yield* rangeError
        const days = Option.getOrUndefined(input.days) ?? (start === undefined ? 1 : undefined)
        const format: OutFormat | undefined = Option.isSome(input.out)
          ? yield* checkDestination(input.out.value)
          : undefined
        let request: MarketData.BarsRequest = {
          symbol: input.symbol,
          unit: input.unit,
          unitNumber: input.every,
          includePartialBar: input.partial,
          ...(start === undefined ? {} : { start: new Date(start) }),
          ...(end === undefined ? {} : { end: new Date(end) }),
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
        const watcher = progress === undefined ? undefined : yield* Effect.forkChild(watchLimiter(progress))
        const table = yield* md
          .bars({
            ...request,
            onProgress: (p) => {
              if (!p.fromCache) progress?.update(p.requestsDone, p.requestsTotal, p.bars)
            }
          })
          .pipe(
            Effect.ensuring(
              Effect.andThen(
                watcher === undefined ? Effect.void : Fiber.interrupt(watcher),
                Effect.sync(() => progress?.done())
              )
            )
          )
        const elapsed = performance.now() - started
        const tableZone = Bars.timeZone(table)
        const summary = `${formatCount(table.numRows)} bars · ${contract.name} · ${input.every} ${input.unit} · ${formatTime(
          plan.start,
          tableZone
        )} → ${formatTime(plan.end, tableZone)} (${tableZone}) · ${plan.chunks.length} request${plan.chunks.length === 1 ? "" : "s"} · ${formatDuration(elapsed)}`

        if (Option.isSome(input.out) && format !== undefined) {
          const path = input.out.value
          const fs = yield* FileSystem.FileSystem
          const bytes = encode(table, format)
          yield* fs.writeFile(path, bytes)
          if (json) {
            return yield* printJson({
              file: path,
              format: format === "arrow" ? "arrow-ipc-file" : format,
              rows: table.numRows,
              bytes: bytes.byteLength,
              contractId: contract.id,
              timeZone: tableZone,
              start: new Date(plan.start),
              end: new Date(plan.end)
            })
          }
          yield* print(
            `Wrote ${formatCount(table.numRows)} bars to ${path} (${formatNames[format]}, ${formatCount(bytes.byteLength)} bytes)\n`
          )
          return yield* note(stderrPaint().dim(summary))
        }
        const rows = Bars.toRows(table)
        if (json) return yield* printJson(barsJson(rows, tableZone))
        yield* print(barsTable(rows, contract.tickSize, tableZone, stdoutPaint()))
        yield* note(stderrPaint().dim(summary))
      })
    )
).pipe(
  Command.withDescription(
    "Historical bars for a symbol. Give --days, or --start [--end]. Ranges beyond 20,000 bars are split into several requests (with a progress bar on a terminal)."
  ),
  Command.withShortDescription("Download historical bars (table, JSON, Parquet, Arrow, CSV)"),
  Command.withExamples([
    { command: "projectx bars MNQ --unit minute --every 5 --days 5", description: "five days of 5-minute bars" },
    {
      command: "projectx bars ES --unit hour --start 2025-01-01 --end 2025-06-30 --out es.parquet",
      description: "a Parquet file for DuckDB, pandas, Polars or Spark"
    },
    { command: "projectx bars MES --days 5 --out mes.arrow", description: "an Arrow IPC file" },
    { command: "projectx bars NQ --unit day --days 365 --out nq.csv", description: "a year of daily bars as CSV" }
  ])
)
