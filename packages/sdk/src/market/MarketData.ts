/**
 * Historical bars as Arrow tables. The whole range is asked for at once with the Gateway's 20,000 cap;
 * only a full reply (the Gateway truncated) is continued, from just before its oldest bar — so weekends
 * and halts cost no request, the History bucket (50 per 30 s) is spent only on bars. Replies come newest
 * first (a `limit` stops early), are merged ascending without gaps or duplicates, and cached whole in
 * the `BarCache`. Progress is reported per request. Bad parameters fail before any request, and so does a
 * range whose upper bound on requests exceeds `maxRequests` (counted before any window is built, so an
 * absurd range costs nothing), naming how long it would take at the History budget.
 */
import {
  type AggregateBarUnit,
  barUnitCode,
  decodeBarColumns,
  Endpoints,
  scanBarsResponse
} from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import * as BarCacheModule from "./BarCache.ts"
import type * as Bars from "./Bars.ts"
import { type ContractNotFound, Decode, type GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { Instruments } from "./Instruments.ts"
import { barsKit } from "./internal/barsLoader.ts"
import { barsAccessOf } from "./internal/barCacheStore.ts"
import { isValidTimeZone } from "./internal/arrowTimeZone.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { readSpanFast, setAttributes } from "../observability/internal/readSpan.ts"

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
  /**
   * The most Gateway requests this range may take (default `DEFAULT_MAX_REQUESTS`); a larger plan fails
   * with a `ValidationError` giving its count and duration. Raise it to allow a long download.
   */
  readonly maxRequests?: number
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

/** The default cap on one range's requests: 300 take about 3 minutes at 50 per 30 s. */
export const DEFAULT_MAX_REQUESTS = 300

/** The explicit cap's own ceiling: a window list this long is still a few MB. */
const MAX_REQUESTS_CEILING = 1_000_000

/** The largest `limit`: far beyond any range worth fetching, far below what overflows the arithmetic. */
const MAX_LIMIT = 100_000_000

/** The longest bar accepted, in nominal unit lengths (a 12-month bar: 12 × 31 days). */
const MAX_BAR_MS = 372 * 86_400_000

/** What `plan` needs from the settings: defaults, and the History budget for its time estimate. */
export interface PlanDefaults {
  readonly live: boolean
  readonly timeZone: string
  readonly rateLimits?: {
    readonly history: { readonly limit: number; readonly window: Duration.Duration }
  }
}

/** "≈ 2.6 h" for a number of ms. */
const roughly = (ms: number): string =>
  ms >= 3_600_000
    ? `≈ ${(ms / 3_600_000).toFixed(1)} h`
    : ms >= 60_000
      ? `≈ ${Math.ceil(ms / 60_000)} min`
      : `≈ ${Math.ceil(ms / 1000)} s`

const unitCodes: Readonly<Record<string, AggregateBarUnit>> = barUnitCode

/** An upper bound of one bar's span (months as 31 days): bounds how many requests a range can take. */
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
  /**
   * The most requests the range can take: consecutive [start, end] windows of 20,000 bar spans, newest
   * first. Requests follow the bars, not these windows (a reply short of 20,000 ends the range), so a
   * range with closed hours takes fewer; `chunks.length` bounds the count.
   */
  readonly chunks: ReadonlyArray<readonly [number, number]>
}

const invalid = (field: string, allowed: string, got?: unknown) =>
  new ValidationError({
    operation: "MarketData.bars",
    field,
    allowed,
    ...(got === undefined ? {} : { got: typeof got === "string" ? got : String(got) })
  })

/** `plan` without the Effect: the range, or why the request is refused. */
const planRange = (
  request: BarsRequest,
  contractId: string,
  now: number,
  defaults: PlanDefaults
): PlannedRange | ValidationError => {
  if (typeof request !== "object" || request === null) return invalid("request", "{ symbol or contractId, unit, … }")
  const unit = typeof request.unit === "number" ? request.unit : unitCodes[request.unit]
  if (unit === undefined || unitMillis[unit] === undefined) {
    return invalid("unit", "one of second, minute, hour, day, week, month (or 1–6)", request.unit)
  }
  const unitNumber = request.unitNumber ?? 1
  const maxUnits = Math.min(100_000, Math.floor(MAX_BAR_MS / unitMillis[unit]!))
  if (!Number.isInteger(unitNumber) || unitNumber < 1 || unitNumber > maxUnits) {
    return invalid(
      "unitNumber",
      `a whole number from 1 to ${maxUnits} for this unit (bars of at most a year)`,
      unitNumber
    )
  }
  if (
    request.limit !== undefined &&
    (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_LIMIT)
  ) {
    return invalid("limit", `a whole number from 1 to ${MAX_LIMIT}`, request.limit)
  }
  const maxRequests = request.maxRequests ?? DEFAULT_MAX_REQUESTS
  if (!Number.isInteger(maxRequests) || maxRequests < 1 || maxRequests > MAX_REQUESTS_CEILING) {
    return invalid("maxRequests", `a whole number from 1 to ${MAX_REQUESTS_CEILING}`, maxRequests)
  }
  if (request.onProgress !== undefined && typeof request.onProgress !== "function") {
    return invalid("onProgress", "a function", typeof request.onProgress)
  }
  if (
    request.days !== undefined &&
    !(typeof request.days === "number" && request.days > 0 && Number.isFinite(request.days))
  ) {
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
  // Dates run ±8.64e15 ms; `days: 1e9` lands beyond them and is refused here, before any arithmetic on it.
  if (!Number.isFinite(new Date(start).getTime())) {
    return invalid(
      request.days === undefined ? "start" : "days",
      "a range that starts after 271821 BC",
      request.days ?? start
    )
  }
  if (end <= start) {
    return invalid("end", "a time after start", `${new Date(start).toISOString()} → ${new Date(end).toISOString()}`)
  }
  const span = MAX_BARS_PER_REQUEST * barMs
  // Counted before a single window is built: a refused plan allocates nothing.
  const requests = Math.ceil((end - start + 1) / span)
  if (requests > maxRequests) {
    const history = defaults.rateLimits?.history
    const budget =
      history === undefined
        ? { limit: 50, windowMs: 30_000 }
        : { limit: history.limit, windowMs: Duration.toMillis(history.window) }
    const takes = (Math.max(0, requests - budget.limit) / budget.limit) * budget.windowMs
    return invalid(
      "maxRequests",
      `at most ${maxRequests} requests per range: this one needs ${requests} (${roughly(takes)} at ${budget.limit} requests per ${roughly(budget.windowMs).slice(2)}); narrow the range, use a larger unit, or pass maxRequests: ${requests} to allow it`,
      `${requests} requests`
    )
  }
  const chunks: Array<readonly [number, number]> = []
  // The worst case (a bar in every slot): windows inclusive at both ends, each starting 1 ms after the
  // previous one's span, so a window holds at most 20,000 bars.
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
  defaults: PlanDefaults
): Effect.Effect<PlannedRange, ValidationError> =>
  Effect.suspend(() => {
    const range = planRange(request, contractId, now, defaults)
    return range instanceof ValidationError ? Effect.fail(range) : Effect.succeed(range)
  })

/** The oldest timestamp of a reply (the Gateway sends newest first; the scanner may have reversed). */
const oldestOf = (time: Float64Array): number =>
  time.length === 0 ? Number.NaN : Math.min(time[0]!, time[time.length - 1]!)

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
    // This method's span says hit or miss: the cache's own `get` span would only double a hit's cost.
    const access = barsAccessOf.get(cache)
    const cacheGet = access?.get ?? cache.get

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
            // The scanner reads the columns straight from the body's bytes (no 1.8 MB string); anything
            // it does not fully understand (an error envelope, a bad bar) goes through JSON.parse and `decode`.
            decodeBytes: (bytes) => {
              const columns = scanBarsResponse(bytes)
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
        .pipe(
          Effect.flatMap((columns) =>
            // Arrow loads with the first bars (see barsLoader).
            Effect.map(barsKit, ({ tableFromOwnedColumns }) => {
              // Read before the table takes the buffers over (it rewrites the time column in place).
              const rows = columns.time.length
              const oldest = oldestOf(columns.time)
              return { table: tableFromOwnedColumns(columns, range.timeZone), rows, oldest }
            })
          )
        )

    const chunkStream = (range: PlannedRange, onProgress?: (p: BarsProgress) => void) => {
      const span = MAX_BARS_PER_REQUEST * unitMillis[range.unit]! * range.unitNumber
      // At most the windows still ahead of the cursor: a bound that shrinks as replies come in.
      const bound = (done: number, hi: number) => done + Math.max(1, Math.ceil((hi - range.start + 1) / span))
      return Stream.unfold({ hi: range.end, index: 0, bars: 0 }, (cursor) => {
        if (cursor.hi < range.start || (range.limit !== undefined && cursor.bars >= range.limit)) {
          return Effect.succeed(undefined)
        }
        const asked =
          range.limit === undefined ? MAX_BARS_PER_REQUEST : Math.min(MAX_BARS_PER_REQUEST, range.limit - cursor.bars)
        return fetchChunk(range, range.start, cursor.hi, asked).pipe(
          Effect.map(({ table, rows, oldest }) => {
            const bars = cursor.bars + rows
            // A full reply may have been cut: continue from 1 ms before its oldest bar (windows are
            // inclusive at both ends, so no bar is fetched twice). A short reply holds the rest.
            const full = rows === asked && rows > 0 && oldest <= cursor.hi
            const next = full ? oldest - 1 : range.start - 1
            const done = cursor.index + 1
            const more = next >= range.start && (range.limit === undefined || bars < range.limit)
            const total = more ? bound(done, next) : done
            onProgress?.({ requestsDone: done, requestsTotal: total, bars, fromCache: false })
            const chunk: BarsChunk = {
              index: cursor.index,
              total,
              start: new Date(full ? oldest : range.start),
              end: new Date(cursor.hi),
              table
            }
            return [chunk, { hi: next, index: done, bars }] as const
          })
        )
      })
    }

    const fetchRange = (range: PlannedRange, onProgress?: (p: BarsProgress) => void) =>
      Effect.gen(function* () {
        const parts = yield* Stream.runCollect(chunkStream(range, onProgress))
        // One request: its table is already ascending, de-duplicated and in the range's zone, so
        // merging it would only copy it twice (table → columns → table).
        const merged =
          parts.length === 1
            ? parts[0]!.table
            : (yield* barsKit).Bars.merge(
                parts.map((p) => p.table),
                { timeZone: range.timeZone }
              )
        return range.limit !== undefined && merged.numRows > range.limit
          ? merged.slice(merged.numRows - range.limit)
          : merged
      })

    const keyOf = (range: PlannedRange) =>
      BarCacheModule.key({
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
    const rangeAttributes = (range: PlannedRange) => ({
      "projectx.contract_id": range.contractId,
      "projectx.bars.unit": range.unit,
      "projectx.bars.unit_number": range.unitNumber,
      "projectx.bars.max_requests": range.chunks.length
    })
    const outcomeAttributes = (hit: boolean, rows: number, requests: number) => ({
      "projectx.cache.hit": hit,
      "projectx.bars.rows": rows,
      "projectx.bars.requests": requests
    })
    const cached = (request: BarsRequest, table: Bars.BarTable) =>
      request.onProgress?.({ requestsDone: 0, requestsTotal: 0, bars: table.numRows, fromCache: true })

    const fetchOrCached = Effect.fnUntraced(function* (request: BarsRequest) {
      const range = yield* planFor(request)
      yield* Effect.annotateCurrentSpan(rangeAttributes(range))
      let fetched = false
      let requests = 0
      const table = yield* cacheGet(
        keyOf(range),
        Effect.suspend(() => {
          fetched = true
          return fetchRange(range, (p) => {
            requests = p.requestsDone
            request.onProgress?.(p)
          })
        })
      )
      yield* Effect.annotateCurrentSpan(outcomeAttributes(!fetched, table.numRows, requests))
      if (!fetched) cached(request, table)
      return table
    })

    // A request by contract id whose table is held decoded and fresh is answered in one step of the fiber
    // (see `BarsAccess`): one clock read, the plan, the lookup, the span's attributes and the hit's metric, with
    // none of the generators and clock reads of the full path, and without making the span a parent in
    // context (`readSpanFast`). Any other request, and any failure to plan, takes the full path, which plans
    // again and names the error.
    /** The table when the request is by contract id and its table is held decoded and fresh; else undefined. */
    const hotHit = (
      request: BarsRequest,
      span: Tracer.Span,
      fiber: Fiber.Fiber<unknown, unknown>
    ): Bars.BarTable | undefined => {
      if (access === undefined || typeof request !== "object" || request === null) return undefined
      if (typeof request.contractId !== "string") return undefined
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      const range = planRange(request, request.contractId, now, config)
      if (range instanceof ValidationError) return undefined
      const table = access.hotTable(keyOf(range).id, now, fiber.context)
      if (table === undefined) return undefined
      setAttributes(span, rangeAttributes(range))
      setAttributes(span, outcomeAttributes(true, table.numRows, 0))
      cached(request, table)
      return table
    }

    const bars = (request: BarsRequest) =>
      readSpanFast(
        "MarketData.bars",
        (span, fiber) => hotHit(request, span, fiber),
        () => fetchOrCached(request)
      )

    return MarketData.of({
      bars,
      chunks: (request) =>
        Stream.unwrap(Effect.map(planFor(request), (range) => chunkStream(range, request.onProgress))),
      plan: Effect.fn("MarketData.plan")(planFor)
    })
  })

  static readonly layer = Layer.effect(MarketData, MarketData.make)
}
