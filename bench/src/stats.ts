// Small statistics and timing helpers shared by the figures.

export interface Summary {
  readonly median: number
  readonly p25: number
  readonly p75: number
  readonly min: number
  readonly max: number
  readonly n: number
}

/** Quantile by linear interpolation between closest ranks (q in [0, 1]). */
const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export const summarize = (samples: ReadonlyArray<number>): Summary => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length
  }
}

/** Formats a number with a sensible number of significant digits. */
export const fmt = (x: number | null | undefined): string => {
  if (x === null || x === undefined || Number.isNaN(x)) return "—"
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString("en-US")
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  if (a >= 0.01) return x.toFixed(3)
  return x.toPrecision(2)
}

/** "p25–p75" of a summary, formatted. */
export const iqr = (s: Summary): string => `${fmt(s.p25)}–${fmt(s.p75)}`

/** "min–max" of a summary, formatted. */
export const range = (s: Summary): string => `${fmt(s.min)}–${fmt(s.max)}`

/** Runs `f` `times` times, in alternating order per round: A B, B A, A B, ... (cancels drift). */
export const interleave = async (
  rounds: number,
  a: (round: number) => Promise<void>,
  b: (round: number) => Promise<void>
): Promise<void> => {
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await a(r)
      await b(r)
    } else {
      await b(r)
      await a(r)
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Lets pending GC and I/O settle between phases. */
export const settle = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) gc()
  await sleep(50)
}
