// A bar table built from columns the caller gives away (MarketData's freshly decoded Gateway
// response), converted in place instead of copied: the Gateway's newest-first rows are reversed in
// place and the Float64 time and volume columns become Int64 in their own buffers. It saves
// `Bars.toTable`'s second set of column buffers (~1 MB for 20,000 bars) and its copy loop. Anything
// but strictly monotonic whole-ms times (or a big-endian host) goes through `Bars.toTable`, and the
// result is the same table `Bars.toTable` builds.
import { type BarColumns, type BarTable, makeTable, toTable } from "../Bars.ts"

const TWO_32 = 4294967296
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** "asc"/"desc" when times are strictly monotonic whole finite numbers (as `Bars.toTable` checks). */
const direction = (t: Float64Array): "asc" | "desc" | undefined => {
  const n = t.length
  const desc = n > 1 && t[1]! < t[0]!
  for (let i = 0; i < n; i++) {
    const x = t[i]!
    if (!Number.isFinite(x) || Math.round(x) !== x) return undefined
    if (i > 0 && (desc ? !(x < t[i - 1]!) : !(x > t[i - 1]!))) return undefined
  }
  return desc ? "desc" : "asc"
}

/**
 * Rewrites a Float64 column as Int64 in the same buffer (reversed when `reverse`), values rounded
 * when `round`. Each pair of slots is read before either is written.
 */
const toInt64InPlace = (column: Float64Array, reverse: boolean, round: boolean): BigInt64Array => {
  const n = column.length
  const lo = new Uint32Array(column.buffer, column.byteOffset, n * 2)
  const hi = new Int32Array(column.buffer, column.byteOffset, n * 2)
  const put = (i: number, x: number) => {
    const v = round ? Math.round(x) : x
    lo[2 * i] = v >>> 0
    hi[2 * i + 1] = Math.floor(v / TWO_32)
  }
  if (reverse) {
    for (let i = 0, j = n - 1; i <= j; i++, j--) {
      const a = column[i]!
      const b = column[j]!
      put(i, b)
      put(j, a)
    }
  } else {
    for (let i = 0; i < n; i++) put(i, column[i]!)
  }
  return new BigInt64Array(column.buffer, column.byteOffset, n)
}

/** The table `Bars.toTable(columns, { timeZone })` builds; `columns` must not be used afterwards. */
export const tableFromOwnedColumns = (columns: BarColumns, timeZone: string): BarTable => {
  const n = columns.time.length
  const shape =
    littleEndian &&
    columns.open.length === n &&
    columns.high.length === n &&
    columns.low.length === n &&
    columns.close.length === n &&
    columns.volume.length === n
      ? direction(columns.time)
      : undefined
  if (shape === undefined) return toTable(columns, { timeZone })
  const reverse = shape === "desc"
  const time = toInt64InPlace(columns.time, reverse, false)
  const volume = toInt64InPlace(columns.volume, reverse, true)
  if (reverse) {
    columns.open.reverse()
    columns.high.reverse()
    columns.low.reverse()
    columns.close.reverse()
  }
  return makeTable(timeZone, n, time, columns.open, columns.high, columns.low, columns.close, volume)
}
