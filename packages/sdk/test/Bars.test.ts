import { describe, expect, it } from "@effect/vitest"
import {
  CompressionType,
  compressionRegistry,
  RecordBatch,
  Schema,
  Table,
  TimestampMillisecond,
  tableFromArrays,
  tableFromIPC,
  tableToIPC
} from "apache-arrow"
import * as fc from "fast-check"
import * as Bars from "../src/market/Bars.ts"
import { tableFromOwnedColumns } from "../src/market/internal/arrowOwned.ts"
import * as Codec from "../src/market/internal/codecBlob.ts"

const MINUTE = 60_000
const T0 = Date.UTC(2025, 6, 18, 21, 0, 0)

interface Row {
  readonly t: number
  readonly o: number
  readonly h: number
  readonly l: number
  readonly c: number
  readonly v: number
}

const columnsOf = (rows: ReadonlyArray<Row>): Bars.BarColumns => ({
  time: Float64Array.from(rows, (r) => r.t),
  open: Float64Array.from(rows, (r) => r.o),
  high: Float64Array.from(rows, (r) => r.h),
  low: Float64Array.from(rows, (r) => r.l),
  close: Float64Array.from(rows, (r) => r.c),
  volume: Float64Array.from(rows, (r) => r.v)
})

const rowsOf = (table: Bars.BarTable): Array<Row> => {
  const c = Bars.toColumns(table)
  return Array.from(c.time, (t, i) => ({
    t,
    o: c.open[i]!,
    h: c.high[i]!,
    l: c.low[i]!,
    c: c.close[i]!,
    v: c.volume[i]!
  }))
}

/** What a bar table must contain: one row per timestamp, the last one in input order, ascending. */
const expected = (rows: ReadonlyArray<Row>): Array<Row> => {
  const last = new Map<number, Row>()
  for (const r of rows) last.set(r.t, r)
  return [...last.values()].sort((a, b) => a.t - b.t)
}

/** Newest-first bars on a 0.25 tick grid, as the Gateway sends them. */
const gatewayRows = (n: number, start = T0): Array<Row> =>
  Array.from({ length: n }, (_, j) => {
    const i = n - 1 - j
    const o = 5000 + (i % 17) * 0.25
    return { t: start + i * MINUTE, o, h: o + 1.5, l: o - 0.75, c: o + 0.25, v: 100 + i }
  })

// Object.is keeps NaN and -0 apart, so "exactly" means bit-for-bit here.
const sameRows = (actual: ReadonlyArray<Row>, wanted: ReadonlyArray<Row>): boolean =>
  actual.length === wanted.length &&
  actual.every((a, i) => {
    const w = wanted[i]!
    return (
      Object.is(a.t, w.t) &&
      Object.is(a.o, w.o) &&
      Object.is(a.h, w.h) &&
      Object.is(a.l, w.l) &&
      Object.is(a.c, w.c) &&
      Object.is(a.v, w.v)
    )
  })

describe("Bars.toTable", () => {
  it("sorts the Gateway's newest-first bars ascending and keeps each row together", () => {
    const rows = gatewayRows(5)
    const table = Bars.toTable(columnsOf(rows))
    expect(table.numRows).toBe(5)
    expect(rowsOf(table)).toEqual([...rows].reverse())
    expect(table.schema.fields.map((f) => f.name)).toEqual(["timestamp", "open", "high", "low", "close", "volume"])
    expect(String(table.schema.fields[0]!.type)).toBe("Timestamp<MILLISECOND, America/Chicago>")
    expect(String(table.schema.fields[5]!.type)).toBe("Int64")
    expect(table.getChild("timestamp")!.get(0)).toBe(T0)
  })

  it("drops duplicate timestamps, keeping the last one in input order", () => {
    const a = { t: T0, o: 1, h: 2, l: 0.5, c: 1.5, v: 10 }
    const b = { t: T0, o: 9, h: 9, l: 9, c: 9, v: 99 }
    const c = { t: T0 + MINUTE, o: 3, h: 4, l: 2, c: 3.5, v: 30 }
    expect(rowsOf(Bars.toTable(columnsOf([c, a, b])))).toEqual([b, c])
    expect(rowsOf(Bars.toTable(columnsOf([b, c, a])))).toEqual([a, c])
  })

  it("stores the requested zone and relabels without touching instants", () => {
    const table = Bars.toTable(columnsOf(gatewayRows(3)), { timeZone: "Asia/Kolkata" })
    expect(Bars.timeZone(table)).toBe("Asia/Kolkata")
    const utc = Bars.withTimeZone(table, "UTC")
    expect(Bars.timeZone(utc)).toBe("UTC")
    expect(rowsOf(utc)).toEqual(rowsOf(table))
  })

  it("keeps int64 values exact at the edges (pre-1970 times, volumes up to 2^53 - 1)", () => {
    const rows = [
      { t: -86_400_000 * 365 * 30, o: 1, h: 1, l: 1, c: 1, v: Number.MAX_SAFE_INTEGER },
      { t: 0, o: 2, h: 2, l: 2, c: 2, v: 0 },
      { t: 2 ** 45, o: 3, h: 3, l: 3, c: 3, v: 2 ** 32 + 1 }
    ]
    expect(rowsOf(Bars.fromIPC(Bars.toIPC(Bars.toTable(columnsOf(rows)))))).toEqual(rows)
  })

  it("builds an empty table that still carries its schema and zone", () => {
    const table = Bars.empty({ timeZone: "UTC" })
    expect(table.numRows).toBe(0)
    const back = Bars.fromIPC(Bars.toIPC(table))
    expect(back.numRows).toBe(0)
    expect(Bars.timeZone(back)).toBe("UTC")
    expect(Bars.toRows(back)).toEqual([])
  })

  it("accepts canonical zones, aliases and other casings the runtime knows, as the zone was given", () => {
    const cols = columnsOf(gatewayRows(2))
    for (const zone of ["America/Chicago", "UTC", "Etc/UTC", "US/Central", "Asia/Calcutta", "america/new_york"]) {
      expect(Bars.timeZone(Bars.toTable(cols, { timeZone: zone }))).toBe(zone)
    }
    expect(() => Bars.toTable(cols, { timeZone: "" })).toThrow(
      expect.objectContaining({ _tag: "BarsError", reason: "InvalidTimeZone" })
    )
  })

  it("rejects an unknown zone and ragged columns with a BarsError", () => {
    const cols = columnsOf(gatewayRows(2))
    expect(() => Bars.toTable(cols, { timeZone: "Mars/Olympus" })).toThrow(
      expect.objectContaining({ _tag: "BarsError", reason: "InvalidTimeZone" })
    )
    expect(() => Bars.toTable({ ...cols, close: new Float64Array(1) })).toThrow(
      expect.objectContaining({ _tag: "BarsError", reason: "InvalidColumns" })
    )
  })
})

describe("Bars.merge", () => {
  it("joins overlapping chunks from split requests into one ascending table; later chunks win", () => {
    const first = gatewayRows(10, T0) // T0 .. T0+9m
    const second = gatewayRows(10, T0 + 8 * MINUTE).map((r) => ({ ...r, v: r.v + 1000 })) // T0+8m .. T0+17m
    const merged = Bars.merge([Bars.toTable(columnsOf(first), { timeZone: "UTC" }), columnsOf(second)])
    expect(Bars.timeZone(merged)).toBe("UTC")
    expect(rowsOf(merged)).toEqual(expected([...first, ...second]))
    const reversed = Bars.merge([columnsOf(second), columnsOf(first)])
    expect(rowsOf(reversed)).toEqual(expected([...second, ...first]))
    expect(Bars.merge([]).numRows).toBe(0)
  })
})

describe("Bars IPC", () => {
  it("round-trips values and the time zone exactly (stream, file, lz4 and zstd bodies)", () => {
    const table = Bars.toTable(columnsOf(gatewayRows(500)), { timeZone: "America/New_York" })
    for (const options of [
      {},
      { format: "file" as const },
      { compression: "lz4" as const },
      { compression: "zstd" as const, format: "file" as const }
    ]) {
      const back = Bars.fromIPC(Bars.toIPC(table, options))
      expect(Bars.timeZone(back)).toBe("America/New_York")
      expect(String(back.schema.fields[0]!.type)).toBe("Timestamp<MILLISECOND, America/New_York>")
      expect(rowsOf(back)).toEqual(rowsOf(table))
    }
  })

  it("refuses bytes that are not IPC, and IPC that is not a bar table", () => {
    expect(() => Bars.fromIPC(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(
      expect.objectContaining({ _tag: "BarsError", reason: "InvalidIPC" })
    )
    const other = tableToIPC(tableFromArrays({ close: new Float64Array([1, 2]) }))
    expect(() => Bars.fromIPC(other)).toThrow(expect.objectContaining({ _tag: "BarsError", reason: "SchemaMismatch" }))
  })
})

describe("Bars and the application's own apache-arrow", () => {
  // The SDK imports Arrow by subpath (not the barrel); these are the same module files, so nothing differs
  // for an application that imports "apache-arrow": its classes, its codec registry, its reader.
  it("a bar table is the application's Table, with its Schema, RecordBatch and Timestamp types", () => {
    const table = Bars.toTable(columnsOf(gatewayRows(50)))
    expect(table).toBeInstanceOf(Table)
    expect(table.schema).toBeInstanceOf(Schema)
    expect(table.batches[0]).toBeInstanceOf(RecordBatch)
    expect(table.schema.fields[0]!.type).toBeInstanceOf(TimestampMillisecond)
    expect(Bars.fromIPC(Bars.toIPC(table))).toBeInstanceOf(Table)
  })

  it("the lz4 codec the SDK registers is in the application's registry, so its own reader reads lz4 IPC", () => {
    const table = Bars.toTable(columnsOf(gatewayRows(50)))
    const bytes = Bars.toIPC(table, { compression: "lz4" })
    expect(compressionRegistry.get(CompressionType.LZ4_FRAME)).not.toBeNull()
    expect(rowsOf(tableFromIPC(bytes) as Bars.BarTable)).toEqual(rowsOf(table))
  })
})

describe("Bars property", () => {
  const base = fc.integer({ min: 0, max: 40 }).map((k) => T0 + k * MINUTE) // few values: forces duplicates
  const anyTime = fc.integer({ min: -1e13, max: 1e13 })
  const price = fc.oneof(
    fc.integer({ min: 0, max: 80_000 }).map((ticks) => ticks * 0.25),
    fc.double() // NaN, ±Infinity, -0 included: Float64 columns keep them bit-for-bit
  )
  const row = fc.record({
    t: fc.oneof(base, anyTime),
    o: price,
    h: price,
    l: price,
    c: price,
    v: fc.oneof(fc.nat({ max: 5000 }), fc.maxSafeNat())
  })
  const rowSets = fc.oneof(fc.constant([] as Array<Row>), fc.array(row, { maxLength: 200 }))

  it("any bar set becomes an ascending, duplicate-free table that survives IPC and the cache codec", () => {
    fc.assert(
      fc.property(rowSets, (rows) => {
        const table = Bars.toTable(columnsOf(rows), { timeZone: "UTC" })
        const want = expected(rows)
        const got = rowsOf(table)
        for (let i = 1; i < got.length; i++) if (!(got[i]!.t > got[i - 1]!.t)) return false
        if (!sameRows(got, want)) return false
        const ipcs = [
          Bars.toIPC(table),
          Bars.toIPC(table, { compression: "lz4" }),
          Bars.toIPC(table, { compression: "zstd" })
        ]
        for (const ipc of ipcs) {
          const back = Bars.fromIPC(ipc)
          if (Bars.timeZone(back) !== "UTC" || !sameRows(rowsOf(back), want)) return false
        }
        for (const threshold of [0, Number.POSITIVE_INFINITY]) {
          const decoded = Codec.decode(Codec.encode(Bars.toIPC(table), threshold).blob)
          if (Codec.isDecodeFailure(decoded) || !sameRows(rowsOf(Bars.fromIPC(decoded)), want)) return false
        }
        return true
      }),
      { numRuns: 200 }
    )
  })

  it("merging any split of a bar set equals building it whole", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 120 }), fc.array(fc.nat({ max: 120 }), { maxLength: 4 }), (rows, cuts) => {
        const points = [...new Set(cuts.map((c) => Math.min(c, rows.length)))].sort((a, b) => a - b)
        const chunks: Array<Bars.BarColumns> = []
        let from = 0
        for (const p of [...points, rows.length]) {
          chunks.push(columnsOf(rows.slice(from, p)))
          from = p
        }
        return sameRows(rowsOf(Bars.merge(chunks)), rowsOf(Bars.toTable(columnsOf(rows))))
      }),
      { numRuns: 200 }
    )
  })
})

describe("Bars.toRows and Bars.toCsv", () => {
  it("gives plain rows with Date timestamps", () => {
    const rows = Bars.toRows(Bars.toTable(columnsOf(gatewayRows(2))))
    expect(rows).toEqual([
      { timestamp: new Date(T0), open: 5000, high: 5001.5, low: 4999.25, close: 5000.25, volume: 100 },
      { timestamp: new Date(T0 + MINUTE), open: 5000.25, high: 5001.75, low: 4999.5, close: 5000.5, volume: 101 }
    ])
  })

  it("writes UTC timestamps with a Z by default: one offset for the column, across a DST change", () => {
    // US DST began 2025-03-09 at 02:00 CST = 08:00 UTC.
    const start = Date.UTC(2025, 2, 9, 7, 59)
    const rows = [0, 1].map((i) => ({ t: start + i * MINUTE, o: 1, h: 2, l: 0.5, c: 1.25, v: 7 }))
    expect(Bars.toCsv(Bars.toTable(columnsOf(rows)))).toBe(
      "timestamp,open,high,low,close,volume\n" +
        "2025-03-09T07:59:00Z,1,2,0.5,1.25,7\n" +
        "2025-03-09T08:00:00Z,1,2,0.5,1.25,7\n"
    )
    const withMillis = Bars.toTable(columnsOf([{ t: start + 250, o: 1, h: 2, l: 0.5, c: 1.25, v: 7 }]))
    expect(Bars.toCsv(withMillis, { header: false })).toBe("2025-03-09T07:59:00.250Z,1,2,0.5,1.25,7\n")
  })

  it("writes ISO timestamps at the zone's offset on request, across a DST change", () => {
    const start = Date.UTC(2025, 2, 9, 7, 59)
    const rows = [0, 1].map((i) => ({ t: start + i * MINUTE, o: 1, h: 2, l: 0.5, c: 1.25, v: 7 }))
    expect(Bars.toCsv(Bars.toTable(columnsOf(rows)), { timestamps: "offset" })).toBe(
      "timestamp,open,high,low,close,volume\n" +
        "2025-03-09T01:59:00-06:00,1,2,0.5,1.25,7\n" +
        "2025-03-09T03:00:00-05:00,1,2,0.5,1.25,7\n"
    )
    const kolkata = Bars.toTable(columnsOf(rows), { timeZone: "Asia/Kolkata" })
    expect(Bars.toCsv(kolkata, { header: false, timestamps: "offset" })).toBe(
      "2025-03-09T13:29:00+05:30,1,2,0.5,1.25,7\n2025-03-09T13:30:00+05:30,1,2,0.5,1.25,7\n"
    )
    expect(Bars.toCsv(Bars.empty())).toBe("timestamp,open,high,low,close,volume\n")
  })
})

describe("tableFromOwnedColumns (MarketData's in-place build)", () => {
  const copy = (c: Bars.BarColumns): Bars.BarColumns => ({
    time: c.time.slice(),
    open: c.open.slice(),
    high: c.high.slice(),
    low: c.low.slice(),
    close: c.close.slice(),
    volume: c.volume.slice()
  })
  const price = fc.double({ min: -1e6, max: 1e6, noNaN: true })
  const row = fc.record({ o: price, h: price, l: price, c: price, v: fc.double({ min: 0, max: 1e9, noNaN: true }) })
  /** Rows with times newest first (the Gateway's order), ascending, or anything (gaps, duplicates, fractions, NaN). */
  const columns = fc
    .tuple(
      fc.array(row, { maxLength: 40 }),
      fc.constantFrom("desc", "asc", "random"),
      fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.5, Number.NaN, 1e20)), { maxLength: 40 })
    )
    .map(([rows, order, noise]) =>
      columnsOf(
        rows.map((r, i) => ({
          ...r,
          t:
            order === "desc"
              ? T0 - i * MINUTE
              : order === "asc"
                ? T0 + i * MINUTE
                : T0 + (noise[i] ?? 0) * MINUTE + (noise[i] === 0.5 ? 0.5 : 0)
        }))
      )
    )

  it("builds exactly the table Bars.toTable builds (same IPC bytes)", () => {
    fc.assert(
      fc.property(columns, fc.constantFrom("America/Chicago", "UTC"), (c, zone) => {
        const expected = Bars.toTable(copy(c), { timeZone: zone })
        const got = tableFromOwnedColumns(copy(c), zone)
        expect(Bars.timeZone(got)).toBe(zone)
        expect(got.numRows).toBe(expected.numRows)
        expect(Bars.toIPC(got)).toEqual(Bars.toIPC(expected))
      }),
      { numRuns: 500 }
    )
  })

  it("refuses what Bars.toTable refuses", () => {
    const c = columnsOf([{ t: T0, o: 1, h: 1, l: 1, c: 1, v: 1 }])
    expect(() => tableFromOwnedColumns({ ...copy(c), open: new Float64Array(2) }, "UTC")).toThrow(Bars.BarsError)
    expect(() => tableFromOwnedColumns(copy(c), "Mars/Olympus")).toThrow(Bars.BarsError)
  })
})
