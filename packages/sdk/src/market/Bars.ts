/**
 * Bars as Apache Arrow tables: ascending by time, one row per timestamp, the IANA time zone carried
 * in the timestamp type; plus IPC bytes, plain rows and CSV for callers outside Arrow. The sort,
 * de-duplication and Int64 packing are hand-written because Arrow JS has no compute kernels (no
 * sort, no unique) and its builders box every value; one pass over typed arrays turns 20,000
 * newest-first bars into a table in ~0.35 ms (bench/cache-formats.ts).
 *
 * @since 0.1.0
 */
import type * as Gateway from "@projectx-effect/gateway"
import { allocBarColumns } from "@projectx-effect/gateway/BarsWire"
// Arrow by subpath, not through its barrel (which loads every builder, reader, writer and stream adapter):
// the same module files the barrel re-exports, so a table here is `instanceof` the application's own
// `import { Table } from "apache-arrow"`.
import { makeData } from "apache-arrow/data"
import { TimeUnit, Type } from "apache-arrow/enum"
import { CompressionType } from "apache-arrow/fb/compression-type"
import { tableFromIPC, tableToIPC } from "apache-arrow/ipc/serialization"
import { RecordBatch } from "apache-arrow/recordbatch"
import { Field, Schema } from "apache-arrow/schema"
import { Table } from "apache-arrow/table"
import { Float64, Int64, Struct, TimestampMillisecond } from "apache-arrow/type"
import * as Data from "effect/Data"
import { ensureArrowCodecs } from "./internal/arrowCompression.ts"
import { copyRow, descendingOrder, mergeRuns, monotonic, sortedUniqueOrder } from "./internal/barsOrder.ts"
import { allocInt64, int64ToNumbers, sealInt64, setInt64 } from "./internal/arrowInt64.ts"
import {
  DEFAULT_TIME_ZONE as defaultTimeZone,
  formatIsoWithOffset,
  isValidTimeZone,
  makeOffsetLookup
} from "./internal/arrowTimeZone.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * A batch of bars as parallel columns, in any order (the Gateway sends newest first). `time` is
 * epoch milliseconds UTC; `volume` is a contract count.
 *
 * @since 0.1.0
 */
export type BarColumns = Gateway.BarColumns

/**
 * The Arrow schema of a bar table.
 *
 * - `timestamp` is `Timestamp(MILLISECOND, <zone>)`: the Gateway's bar times are whole seconds,
 *   JavaScript's `Date` and Effect's `Clock` are milliseconds, and Arrow JS returns millisecond
 *   timestamps as plain numbers (micro/nanosecond reads divide BigInts per value). pyarrow and
 *   polars read it as-is and cast to µs when asked.
 * - `volume` is `Int64`: volumes are integer contract counts, it is the dtype project-x-py and
 *   pandas/polars users expect, and it cannot silently carry a fractional value. It is written and
 *   read through 32-bit halves, so it costs no BigInt per row.
 *
 * @since 0.1.0
 */
export type BarSchema = {
  timestamp: TimestampMillisecond
  open: Float64
  high: Float64
  low: Float64
  close: Float64
  volume: Int64
}

/**
 * An Arrow table of bars (see {@link BarSchema}): ascending by `timestamp`, no duplicate timestamps.
 *
 * @since 0.1.0
 */
export type BarTable = Table<BarSchema>

/**
 * One bar as a plain object, for code that does not use Arrow.
 *
 * @since 0.1.0
 */
export interface Bar {
  readonly timestamp: Date
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
}

/**
 * @since 0.1.0
 */
export interface BarTableOptions {
  /** IANA zone stored in the timestamp type. Default {@link DEFAULT_TIME_ZONE}. */
  readonly timeZone?: string | undefined
}

/**
 * The CME's zone, which is also project-x-py's default.
 *
 * @since 0.1.0
 */
export const DEFAULT_TIME_ZONE: string = defaultTimeZone

/**
 * Bad input to a bar conversion. These functions are synchronous and throw it; wrap them in
 * `Effect.try` when an Effect is wanted.
 *
 * @since 0.1.0
 */
export class BarsError extends Data.TaggedError("BarsError")<{
  readonly reason: "InvalidTimeZone" | "InvalidColumns" | "InvalidIPC" | "SchemaMismatch"
  readonly message: string
  readonly cause?: unknown
}> {}

// -----------------------------------------------------------------------------
// Schema
// -----------------------------------------------------------------------------

const COLUMN_NAMES = ["timestamp", "open", "high", "low", "close", "volume"] as const

const schemas = new Map<string, Schema<BarSchema>>()

const checkTimeZone = (timeZone: string): string => {
  if (!isValidTimeZone(timeZone)) {
    throw new BarsError({ reason: "InvalidTimeZone", message: `Unknown IANA time zone: ${JSON.stringify(timeZone)}` })
  }
  return timeZone
}

/**
 * The bar schema for a zone (memoised: tables of one zone share one `Schema`).
 *
 * @since 0.1.0
 */
export const schema = (timeZone: string = DEFAULT_TIME_ZONE): Schema<BarSchema> => {
  let s = schemas.get(timeZone)
  if (s === undefined) {
    checkTimeZone(timeZone)
    s = new Schema<BarSchema>([
      new Field("timestamp", new TimestampMillisecond(timeZone), false),
      new Field("open", new Float64(), false),
      new Field("high", new Float64(), false),
      new Field("low", new Float64(), false),
      new Field("close", new Float64(), false),
      new Field("volume", new Int64(), false)
    ])
    schemas.set(timeZone, s)
  }
  return s
}

/** @internal Builds a table over columns already in Arrow's layout (no copy). */
export const makeTable = (
  timeZone: string,
  length: number,
  time: BigInt64Array,
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: BigInt64Array
): BarTable => {
  const s = schema(timeZone)
  const [t, o, h, l, c, v] = s.fields as unknown as [
    Field<TimestampMillisecond>,
    Field<Float64>,
    Field<Float64>,
    Field<Float64>,
    Field<Float64>,
    Field<Int64>
  ]
  const children = [
    makeData({ type: t.type, length, nullCount: 0, data: time }),
    makeData({ type: o.type, length, nullCount: 0, data: open }),
    makeData({ type: h.type, length, nullCount: 0, data: high }),
    makeData({ type: l.type, length, nullCount: 0, data: low }),
    makeData({ type: c.type, length, nullCount: 0, data: close }),
    makeData({ type: v.type, length, nullCount: 0, data: volume })
  ]
  const struct = makeData({ type: new Struct<BarSchema>(s.fields), length, nullCount: 0, children })
  return new Table(s, new RecordBatch(s, struct))
}

/**
 * The time zone stored in a bar table's `timestamp` type.
 *
 * @since 0.1.0
 */
export const timeZone = (table: BarTable): string => {
  const type = table.schema.fields[0]?.type as TimestampMillisecond | undefined
  return type?.timezone ?? "UTC"
}

/**
 * The same bars labelled with another zone (instants are unchanged; no data is copied).
 *
 * @since 0.1.0
 */
export const withTimeZone = (table: BarTable, zone: string): BarTable => {
  if (timeZone(table) === zone) return table
  const s = schema(zone)
  const batches = table.batches.map((b) => new RecordBatch(s, b.data.clone(new Struct<BarSchema>(s.fields))))
  return new Table(s, batches)
}

// -----------------------------------------------------------------------------
// Construction: sort ascending, drop duplicate timestamps
// -----------------------------------------------------------------------------

const checkColumns = (c: BarColumns): number => {
  const n = c.time.length
  if (
    c.open.length !== n ||
    c.high.length !== n ||
    c.low.length !== n ||
    c.close.length !== n ||
    c.volume.length !== n
  ) {
    throw new BarsError({
      reason: "InvalidColumns",
      message: `Bar columns differ in length: time ${n}, open ${c.open.length}, high ${c.high.length}, low ${c.low.length}, close ${c.close.length}, volume ${c.volume.length}`
    })
  }
  return n
}

const build = (c: BarColumns, zone: string): BarTable => {
  checkTimeZone(zone)
  const n = checkColumns(c)
  const shape = monotonic(c.time)
  if (shape === "asc") {
    const time = allocInt64(n)
    const volume = allocInt64(n)
    const t = c.time
    const v = c.volume
    for (let i = 0; i < n; i++) {
      setInt64(time, i, t[i]!)
      setInt64(volume, i, Math.round(v[i]!))
    }
    return makeTable(
      zone,
      n,
      sealInt64(time),
      c.open.slice(),
      c.high.slice(),
      c.low.slice(),
      c.close.slice(),
      sealInt64(volume)
    )
  }
  // Newest-first (the Gateway's order) is read backwards; anything else is sorted.
  const order = shape === "desc" ? descendingOrder(n) : sortedUniqueOrder(c.time)
  const m = order.length
  const times = c.time
  const time = allocInt64(m)
  const volume = allocInt64(m)
  const open = new Float64Array(m)
  const high = new Float64Array(m)
  const low = new Float64Array(m)
  const close = new Float64Array(m)
  const { open: o, high: h, low: l, close: cl, volume: v } = c
  for (let j = 0; j < m; j++) {
    const i = order[j]!
    setInt64(time, j, Math.round(times[i]!))
    open[j] = o[i]!
    high[j] = h[i]!
    low[j] = l[i]!
    close[j] = cl[i]!
    setInt64(volume, j, Math.round(v[i]!))
  }
  return makeTable(zone, m, sealInt64(time), open, high, low, close, sealInt64(volume))
}

/**
 * Builds a bar table from columns in any order: sorted ascending by time, duplicate timestamps
 * removed (the last one in input order wins), rows with a non-finite time dropped, times rounded
 * to whole milliseconds, volumes rounded to integers. The input arrays are copied, never kept.
 *
 * @example
 * ```ts
 * const table = Bars.toTable(columns, { timeZone: "America/Chicago" })
 * table.getChild("close")!.get(0)
 * ```
 *
 * @throws {BarsError} `InvalidTimeZone` or `InvalidColumns` (columns of different lengths).
 * @since 0.1.0
 */
export const toTable = (columns: BarColumns, options?: BarTableOptions): BarTable =>
  build(columns, options?.timeZone ?? DEFAULT_TIME_ZONE)

/**
 * An empty bar table (the answer to a range with no bars).
 *
 * @since 0.1.0
 */
export const empty = (options?: BarTableOptions): BarTable => toTable(emptyColumns(), options)

const emptyColumns = (): BarColumns => allocBarColumns(0)

/**
 * Concatenates chunks (from a range split into several requests) into one ascending,
 * de-duplicated table. Where chunks overlap, the row from the later chunk wins. The zone is
 * `options.timeZone`, else the first table's zone, else {@link DEFAULT_TIME_ZONE}.
 *
 * @since 0.1.0
 */
export const merge = (parts: Iterable<BarTable | BarColumns>, options?: BarTableOptions): BarTable => {
  let zone = options?.timeZone
  const runs: Array<BarColumns> = []
  for (const p of parts) {
    if (p instanceof Table) {
      zone ??= timeZone(p)
      runs.push(ascendingRun(toColumns(p)))
    } else {
      runs.push(ascendingRun(p))
    }
  }
  return build(runs.length === 0 ? emptyColumns() : mergeRuns(runs, 0, runs.length), zone ?? DEFAULT_TIME_ZONE)
}

/** The columns ascending and de-duplicated, as Float64 columns (the input itself when it already is). */
const ascendingRun = (c: BarColumns): BarColumns => {
  const n = checkColumns(c)
  const shape = monotonic(c.time)
  if (shape === "asc") return c
  const order = shape === "desc" ? descendingOrder(n) : sortedUniqueOrder(c.time)
  const m = order.length
  const out = allocColumns(m)
  for (let j = 0; j < m; j++) {
    const i = order[j]!
    out.time[j] = Math.round(c.time[i]!)
    copyRow(out, j, c, i)
  }
  return out
}

const allocColumns = allocBarColumns
// -----------------------------------------------------------------------------
// Accessors
// -----------------------------------------------------------------------------

const float64Column = (table: BarTable, name: "open" | "high" | "low" | "close"): Float64Array => {
  const v = table.getChild(name)
  return v === null ? new Float64Array(0) : (v.toArray() as Float64Array).slice()
}

const int64Column = (table: BarTable, name: "timestamp" | "volume"): Float64Array => {
  const v = table.getChild(name)
  return v === null ? new Float64Array(0) : int64ToNumbers(v.toArray() as BigInt64Array)
}

/**
 * The table's columns as fresh `Float64Array`s (`time` in epoch ms UTC); the inverse of
 * {@link toTable}.
 *
 * @since 0.1.0
 */
export const toColumns = (table: BarTable): BarColumns => ({
  time: int64Column(table, "timestamp"),
  open: float64Column(table, "open"),
  high: float64Column(table, "high"),
  low: float64Column(table, "low"),
  close: float64Column(table, "close"),
  volume: int64Column(table, "volume")
})

/**
 * Alias of {@link toColumns}.
 *
 * @since 0.1.0
 */
export const fromTable: (table: BarTable) => BarColumns = toColumns

/**
 * Plain objects, one per bar, for code that does not use Arrow. This materialises every row:
 * prefer the Arrow columns for large tables.
 *
 * @since 0.1.0
 */
export const toRows = (table: BarTable): Array<Bar> => {
  const c = toColumns(table)
  const n = c.time.length
  const rows = new Array<Bar>(n)
  for (let i = 0; i < n; i++) {
    rows[i] = {
      timestamp: new Date(c.time[i]!),
      open: c.open[i]!,
      high: c.high[i]!,
      low: c.low[i]!,
      close: c.close[i]!,
      volume: c.volume[i]!
    }
  }
  return rows
}

/** Options of {@link toCsv}. */
export interface CsvOptions {
  /** Write the header row (default true). */
  readonly header?: boolean | undefined
  /**
   * "utc" (default): `2025-07-18T21:00:00Z`, one offset for the whole column, so pandas'
   * `parse_dates` gives `datetime64[ns, UTC]` (convert with `.dt.tz_convert(zone)`); "offset": the
   * table's zone with its offset (`2025-07-18T16:00:00-05:00`), which changes at daylight saving and
   * leaves pandas with strings.
   */
  readonly timestamps?: "utc" | "offset" | undefined
}

/** Epoch ms as ISO-8601 UTC with a `Z`, milliseconds only when there are some. */
const isoUtc = (ms: number): string => {
  const iso = new Date(ms).toISOString()
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso
}

/**
 * CSV text with a header row; timestamps are ISO-8601 in UTC (or, with `timestamps: "offset"`, in
 * the table's zone with its offset), numbers in JavaScript's shortest round-trip form.
 *
 * @since 0.1.0
 */
export const toCsv = (table: BarTable, options?: CsvOptions): string => {
  const c = toColumns(table)
  const offset = options?.timestamps === "offset" ? makeOffsetLookup(timeZone(table)) : undefined
  const n = c.time.length
  const lines = new Array<string>(n + 1)
  let k = 0
  if (options?.header !== false) lines[k++] = COLUMN_NAMES.join(",")
  for (let i = 0; i < n; i++) {
    const t = c.time[i]!
    const time = offset === undefined ? isoUtc(t) : formatIsoWithOffset(t, offset(t))
    lines[k++] = `${time},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`
  }
  lines.length = k
  return k === 0 ? "" : lines.join("\n") + "\n"
}

// -----------------------------------------------------------------------------
// IPC
// -----------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface IpcOptions {
  /** "stream" (default; smallest) or "file" (Feather v2, random access). */
  readonly format?: "stream" | "file" | undefined
  /**
   * Arrow's own body compression, readable by pyarrow and Arrow C++: "lz4" (LZ4_FRAME) or "zstd".
   * Default "none". The cache compresses whole streams itself instead (see BarCache).
   */
  readonly compression?: "none" | "lz4" | "zstd" | undefined
}

/**
 * Arrow IPC bytes of a bar table; values and the time zone survive {@link fromIPC} exactly.
 *
 * @since 0.1.0
 */
export const toIPC = (table: BarTable, options?: IpcOptions): Uint8Array => {
  const compression = options?.compression ?? "none"
  if (compression !== "none") ensureArrowCodecs()
  const type = compression === "lz4" ? CompressionType.LZ4_FRAME : compression === "zstd" ? CompressionType.ZSTD : null
  return tableToIPC(table, options?.format ?? "stream", type)
}

const expectedTypes = [Type.Timestamp, Type.Float, Type.Float, Type.Float, Type.Float, Type.Int] as const

/**
 * Checks that a table has the bar schema: the six columns in order, millisecond timestamps with a
 * zone, Float64 prices, Int64 volume and no nulls.
 *
 * @throws {BarsError} `SchemaMismatch`
 * @since 0.1.0
 */
export const assertBarTable = (table: Table): BarTable => {
  const fields = table.schema.fields
  const bad = (why: string) =>
    new BarsError({ reason: "SchemaMismatch", message: `Not a bar table: ${why} (schema: ${table.schema.toString()})` })
  if (fields.length !== COLUMN_NAMES.length) throw bad(`expected ${COLUMN_NAMES.length} columns`)
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    if (f.name !== COLUMN_NAMES[i] || f.type.typeId !== expectedTypes[i])
      throw bad(`column ${i} is ${f.name}: ${f.type}`)
  }
  const ts = fields[0]!.type as TimestampMillisecond
  if (ts.unit !== TimeUnit.MILLISECOND) throw bad("timestamp unit is not milliseconds")
  if (typeof ts.timezone !== "string" || !isValidTimeZone(ts.timezone)) throw bad("timestamp has no valid time zone")
  for (const f of fields.slice(1)) {
    const t = f.type as Float64 | Int64
    if (
      f.type.typeId === Type.Float
        ? (t as Float64).precision !== 2
        : (t as Int64).bitWidth !== 64 || !(t as Int64).isSigned
    ) {
      throw bad(`column ${f.name} is ${f.type}`)
    }
  }
  for (const name of COLUMN_NAMES) {
    if ((table.getChild(name)?.nullCount ?? 0) > 0) throw bad(`column ${name} has nulls`)
  }
  return table as BarTable
}

/**
 * Reads IPC bytes (stream or file; uncompressed, LZ4_FRAME or ZSTD bodies) back into a bar table.
 * The table references `bytes` without copying: do not reuse the buffer while the table lives.
 * Row order is not re-checked; pass foreign data through `merge([table])` to sort and de-duplicate.
 *
 * @throws {BarsError} `InvalidIPC` (unreadable bytes) or `SchemaMismatch` (not a bar table).
 * @since 0.1.0
 */
export const fromIPC = (bytes: Uint8Array): BarTable => {
  ensureArrowCodecs()
  let table: Table
  try {
    table = tableFromIPC(bytes)
  } catch (cause) {
    throw new BarsError({ reason: "InvalidIPC", message: `Unreadable Arrow IPC bytes: ${String(cause)}`, cause })
  }
  return assertBarTable(table)
}
