/**
 * Market prints aggregated into bars of any unit, on the Gateway's own slot grid (UTC; weeks from Monday;
 * months by calendar), so a live bar and a REST bar of the same slot cover the same time. The aggregator is
 * seeded with REST history and a cut-off: prints before it are already in that history and are dropped, so
 * the seam has neither a gap nor a duplicate.
 */
import { AggregateBarUnit } from "@projectx-effect/gateway"

export interface LiveBar {
  /** Slot start (the Gateway's `t`). */
  readonly t: Date
  readonly o: number
  readonly h: number
  readonly l: number
  readonly c: number
  readonly v: number
}

/** A bar update: the slot's bar so far, or the bar of a slot that has ended. */
export type BarUpdate =
  | { readonly _tag: "Partial"; readonly bar: LiveBar }
  | { readonly _tag: "Closed"; readonly bar: LiveBar }

const DAY = 86_400_000

/** The slot `[start, end)` in ms containing `ms`, for `unit` × `unitNumber` (mirrors History/retrieveBars). */
export const slotOf = (unit: number, unitNumber: number, ms: number): readonly [number, number] => {
  const n = Math.max(1, Math.floor(unitNumber))
  switch (unit) {
    case AggregateBarUnit.Second:
    case AggregateBarUnit.Minute:
    case AggregateBarUnit.Hour: {
      const len = n * (unit === AggregateBarUnit.Second ? 1000 : unit === AggregateBarUnit.Minute ? 60_000 : 3_600_000)
      const start = Math.floor(ms / len) * len
      return [start, start + len]
    }
    case AggregateBarUnit.Day: {
      const start = Math.floor(Math.floor(ms / DAY) / n) * n * DAY
      return [start, start + n * DAY]
    }
    case AggregateBarUnit.Week: {
      // Weeks start on Monday 00:00 UTC (epoch day 4 was a Monday).
      const week = Math.floor((Math.floor(ms / DAY) - 4) / 7)
      const start = (4 + 7 * Math.floor(week / n) * n) * DAY
      return [start, start + 7 * n * DAY]
    }
    case AggregateBarUnit.Month: {
      const d = new Date(ms)
      const month = d.getUTCFullYear() * 12 + d.getUTCMonth()
      const s = Math.floor(month / n) * n
      const e = s + n
      return [Date.UTC(Math.floor(s / 12), s % 12, 1), Date.UTC(Math.floor(e / 12), e % 12, 1)]
    }
    default:
      throw new RangeError(`bars of unit ${unit} cannot be built from prints`)
  }
}

/** Where REST history and the prints join (`joinHistory`). */
export interface HistoryJoin {
  /** REST bars that are closed for certain, ascending. */
  readonly closed: ReadonlyArray<LiveBar>
  /** The newest REST bar when it may still be forming: prints continue it. */
  readonly partial: LiveBar | undefined
  /** Start of the seam slot (the subscription began inside it): its closed bar is REST's. */
  readonly seam: number
  /** Prints before this instant are in `closed` or `partial` already. */
  readonly cutoffMs: number
}

/**
 * Splits REST's bars (ascending, read with the partial bar, up to a slot past the one containing the
 * client's `nowMs`) into history and the seam. The newest is taken as still forming when it ends at or
 * after the start of the client's slot: the server's clock may be a slot behind the client's or ahead of
 * it. Taking a closed bar for the seam costs a REST read when it closes; taking a forming bar for history
 * would emit a partial bar as closed and drop its later prints. The cut-off never passes the seam slot's
 * end, so a client clock ahead of the server's drops no print of the next slot.
 */
export const joinHistory = (
  unit: number,
  unitNumber: number,
  rows: ReadonlyArray<LiveBar>,
  nowMs: number
): HistoryJoin => {
  const [slotStart] = slotOf(unit, unitNumber, nowMs)
  const newest = rows.at(-1)
  if (newest !== undefined) {
    const [start, end] = slotOf(unit, unitNumber, newest.t.getTime())
    if (end >= slotStart)
      return { closed: rows.slice(0, -1), partial: newest, seam: start, cutoffMs: Math.min(nowMs, end) }
  }
  // Nothing forming: REST saw no print after its newest bar, so every later print is new.
  return { closed: rows, partial: undefined, seam: slotStart, cutoffMs: Number.NEGATIVE_INFINITY }
}

interface Building {
  start: number
  end: number
  o: number
  h: number
  l: number
  c: number
  v: number
}

const freeze = (b: Building): LiveBar => ({ t: new Date(b.start), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v })

export class BarAggregator {
  private current: Building | undefined = undefined
  /** Prints before this instant are in the REST history already. */
  private cutoff = Number.NEGATIVE_INFINITY
  /** Start of the last slot emitted as closed: nothing at or before it is emitted again. */
  private lastClosed = Number.NEGATIVE_INFINITY
  /** Prints dropped because they were older than the seam or than a closed bar. */
  late = 0

  readonly unit: number
  readonly unitNumber: number

  constructor(unit: number, unitNumber: number) {
    slotOf(unit, unitNumber, 0)
    this.unit = unit
    this.unitNumber = unitNumber
  }

  /**
   * Joins REST history: `closed` are whole bars (ascending), `partial` the slot in progress as REST saw it at
   * `cutoffMs`. Prints before `cutoffMs` are dropped; later ones extend `partial`.
   */
  seed(closed: ReadonlyArray<LiveBar>, partial: LiveBar | undefined, cutoffMs: number): void {
    const last = closed.at(-1)
    if (last !== undefined) {
      const [start, end] = slotOf(this.unit, this.unitNumber, last.t.getTime())
      this.lastClosed = start
      this.cutoff = Math.max(end, cutoffMs)
    } else {
      this.cutoff = cutoffMs
    }
    if (partial !== undefined) {
      const [start, end] = slotOf(this.unit, this.unitNumber, partial.t.getTime())
      if (start > this.lastClosed) this.current = { start, end, ...partial }
    }
  }

  /** The slot in progress, if any print (or the seed) has opened one. */
  get partial(): LiveBar | undefined {
    return this.current === undefined ? undefined : freeze(this.current)
  }

  /** Adds one print; returns the bar it closed (if it opened a new slot) and the updated partial bar. */
  push(price: number, volume: number, ms: number): ReadonlyArray<BarUpdate> {
    if (ms < this.cutoff) {
      this.late++
      return []
    }
    const cur = this.current
    if (cur !== undefined && ms >= cur.start && ms < cur.end) {
      if (price > cur.h) cur.h = price
      if (price < cur.l) cur.l = price
      cur.c = price
      cur.v += volume
      return [{ _tag: "Partial", bar: freeze(cur) }]
    }
    const [start, end] = slotOf(this.unit, this.unitNumber, ms)
    if ((cur !== undefined && start < cur.start) || start <= this.lastClosed) {
      this.late++
      return []
    }
    const out: Array<BarUpdate> = []
    if (cur !== undefined) out.push(this.close(cur))
    const next: Building = { start, end, o: price, h: price, l: price, c: price, v: volume }
    this.current = next
    out.push({ _tag: "Partial", bar: freeze(next) })
    return out
  }

  /** Closes the slot in progress once `nowMs` has passed its end (time moves on without prints). */
  tick(nowMs: number): ReadonlyArray<BarUpdate> {
    const cur = this.current
    if (cur === undefined || nowMs < cur.end) return []
    this.current = undefined
    return [this.close(cur)]
  }

  private close(b: Building): BarUpdate {
    this.lastClosed = b.start
    return { _tag: "Closed", bar: freeze(b) }
  }
}
