/**
 * A fast decoder for `History/retrieveBars` payloads. A 20,000-bar response decoded through the `Bar`
 * Schema costs tens of milliseconds of object allocation; this validates the same rules (the tests check
 * it agrees with the Schema on random input) straight into typed columns, which is what Arrow wants.
 */
import { parseTimestamp } from "./Timestamp.ts"

/** Bars as columns, in the order the Gateway sent them (newest first). `time` is epoch milliseconds UTC. */
export interface BarColumns {
  readonly time: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
}

/**
 * Six zeroed columns of `n` bars: the one place bar columns are allocated (decoders, merges, tests and
 * benches fill them in place).
 */
export const allocBarColumns = (n: number): BarColumns => ({
  time: new Float64Array(n),
  open: new Float64Array(n),
  high: new Float64Array(n),
  low: new Float64Array(n),
  close: new Float64Array(n),
  volume: new Float64Array(n)
})

/** Why a bars payload was refused: the JSON path and what was wrong there. */
export interface BarsDecodeIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

export type BarsDecodeResult =
  | { readonly _tag: "Success"; readonly columns: BarColumns }
  | { readonly _tag: "Failure"; readonly issue: BarsDecodeIssue }

const fail = (path: ReadonlyArray<string | number>, message: string): BarsDecodeResult => ({
  _tag: "Failure",
  issue: { path, message }
})

const priceKeys = ["o", "h", "l", "c"] as const

interface WireBar {
  readonly t?: unknown
  readonly o?: unknown
  readonly h?: unknown
  readonly l?: unknown
  readonly c?: unknown
  readonly v?: unknown
}

/** Why bar `i` is refused: the first bad key in the order t, o, h, l, c, v (the slow path). */
const barIssue = (bar: unknown, i: number): BarsDecodeResult => {
  if (typeof bar !== "object" || bar === null || Array.isArray(bar)) return fail(["bars", i], "Expected an object")
  const t = (bar as WireBar).t
  if (typeof t !== "string") return fail(["bars", i, "t"], t === undefined ? "Missing key" : "Expected a string")
  if (parseTimestamp(t) === undefined) {
    return fail(["bars", i, "t"], `Expected an ISO-8601 timestamp, got ${JSON.stringify(t)}`)
  }
  for (const key of priceKeys) {
    const value = (bar as WireBar)[key]
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return fail(["bars", i, key], value === undefined ? "Missing key" : "Expected a finite number")
    }
  }
  const v = (bar as WireBar).v
  return fail(["bars", i, "v"], v === undefined ? "Missing key" : "Expected a finite number >= 0")
}

/** Decodes the `bars` array of a retrieveBars response (the value of the `bars` key). */
export const decodeBarColumns = (bars: unknown): BarsDecodeResult => {
  if (!Array.isArray(bars)) return fail(["bars"], `Expected an array, got ${typeof bars}`)
  const n = bars.length
  const { time, open, high, low, close, volume } = allocBarColumns(n)
  // One pass with named property reads (monomorphic on the Gateway's { t, o, h, l, c, v } objects);
  // any bar that fails a check is re-examined by barIssue, which names the first bad key.
  for (let i = 0; i < n; i++) {
    const bar = bars[i] as WireBar
    if (typeof bar !== "object" || bar === null) return barIssue(bar, i)
    const t = bar.t
    const millis = typeof t === "string" ? parseTimestamp(t) : undefined
    const o = bar.o
    const h = bar.h
    const l = bar.l
    const c = bar.c
    const v = bar.v
    if (
      millis === undefined ||
      typeof o !== "number" ||
      typeof h !== "number" ||
      typeof l !== "number" ||
      typeof c !== "number" ||
      typeof v !== "number" ||
      // finite (NaN and ±Infinity fail: o - o is NaN for them), and v >= 0
      o - o !== 0 ||
      h - h !== 0 ||
      l - l !== 0 ||
      c - c !== 0 ||
      !(v >= 0 && v - v === 0) ||
      Array.isArray(bar)
    ) {
      return barIssue(bar, i)
    }
    time[i] = millis
    open[i] = o
    high[i] = h
    low[i] = l
    close[i] = c
    volume[i] = v
  }
  return { _tag: "Success", columns: { time, open, high, low, close, volume } }
}
