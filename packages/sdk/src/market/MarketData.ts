/**
 * Historical bars as Arrow tables. A request for more bars than the Gateway returns at once (20,000), or
 * a range it would truncate, is split into consecutive requests within the History bucket, fetched
 * newest first (so a `limit` stops early), merged ascending without gaps or duplicates, and cached
 * whole in the `BarCache`. Progress is reported per request. Bad parameters fail before any request.
 */
import { AggregateBarUnit, decodeBarColumns, Endpoints, scanBarsResponse } from "@projectx-effect/gateway"
import { Clock, Context, Effect, Layer, Stream } from "effect"
import * as BarCacheModule from "./BarCache.ts"
import * as Bars from "./Bars.ts"
import { type ContractNotFound, Decode, type GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { Instruments } from "./Instruments.ts"
import { tableFromOwnedColumns } from "./internal/arrowOwned.ts"
import { isValidTimeZone } from "./internal/arrowTimeZone.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"

/** Bar units by name, or the Gateway's integer (1 Second … 6 Month). */
export type BarUnit = "second" | "minute" | "hour" | "day" | "week" | "month" | 1 | 2 | 3 | 4 | 5 | 6

export interface BarsRequest {
  /** A root (`MNQ`, `NQ`, `ES`), a contract name (`MNQZ5`) or a contract id; or give `contractId`. */
  readonly symbol?: string
  readonly contractId?: string
  readonly unit: BarUnit
  /** Bars of N units (5-minute bars: unit "minute", unitNumber 5). Default 1. */
  readonly unitNumber?: number
  /** Range start; or give `days` back from `end`. */
  readonly start?: Date
  /** Range end; default now (rounded down to the bar size, so repeated calls share the cache). */
  readonly end?: Date
  readonly days?: number
  /** At most this many bars: the most recent ones in the range. Default: every bar in the range. */
  readonly limit?: number
  readonly includePartialBar?: boolean
  /** Live (true) or sim (false) data subscription; default from the config. */
  readonly live?: boolean
  /** IANA zone of the table's timestamps; default from the config (America/Chicago). */
  readonly timeZone?: string
  /** Called after each Gateway request of a split range. */
  readonly onProgress?: (progress: BarsProgress) => void
}

export interface BarsProgress {
  readonly requestsDone: number
  readonly requestsTotal: number
  readonly bars: number
  readonly fromCache: boolean
}

/** One Gateway request's share of a range (for `chunks`). */
export interface BarsChunk {
  readonly index: number
  readonly total: number
  readonly start: Date
  readonly end: Date
  readonly table: Bars.BarTable
}

/** The Gateway's maximum bars per request. */
export const MAX_BARS_PER_REQUEST = 20_000

const unitCodes: Record<string, AggregateBarUnit> = {
  second: AggregateBarUnit.Second,
  minute: AggregateBarUnit.Minute,
  hour: AggregateBarUnit.Hour,
  day: AggregateBarUnit.Day,
  week: AggregateBarUnit.Week,
  month: AggregateBarUnit.Month
}

/** An upper bound of one bar's span (months as 31 days), so a chunk can never hold more than 20,000 bars. */
const unitMillis: Record<number, number> = {
  1: 1_000,
  2: 60_000,
  3: 3_600_000,
  4: 86_400_000,
  5: 7 * 86_400_000,
  6: 31 * 86_400_000
}

export interface PlannedRange {
  readonly contractId: string
  readonly unit: AggregateBarUnit
  readonly unitNumber: number
  readonly start: number
  readonly end: number
  readonly limit: number | undefined
  readonly includePartialBar: boolean
  readonly live: boolean
  readonly timeZone: string
  /** Consecutive [start, end] windows, newest first. */
  readonly chunks: ReadonlyArray<readonly [number, number]>
}

const invalid = (field: string, allowed: string, got?: unknown) =>
  new ValidationError({
    operation: "MarketData.bars",
    field,
    allowed,
    ...(got === undefined ? {} : { got: typeof got === "string" ? got : JSON.stringify(got) })
  })

/** `plan` without the Effect: the range, or why the request is refused. */
const planRange = (
  request: BarsRequest,
  contractId: string,
  now: number,
  defaults: { readonly live: boolean; readonly timeZone: string }
): PlannedRange | ValidationError => {
  const unit = typeof request.unit === "number" ? request.unit : unitCodes[request.unit]
  if (unit === undefined || unitMillis[unit] === undefined) {
    return invalid("unit", "one of second, minute, hour, day, week, month (or 1–6)", request.unit)
  }
  const unitNumber = request.unitNumber ?? 1
  if (!Number.isInteger(unitNumber) || unitNumber < 1 || unitNumber > 100_000) {
    return invalid("unitNumber", "a whole number from 1 to 100000", unitNumber)
  }
  if (request.limit !== undefined && (!Number.isInteger(request.limit) || request.limit < 1)) {
    return invalid("limit", "a whole number ≥ 1", request.limit)
  }
  if (request.days !== undefined && !(request.days > 0 && Number.isFinite(request.days))) {
    return invalid("days", "a number of days > 0", request.days)
  }
  if (request.days !== undefined && request.start !== undefined) {
    return invalid("days", "either start or days, not both")
  }
  const timeZone = request.timeZone ?? defaults.timeZone
  if (!isValidTimeZone(timeZone)) return invalid("timeZone", "an IANA time zone", timeZone)
  const barMs = unitMillis[unit]! * unitNumber
  for (const [field, date] of [
    ["start", request.start],
    ["end", request.end]
  ] as const) {
    if (date !== undefined && !(date instanceof Date && Number.isFinite(date.getTime()))) {
      return invalid(field, "a valid Date", String(date))
    }
  }
  // "Now" rounded down to the bar size (whole minutes for day bars and up): repeated calls share a key.
  const grain = Math.min(barMs, 60_000)
  const end = request.end?.getTime() ?? Math.floor(now / grain) * grain
  const start = request.start?.getTime() ?? (request.days === undefined ? undefined : end - request.days * 86_400_000)
  if (start === undefined) return invalid("start", "a start date or a number of days")
  if (end <= start) {
    return invalid("end", "a time after start", `${new Date(start).toISOString()} → ${new Date(end).toISOString()}`)
  }
  const span = MAX_BARS_PER_REQUEST * barMs
  const chunks: Array<readonly [number, number]> = []
  // Windows are inclusive at both ends on the Gateway, so each starts 1 ms after the previous one's
  // span: a window then holds at most 20,000 bars and nothing is truncated or fetched twice.
  for (let hi = end; hi >= start; hi -= span) chunks.push([Math.max(start, hi - span + 1), hi])
  return {
    contractId,
    unit,
    unitNumber,
    start,
    end,
    limit: request.limit,
    includePartialBar: request.includePartialBar ?? false,
    live: request.live ?? defaults.live,
    timeZone,
    chunks
  }
}

/** Checks a request and splits its range; pure, so it is tested without a Gateway. */
export const plan = (
  request: BarsRequest,
  contractId: string,
  now: number,
  defaults: { readonly live: boolean; readonly timeZone: string }
): Effect.Effect<PlannedRange, ValidationError> =>
  Effect.suspend(() => {
    const range = planRange(request, contractId, now, defaults)
    return range instanceof ValidationError ? Effect.fail(range) : Effect.succeed(range)
  })

export class MarketData extends Context.Service<
  MarketData,
  {
    /** Bars for a symbol or contract as one ascending Arrow table (cached). */
    readonly bars: (
      request: BarsRequest
    ) => Effect.Effect<Bars.BarTable, GatewayError | ValidationError | ContractNotFound>
    /** The same range as a Stream of per-request chunks, newest first (not cached). */
    readonly chunks: (
      request: BarsRequest
    ) => Stream.Stream<BarsChunk, GatewayError | ValidationError | ContractNotFound>
    /** Checks a request and returns how it would be split, without any request. */
    readonly plan: (
      request: BarsRequest
    ) => Effect.Effect<PlannedRange, GatewayError | ValidationError | ContractNotFound>
  }
>()("@projectx-effect/sdk/MarketData") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ProjectXConfig
    const client = yield* GatewayClient
    const instruments = yield* Instruments
    const cache = yield* BarCacheModule.BarCache

    const contractOf = (request: BarsRequest) =>
      request.contractId !== undefined
        ? Effect.succeed(request.contractId)
        : request.symbol !== undefined
          ? Effect.map(instruments.resolve(request.symbol), (c) => c.id)
          : Effect.fail(invalid("symbol", "a symbol or a contractId"))

    const planFor = Effect.fnUntraced(function* (request: BarsRequest) {
      // Validate what needs no Gateway first: a bad request must not even resolve its symbol.
      const now = yield* Clock.currentTimeMillis
      const checked = planRange(request, "", now, config)
      if (checked instanceof ValidationError) return yield* Effect.fail(checked)
      const contractId = yield* contractOf(request)
      // The range depends on the contract only by its id, and on the clock only through `now`: plan
      // again only when resolving the symbol let the clock move.
      const later = yield* Clock.currentTimeMillis
      const range = later === now ? { ...checked, contractId } : planRange(request, contractId, later, config)
      return range instanceof ValidationError ? yield* Effect.fail(range) : range
    })

    const fetchChunk = (range: PlannedRange, from: number, to: number, limit: number) =>
      client
        .call(
          Endpoints.retrieveBars,
          {
            contractId: range.contractId,
            live: range.live,
            startTime: new Date(from),
            endTime: new Date(to),
            unit: range.unit,
            unitNumber: range.unitNumber,
            limit,
            includePartialBar: range.includePartialBar
          },
          {
            // The scanner reads the columns straight from the text; anything it does not fully
            // understand (an error envelope, a bad bar) goes through JSON.parse and `decode`.
            decodeText: (text) => {
              const columns = scanBarsResponse(text)
              return columns === undefined ? undefined : Effect.succeed(columns)
            },
            decode: (json) => {
              const result = decodeBarColumns((json as { bars?: unknown }).bars)
              return result._tag === "Success"
                ? Effect.succeed(result.columns)
                : Effect.fail(
                    Decode.make({
                      path: result.issue.path.map((p) => `[${JSON.stringify(p)}]`).join(""),
                      issue: result.issue.message
                    })
                  )
            }
          }
        )
        // The decoded columns are ours alone: build the table in their buffers instead of copying.
        .pipe(Effect.map((columns) => tableFromOwnedColumns(columns, range.timeZone)))

    const chunkStream = (range: PlannedRange, onProgress?: (p: BarsProgress) => void) => {
      let bars = 0
      const total = range.chunks.length
      return Stream.fromIterable(range.chunks.map((window, index) => ({ window, index }))).pipe(
        Stream.mapEffect(({ window: [from, to], index }) => {
          const remaining =
            range.limit === undefined ? MAX_BARS_PER_REQUEST : Math.min(MAX_BARS_PER_REQUEST, range.limit - bars)
          return fetchChunk(range, from, to, remaining).pipe(
            Effect.map((table): BarsChunk => {
              bars += table.numRows
              onProgress?.({ requestsDone: index + 1, requestsTotal: total, bars, fromCache: false })
              return { index, total, start: new Date(from), end: new Date(to), table }
            })
          )
        }),
        // Newest first: once `limit` bars are in, older windows are not requested at all.
        Stream.takeUntil(() => range.limit !== undefined && bars >= range.limit)
      )
    }

    const fetchRange = (range: PlannedRange, onProgress?: (p: BarsProgress) => void) =>
      Effect.gen(function* () {
        const parts = yield* Stream.runCollect(chunkStream(range, onProgress))
        // One request: its table is already ascending, de-duplicated and in the range's zone, so
        // merging it would only copy it twice (table → columns → table).
        const merged =
          parts.length === 1
            ? parts[0]!.table
            : Bars.merge(
                parts.map((p) => p.table),
                { timeZone: range.timeZone }
              )
        return range.limit !== undefined && merged.numRows > range.limit
          ? merged.slice(merged.numRows - range.limit)
          : merged
      })

    const bars = Effect.fn("MarketData.bars")(function* (request: BarsRequest) {
      const range = yield* planFor(request)
      yield* Effect.annotateCurrentSpan({
        "projectx.contract_id": range.contractId,
        "projectx.bars.unit": range.unit,
        "projectx.bars.unit_number": range.unitNumber,
        "projectx.bars.requests": range.chunks.length
      })
      const key = BarCacheModule.key({
        contractId: range.contractId,
        unit: range.unit,
        unitNumber: range.unitNumber,
        start: range.start,
        end: range.end,
        limit: range.limit ?? 0,
        includePartialBar: range.includePartialBar,
        live: range.live,
        timeZone: range.timeZone
      })
      let fetched = false
      const table = yield* cache.get(
        key,
        Effect.suspend(() => {
          fetched = true
          return fetchRange(range, request.onProgress)
        })
      )
      yield* Effect.annotateCurrentSpan({ "projectx.cache.hit": !fetched, "projectx.bars.rows": table.numRows })
      if (!fetched) {
        request.onProgress?.({ requestsDone: 0, requestsTotal: 0, bars: table.numRows, fromCache: true })
      }
      return table
    })

    return MarketData.of({
      bars,
      chunks: (request) =>
        Stream.unwrap(Effect.map(planFor(request), (range) => chunkStream(range, request.onProgress))),
      plan: Effect.fn("MarketData.plan")(planFor)
    })
  })

  static readonly layer = Layer.effect(MarketData, MarketData.make)
}
