/**
 * Ordering bar columns: whether a run is already ascending, the permutation that sorts and de-duplicates
 * one, and the pairwise merge of ascending runs (on equal timestamps the later run wins). Pure typed-array
 * work behind `Bars.toTable` and `Bars.merge`.
 */
import type { BarColumns } from "@projectx-effect/gateway"
import { allocBarColumns } from "@projectx-effect/gateway/BarsWire"

/** "asc"/"desc" when times are already strictly monotonic whole finite numbers, else undefined. */
export const monotonic = (t: Float64Array): "asc" | "desc" | undefined => {
  const n = t.length
  let asc = true
  let desc = true
  let prev = Number.NaN
  for (let i = 0; i < n; i++) {
    const x = t[i]!
    if (!Number.isFinite(x) || Math.round(x) !== x) return undefined
    if (i > 0) {
      if (x <= prev) asc = false
      if (x >= prev) desc = false
      if (!asc && !desc) return undefined
    }
    prev = x
  }
  return asc ? "asc" : "desc"
}

/**
 * Row order for the general case: finite times rounded to whole ms, sorted ascending; among rows
 * with the same timestamp the one that came LAST in the input wins (a later chunk or a re-sent
 * partial bar is the fresher one).
 */
export const sortedUniqueOrder = (t: Float64Array): Uint32Array => {
  const n = t.length
  const idx = new Uint32Array(n)
  let m = 0
  for (let i = 0; i < n; i++) if (Number.isFinite(t[i]!)) idx[m++] = i
  const live = idx.subarray(0, m)
  live.sort((a, b) => Math.round(t[a]!) - Math.round(t[b]!) || a - b)
  let k = 0
  for (let j = 0; j < m; j++) {
    const i = live[j]!
    const next = live[j + 1]
    if (next !== undefined && Math.round(t[next]!) === Math.round(t[i]!)) continue // a later duplicate follows
    live[k++] = i
  }
  return live.subarray(0, k)
}

export const descendingOrder = (n: number): Uint32Array => {
  const order = new Uint32Array(n)
  for (let j = 0; j < n; j++) order[j] = n - 1 - j
  return order
}

export const copyRow = (to: BarColumns, j: number, from: BarColumns, i: number): void => {
  to.open[j] = from.open[i]!
  to.high[j] = from.high[i]!
  to.low[j] = from.low[i]!
  to.close[j] = from.close[i]!
  to.volume[j] = from.volume[i]!
}

/** Merges ascending runs `[from, to)` pairwise (O(n log k)); on equal timestamps the later run wins. */
export const mergeRuns = (runs: ReadonlyArray<BarColumns>, from: number, to: number): BarColumns => {
  if (to - from === 1) return runs[from]!
  const mid = (from + to) >>> 1
  const a = mergeRuns(runs, from, mid)
  const b = mergeRuns(runs, mid, to)
  const na = a.time.length
  const nb = b.time.length
  const out = allocBarColumns(na + nb)
  let i = 0
  let j = 0
  let k = 0
  while (i < na || j < nb) {
    const ta = i < na ? a.time[i]! : Number.POSITIVE_INFINITY
    const tb = j < nb ? b.time[j]! : Number.POSITIVE_INFINITY
    if (tb <= ta) {
      if (tb === ta) i++ // the later run's bar replaces the earlier one
      out.time[k] = tb
      copyRow(out, k++, b, j++)
    } else {
      out.time[k] = ta
      copyRow(out, k++, a, i++)
    }
  }
  return k === na + nb
    ? out
    : {
        time: out.time.subarray(0, k),
        open: out.open.subarray(0, k),
        high: out.high.subarray(0, k),
        low: out.low.subarray(0, k),
        close: out.close.subarray(0, k),
        volume: out.volume.subarray(0, k)
      }
}
