// The deterministic market: one seeded random walk per root on its tick grid, generated lazily and
// memoised, from which every bar unit is aggregated so units agree exactly.
//
// Construction (all prices are integer ticks):
// - day level: level(d + 1) = level(d) + round(gauss · σ_day − κ · (level − base)) on trading days;
// - minutes: a Brownian bridge from the day's open level to its close level, with wicks and volume;
// - seconds: the minute's trade tape — a bridge inside the minute that moves only in the seconds that
//   trade (each with lots enough to print its open, extremes and close), clamped to the minute's
//   range, touching its high and low, volume split exactly; the market hub prints exactly these;
// - hours, days, weeks and months: aggregates of the above (memoised per day).
// Contracts of one root share the walk plus a constant per-quarter basis; price overrides add a
// piecewise-constant offset per contract from the second they are made. One walk (`walk`) serves bars
// and matching alike, and visits only the open intervals of the trading hours (Hours.ts): a closed
// second has no bar, no quote and no fill.
import { draw, gauss, hash4, hashString } from "./Hash.ts"
import { type ContractInfo, priceOf, roots } from "./Contracts.ts"
import { Hours, type TradingHours } from "./Hours.ts"

export type { TradingHours } from "./Hours.ts"

const DAY = 86_400
const MINUTES = 1440

/** A block of the path: start second, length, OHLC in ticks (offset and basis included) and volume. */
export interface Block {
  readonly start: number
  readonly length: number
  readonly o: number
  readonly h: number
  readonly l: number
  readonly c: number
  readonly v: number
}

/** Receives the blocks of a walk over the path, in time order (OHLC in ticks). */
interface BlockSink {
  block(start: number, length: number, o: number, h: number, l: number, c: number, v: number): void
}

/**
 * Mutable aggregate of consecutive blocks, as a bar of the trades in them: a block without volume (a
 * second nobody traded) adds nothing, so a slot with no trades has no bar, as on the Gateway.
 */
export class Agg implements BlockSink {
  has = false
  o = 0
  h = 0
  l = 0
  c = 0
  v = 0
  reset(): void {
    this.has = false
    this.v = 0
  }
  add(o: number, h: number, l: number, c: number, v: number): void {
    if (v === 0) return
    if (!this.has) {
      this.has = true
      this.o = o
      this.h = h
      this.l = l
    } else {
      if (h > this.h) this.h = h
      if (l < this.l) this.l = l
    }
    this.c = c
    this.v += v
  }
  block(_start: number, _length: number, o: number, h: number, l: number, c: number, v: number): void {
    this.add(o, h, l, c, v)
  }
}

/** Hands each block to a callback as an object (the matching engine's view of the path). */
class BlockEmitter implements BlockSink {
  private readonly f: (block: Block) => void
  constructor(f: (block: Block) => void) {
    this.f = f
  }
  block(start: number, length: number, o: number, h: number, l: number, c: number, v: number): void {
    this.f({ start, length, o, h, l, c, v })
  }
}

interface DayData {
  // Per minute, in ticks: open, high, low, close, volume.
  readonly o: Int32Array
  readonly h: Int32Array
  readonly l: Int32Array
  readonly c: Int32Array
  readonly v: Int32Array
}

interface DaySummary {
  // 24 hourly summaries (o, h, l, c, v) then the day's (o, h, l, c, v).
  readonly hours: Float64Array
}

/** A small LRU keyed by number. */
class Lru<V> {
  private readonly map = new Map<number, V>()
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  get(key: number): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) {
      this.map.delete(key)
      this.map.set(key, v)
    }
    return v
  }
  set(key: number, value: V): void {
    this.map.set(key, value)
    if (this.map.size > this.capacity) {
      const first = this.map.keys().next().value as number
      this.map.delete(first)
    }
  }
}

/** Intraday volume profile by UTC minute: busier in the US cash session, quiet overnight. */
const volumeProfile = new Float64Array(MINUTES)
for (let m = 0; m < MINUTES; m++) {
  volumeProfile[m] = m >= 870 && m < 1260 ? 2.2 : m >= 420 && m < 870 ? 1 : 0.45
}

/**
 * Lots a trading second carries at least: one print each at its open, first extreme, second extreme
 * and close (the hub's tape), so bars built from prints equal these bars. A minute has at least this.
 */
export const minLotsPerSecond = 4

/** The walk of one root. */
class Series {
  private readonly levels: Array<number> = []
  private readonly base: number
  private readonly sigmaDay: number
  private readonly sigmaMinute: number
  private readonly key: number
  private readonly days = new Lru<DayData>(96)
  private readonly summaries = new Map<number, DaySummary>()
  private readonly seconds = new Lru<Float64Array>(64)
  private readonly baseVolume: number
  private lastDay = Number.NaN
  private lastData: DayData | undefined = undefined
  private readonly seed: number
  private readonly startDay: number
  private readonly isTradingDay: (day: number) => boolean

  constructor(seed: number, rootIndex: number, startDay: number, isTradingDay: (day: number) => boolean) {
    this.seed = seed
    this.startDay = startDay
    this.isTradingDay = isTradingDay
    const spec = roots[rootIndex]!
    this.key = hashString(spec.root)
    this.base = Math.round(spec.basePrice / spec.tickSize)
    this.sigmaDay = Math.max(2, (spec.basePrice * spec.dailyVolatility) / spec.tickSize)
    this.sigmaMinute = this.sigmaDay / Math.sqrt(MINUTES)
    this.baseVolume = spec.baseVolume
    this.levels.push(this.base)
  }

  /** The price level (ticks) at the start of `day`. */
  level(day: number): number {
    const i = day - this.startDay
    if (i < 0) return this.base
    while (this.levels.length <= i) {
      const d = this.startDay + this.levels.length - 1
      const prev = this.levels[this.levels.length - 1]!
      if (!this.isTradingDay(d)) {
        this.levels.push(prev)
        continue
      }
      const g = gauss(hash4(this.seed, this.key, d, 0x7fff0001), hash4(this.seed, this.key, d, 0x7fff0002))
      const delta = Math.round(g * this.sigmaDay - 0.01 * (prev - this.base))
      this.levels.push(Math.max(Math.ceil(this.base * 0.2), prev + delta))
    }
    return this.levels[i]!
  }

  /** Minute bars of a trading day. */
  day(day: number): DayData {
    if (day === this.lastDay) return this.lastData!
    const cached = this.days.get(day)
    if (cached !== undefined) {
      this.lastDay = day
      this.lastData = cached
      return cached
    }
    const open = this.level(day)
    const close = this.level(day + 1)
    const o = new Int32Array(MINUTES)
    const h = new Int32Array(MINUTES)
    const l = new Int32Array(MINUTES)
    const c = new Int32Array(MINUTES)
    const v = new Int32Array(MINUTES)
    // Brownian bridge: P(k) = open + (close − open)·k/N + W(k) − (k/N)·W(N).
    const w = new Float64Array(MINUTES + 1)
    const sm = this.sigmaMinute
    const base = hash4(this.seed, this.key, day, 0x3c6ef372)
    for (let k = 1; k <= MINUTES; k++) {
      w[k] = w[k - 1]! + gauss(draw(base, k * 3), draw(base, k * 3 + 1)) * sm
    }
    const wn = w[MINUTES]!
    const floor = 1
    let prev = open
    for (let m = 0; m < MINUTES; m++) {
      const k = m + 1
      const next =
        k === MINUTES
          ? close
          : Math.max(floor, Math.round(open + ((close - open) * k) / MINUTES + w[k]! - (k / MINUTES) * wn))
      const r = draw(base, k * 3 + 2)
      const up = (r & 0x3ff) / 1024
      const down = ((r >>> 10) & 0x3ff) / 1024
      const vol = (r >>> 20) / 4096
      o[m] = prev
      c[m] = next
      h[m] = Math.max(prev, next) + Math.floor(up * up * sm * 1.5)
      l[m] = Math.max(floor, Math.min(prev, next) - Math.floor(down * down * sm * 1.5))
      v[m] = Math.max(minLotsPerSecond, Math.round(this.baseVolume * volumeProfile[m]! * (0.4 + 1.2 * vol)))
      prev = next
    }
    const data: DayData = { o, h, l, c, v }
    this.days.set(day, data)
    this.lastDay = day
    this.lastData = data
    return data
  }

  /** Hourly and daily summaries of a trading day (memoised for good: 1 KB per day). */
  summary(day: number): DaySummary {
    const cached = this.summaries.get(day)
    if (cached !== undefined) return cached
    const d = this.day(day)
    const hours = new Float64Array(125)
    for (let hr = 0; hr < 24; hr++) {
      const a = hr * 60
      let hi = d.h[a]!
      let lo = d.l[a]!
      let vol = 0
      for (let m = a; m < a + 60; m++) {
        if (d.h[m]! > hi) hi = d.h[m]!
        if (d.l[m]! < lo) lo = d.l[m]!
        vol += d.v[m]!
      }
      hours[hr * 5] = d.o[a]!
      hours[hr * 5 + 1] = hi
      hours[hr * 5 + 2] = lo
      hours[hr * 5 + 3] = d.c[a + 59]!
      hours[hr * 5 + 4] = vol
    }
    let hi = hours[1]!
    let lo = hours[2]!
    let vol = 0
    for (let hr = 0; hr < 24; hr++) {
      if (hours[hr * 5 + 1]! > hi) hi = hours[hr * 5 + 1]!
      if (hours[hr * 5 + 2]! < lo) lo = hours[hr * 5 + 2]!
      vol += hours[hr * 5 + 4]!
    }
    hours[120] = hours[0]!
    hours[121] = hi
    hours[122] = lo
    hours[123] = hours[23 * 5 + 3]!
    hours[124] = vol
    const s: DaySummary = { hours }
    this.summaries.set(day, s)
    return s
  }

  /**
   * The 60 one-second bars of a minute (o, h, l, c, v interleaved), cut as the minute's trade tape: at
   * most v / 4 seconds trade (drawn per minute), each with at least 4 lots, so the hub can print its
   * open, both extremes and its close. The price moves only in trading seconds (a bridge from the
   * minute's open to its close sampled at their ends, clamped to its range); the last one ends on the
   * close, one holds the minute's high and one its low. A second without trades is flat at the price
   * it inherits, with volume 0: no bar, no print — so every aggregate of seconds is one of prints.
   */
  secondsOf(day: number, minute: number): Float64Array {
    const key = day * MINUTES + minute
    const cached = this.seconds.get(key)
    if (cached !== undefined) return cached
    const d = this.day(day)
    const o = d.o[minute]!
    const h = d.h[minute]!
    const l = d.l[minute]!
    const c = d.c[minute]!
    const v = d.v[minute]!
    const out = new Float64Array(300)
    const s = this.sigmaMinute / Math.sqrt(60)
    const w = new Float64Array(61)
    const base = hash4(this.seed, this.key, day, 0x100000 + minute)
    for (let k = 1; k <= 60; k++) {
      w[k] = w[k - 1]! + gauss(draw(base, k * 3), draw(base, k * 3 + 1)) * s
    }
    // The trading seconds: the first `count` of a partial shuffle of 0..59, in time order.
    const count = Math.max(1, Math.min(60, Math.floor(v / minLotsPerSecond)))
    const order = new Uint8Array(60)
    for (let k = 0; k < 60; k++) order[k] = k
    if (count < 60) {
      for (let i = 0; i < count; i++) {
        const j = i + (draw(base, 0x200 + i) % (60 - i))
        const t = order[i]!
        order[i] = order[j]!
        order[j] = t
      }
    }
    const traded = order.subarray(0, count).sort()
    const r = draw(base, 0)
    const iHigh = traded[r % count]!
    const iLow = count === 1 ? iHigh : traded[((r % count) + 1 + ((r >>> 8) % (count - 1))) % count]!
    const last = traded[count - 1]!
    let prev = o
    let weights = 0
    const weight = new Float64Array(60)
    for (let k = 0, t = 0; k < 60; k++) {
      if (traded[t] !== k) {
        out[k * 5] = prev
        out[k * 5 + 1] = prev
        out[k * 5 + 2] = prev
        out[k * 5 + 3] = prev
        continue
      }
      t++
      const j = k + 1
      const next =
        k === last ? c : Math.min(h, Math.max(l, Math.round(o + ((c - o) * j) / 60 + w[j]! - (j / 60) * w[60]!)))
      out[k * 5] = prev
      out[k * 5 + 1] = k === iHigh ? h : Math.max(prev, next)
      out[k * 5 + 2] = k === iLow ? l : Math.min(prev, next)
      out[k * 5 + 3] = next
      weight[k] = 1 + (draw(base, k * 3 + 2) & 7)
      weights += weight[k]!
      prev = next
    }
    // Volume: the minimum lots each, the rest by weight, what flooring leaves one lot at a time.
    const rest = v - count * minLotsPerSecond
    let assigned = 0
    for (const k of traded) {
      const share = Math.floor((rest * weight[k]!) / weights)
      out[k * 5 + 4] = minLotsPerSecond + share
      assigned += share
    }
    for (let i = 0; assigned < rest; i = (i + 1) % count) {
      out[traded[i]! * 5 + 4]!++
      assigned++
    }
    this.seconds.set(key, out)
    return out
  }
}

/** A price override step: from second `at` on, `delta` ticks are added to the contract's path. */
interface Step {
  readonly at: number
  readonly delta: number
}

/** Where day (and week, month) bars cut: 00:00 UTC (as the Gateway's) or the CME session open. */
export type DayBars = "utc" | "session"

export interface MarketOptions {
  readonly seed: number
  readonly historyStartMs: number
  readonly tradingHours: TradingHours
  /** Default "utc". */
  readonly dayBars?: DayBars | undefined
}

export class Market {
  readonly historyStartSec: number
  private readonly series: Array<Series>
  private readonly steps = new Map<string, Array<Step>>()
  readonly isTradingDay: (day: number) => boolean
  readonly hours: Hours
  readonly dayBars: DayBars
  readonly options: MarketOptions

  constructor(options: MarketOptions) {
    this.options = options
    this.historyStartSec = Math.floor(options.historyStartMs / 86_400_000) * DAY
    const startDay = this.historyStartSec / DAY
    this.hours = new Hours(options.tradingHours)
    this.dayBars = options.dayBars ?? "utc"
    // A day moves the walk when it has any open second (Sunday's evening session included).
    this.isTradingDay = (day) => day >= startDay && this.hours.openIntervals(day).length > 0
    this.series = roots.map((_, i) => new Series(options.seed >>> 0, i, startDay, this.isTradingDay))
  }

  /** Whether the market trades at `ms`. */
  isOpen(ms: number): boolean {
    const sec = Math.floor(ms / 1000)
    return sec >= this.historyStartSec && this.hours.isOpen(sec)
  }

  /**
   * For a bar slot [s0, e0) with no open second: the last open second before it, so a walk
   * backwards can jump over the whole closure (-1 when there is none); undefined when the slot trades.
   */
  closedSlotJump(s0: number, e0: number): number | undefined {
    if (this.hours.isOpen(s0)) return undefined
    const next = this.hours.nextOpen(s0)
    if (next !== undefined && next < e0) return undefined
    const last = this.hours.lastOpen(s0 - 1)
    return last === undefined || last < this.historyStartSec ? -1 : last
  }

  /** A constant per-quarter basis so the months of a root differ (deterministic). */
  basis(c: ContractInfo): number {
    return (hash4(this.options.seed, c.rootIndex, c.quarter, 0x5eed) % 9) * 4
  }

  /** The offset in ticks of a contract at second `sec`. */
  offsetAt(c: ContractInfo, sec: number): number {
    const steps = this.steps.get(c.id)
    if (steps === undefined) return 0
    let off = 0
    for (const s of steps) if (s.at <= sec) off += s.delta
    return off
  }

  /** Moves a contract's price by `delta` ticks from second `sec` on. */
  nudge(c: ContractInfo, sec: number, delta: number): void {
    if (delta === 0) return
    const steps = this.steps.get(c.id) ?? []
    steps.push({ at: sec, delta })
    steps.sort((a, b) => a.at - b.at)
    this.steps.set(c.id, steps)
  }

  clearOverrides(): void {
    this.steps.clear()
  }

  /**
   * Calls `f` for each block of the path in [a, b) seconds, in order, using the coarsest aligned
   * blocks (day, hour, minute, second) and splitting at price-override steps. Closed days yield
   * nothing.
   */
  forEachBlock(c: ContractInfo, a: number, b: number, f: (block: Block) => void): void {
    this.walk(c, a, b, new BlockEmitter(f))
  }

  /** Aggregates [a, b) seconds into `agg` (reset first); the allocation-free path bars use. */
  aggregate(c: ContractInfo, a: number, b: number, agg: Agg): Agg {
    agg.reset()
    this.walk(c, a, b, agg)
    return agg
  }

  /** The one step walk: [a, b) seconds of a contract's path into `sink`, split at override steps. */
  private walk(c: ContractInfo, a: number, b: number, sink: BlockSink): void {
    if (a < this.historyStartSec) a = this.historyStartSec
    if (b <= a) return
    const steps = this.steps.get(c.id)
    const basis = this.basis(c)
    if (steps === undefined || steps.length === 0) {
      this.walkSpan(c.rootIndex, a, b, basis, sink)
      return
    }
    let start = a
    let off = basis
    for (const s of steps) {
      if (s.at <= start) {
        off += s.delta
        continue
      }
      if (s.at >= b) break
      this.walkSpan(c.rootIndex, start, s.at, off, sink)
      start = s.at
      off += s.delta
    }
    this.walkSpan(c.rootIndex, start, b, off, sink)
  }

  /**
   * [a, b) seconds of one root's path at offset `off`, in the coarsest aligned blocks: whole days and
   * hours from the memoised summaries, runs of minutes and seconds straight from their arrays.
   */
  private walkSpan(rootIndex: number, a: number, b: number, off: number, sink: BlockSink): void {
    const series = this.series[rootIndex]!
    let t = a
    while (t < b) {
      const day = Math.floor(t / DAY)
      const dayStart = day * DAY
      if (this.isTradingDay(day)) {
        const open = this.hours.openIntervals(day)
        for (let k = 0; k < open.length; k += 2) {
          const s = Math.max(t, dayStart + open[k]!)
          const e = Math.min(b, dayStart + open[k + 1]!)
          if (s < e) this.walkOpen(series, day, s, e, off, sink)
        }
      }
      t = dayStart + DAY
    }
  }

  /** [a, b) inside one UTC day and one open interval: whole day, hours, runs of minutes, seconds. */
  private walkOpen(series: Series, day: number, a: number, b: number, off: number, sink: BlockSink): void {
    const dayStart = day * DAY
    let t = a
    while (t < b) {
      const inDay = t - dayStart
      if (inDay === 0 && t + DAY <= b) {
        const s = series.summary(day).hours
        sink.block(t, DAY, s[120]! + off, s[121]! + off, s[122]! + off, s[123]! + off, s[124]!)
        t += DAY
      } else if (inDay % 3600 === 0 && t + 3600 <= b) {
        const s = series.summary(day).hours
        const i = (inDay / 3600) * 5
        sink.block(t, 3600, s[i]! + off, s[i + 1]! + off, s[i + 2]! + off, s[i + 3]! + off, s[i + 4]!)
        t += 3600
      } else if (inDay % 60 === 0 && t + 60 <= b) {
        const d = series.day(day)
        // Runs of whole minutes up to the next hour (or the end): read the arrays directly.
        let m = inDay / 60
        const stop = Math.min(b, inDay % 3600 === 0 ? b : (Math.floor(inDay / 3600) + 1) * 3600 + dayStart)
        while (t + 60 <= stop) {
          sink.block(t, 60, d.o[m]! + off, d.h[m]! + off, d.l[m]! + off, d.c[m]! + off, d.v[m]!)
          t += 60
          m++
        }
      } else {
        const m = Math.floor(inDay / 60)
        const secs = series.secondsOf(day, m)
        let i = (inDay % 60) * 5
        const stop = Math.min(b, dayStart + (m + 1) * 60)
        while (t < stop) {
          sink.block(t, 1, secs[i]! + off, secs[i + 1]! + off, secs[i + 2]! + off, secs[i + 3]! + off, secs[i + 4]!)
          t++
          i += 5
        }
      }
    }
  }

  /**
   * The last traded price (ticks) at `ms`: the close of the current second while the market is
   * open, the close of the last open second otherwise; undefined before history starts.
   */
  lastTicks(c: ContractInfo, ms: number): number | undefined {
    const sec = Math.floor(ms / 1000)
    if (sec < this.historyStartSec) return undefined
    const series = this.series[c.rootIndex]!
    const off = this.basis(c) + this.offsetAt(c, sec)
    const at = this.hours.isOpen(sec) ? sec : this.hours.lastOpen(sec)
    if (at === undefined || at < this.historyStartSec) return series.level(Math.floor(sec / DAY)) + off
    const day = Math.floor(at / DAY)
    const inDay = at - day * DAY
    const secs = series.secondsOf(day, Math.floor(inDay / 60))
    return secs[(inDay % 60) * 5 + 3]! + off
  }

  /** The last price as a number. */
  lastPrice(c: ContractInfo, ms: number): number | undefined {
    const t = this.lastTicks(c, ms)
    return t === undefined ? undefined : priceOf(c, t)
  }
}
