// When the simulated market trades: CME Globex equity-futures hours (Sunday 17:00 → Friday 16:00
// America/Chicago, daily halt 16:00–17:00 CT, the 2025–2027 holiday table) or always. Sessions become
// open intervals per UTC day, computed once per day with the real tz rules (Intl), so the hot paths
// (bars, matching) only read a small memoised array.

/** `cme`: CME Globex hours and holidays; `always`: never closes (tests, demos). */
export type TradingHours = "cme" | "always"

const DAY = 86_400
const HOUR = 3_600

/**
 * How a CME trade date ends when it is not a plain 16:00 CT close: `closed` (no session for that
 * trade date), or the CT minute of day the session ends (12:00 holiday halt, 12:15 early close).
 * Source: CME Group's published holiday calendars for equity-index futures (see the README).
 */
type Rule = "closed" | number

const halt = 12 * 60
const early = 12 * 60 + 15

/** CME equity-futures holiday schedule, by trade date (America/Chicago). */
export const holidays: Readonly<Record<string, Rule>> = {
  // 2025
  "2025-01-01": "closed", // New Year's Day
  "2025-01-20": halt, // Martin Luther King Jr. Day
  "2025-02-17": halt, // Presidents' Day
  "2025-04-18": "closed", // Good Friday
  "2025-05-26": halt, // Memorial Day
  "2025-06-19": halt, // Juneteenth
  "2025-07-03": early, // Independence Day eve
  "2025-07-04": halt, // Independence Day
  "2025-09-01": halt, // Labor Day
  "2025-11-27": halt, // Thanksgiving
  "2025-11-28": early, // Day after Thanksgiving
  "2025-12-24": early, // Christmas Eve
  "2025-12-25": "closed", // Christmas
  // 2026
  "2026-01-01": "closed",
  "2026-01-19": halt,
  "2026-02-16": halt,
  "2026-04-03": "closed",
  "2026-05-25": halt,
  "2026-06-19": halt,
  "2026-07-03": halt, // Independence Day observed (July 4 is a Saturday)
  "2026-09-07": halt,
  "2026-11-26": halt,
  "2026-11-27": early,
  "2026-12-24": early,
  "2026-12-25": "closed",
  // 2027
  "2027-01-01": "closed",
  "2027-01-18": halt,
  "2027-02-15": halt,
  "2027-03-26": "closed",
  "2027-05-31": halt,
  "2027-06-18": halt, // Juneteenth observed (June 19 is a Saturday)
  "2027-07-05": halt, // Independence Day observed (July 4 is a Sunday)
  "2027-09-06": halt,
  "2027-11-25": halt,
  "2027-11-26": early,
  "2027-12-24": "closed" // Christmas observed (December 25 is a Saturday)
}

/** The session open (17:00 CT on the day before the trade date) and the normal close (16:00 CT). */
const openMinute = 17 * 60
const closeMinute = 16 * 60

const chicagoHour = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Chicago",
  hour: "numeric",
  hourCycle: "h23"
})

const none = new Int32Array(0)
const allDay = Int32Array.of(0, DAY)

// The CME calendar is a pure function of the date: memoised once per process, shared by every market.
const cmeIntervals = new Map<number, Int32Array>()
const offsets = new Map<number, number>()

export class Hours {
  readonly mode: TradingHours
  private lastDay = Number.NaN
  private lastIntervals: Int32Array = none

  constructor(mode: TradingHours) {
    this.mode = mode
  }

  /**
   * Hours Chicago is behind UTC in the afternoon of epoch day `date` (6 in CST, 5 in CDT). DST
   * switches at 02:00 local, so the afternoon offset holds for every session boundary of that date.
   */
  chicagoOffset(date: number): number {
    let off = offsets.get(date)
    if (off === undefined) {
      // 18:00 UTC is 12:00 CST or 13:00 CDT on the same date.
      off = 18 - Number(chicagoHour.format(new Date((date * DAY + 18 * HOUR) * 1000)))
      offsets.set(date, off)
    }
    return off
  }

  /** UTC second of `minute` (CT minute of day) on epoch day `date` in Chicago. */
  chicago(date: number, minute: number): number {
    return date * DAY + minute * 60 + this.chicagoOffset(date) * HOUR
  }

  /** The session of CME trade date `date` as [open, close) UTC seconds, or undefined when none. */
  session(date: number): readonly [number, number] | undefined {
    const weekday = (date + 4) % 7 // 0 = Sunday
    if (weekday === 0 || weekday === 6) return undefined
    const rule = holidays[new Date(date * DAY * 1000).toISOString().slice(0, 10)]
    if (rule === "closed") return undefined
    return [this.chicago(date - 1, openMinute), this.chicago(date, rule ?? closeMinute)]
  }

  /** Open intervals of UTC day `day` as [from, to) second-of-day pairs, in order (memoised). */
  openIntervals(day: number): Int32Array {
    if (day === this.lastDay) return this.lastIntervals
    let open = this.mode === "always" ? allDay : cmeIntervals.get(day)
    if (open === undefined) {
      open = this.compute(day)
      cmeIntervals.set(day, open)
    }
    this.lastDay = day
    this.lastIntervals = open
    return open
  }

  private compute(day: number): Int32Array {
    // A UTC day meets the end of trade date `day` and the start of trade date `day + 1`.
    const start = day * DAY
    const pairs: Array<number> = []
    for (const date of [day, day + 1]) {
      const s = this.session(date)
      if (s === undefined) continue
      const a = Math.max(s[0], start)
      const b = Math.min(s[1], start + DAY)
      if (a >= b) continue
      if (pairs.length > 0 && pairs[pairs.length - 1] === a - start) pairs[pairs.length - 1] = b - start
      else pairs.push(a - start, b - start)
    }
    return pairs.length === 0 ? none : Int32Array.from(pairs)
  }

  isOpen(sec: number): boolean {
    const day = Math.floor(sec / DAY)
    const inDay = sec - day * DAY
    const open = this.openIntervals(day)
    for (let k = 0; k < open.length; k += 2) if (inDay >= open[k]! && inDay < open[k + 1]!) return true
    return false
  }

  /** The first open second at or after `sec` (looks ahead two weeks at most). */
  nextOpen(sec: number): number | undefined {
    let day = Math.floor(sec / DAY)
    for (let i = 0; i < 15; i++, day++) {
      const open = this.openIntervals(day)
      const start = day * DAY
      for (let k = 0; k < open.length; k += 2) {
        if (start + open[k + 1]! > sec) return Math.max(sec, start + open[k]!)
      }
    }
    return undefined
  }

  /** The last open second at or before `sec` (looks back two weeks at most). */
  lastOpen(sec: number): number | undefined {
    let day = Math.floor(sec / DAY)
    for (let i = 0; i < 15; i++, day--) {
      const open = this.openIntervals(day)
      const start = day * DAY
      for (let k = open.length - 2; k >= 0; k -= 2) {
        if (start + open[k]! <= sec) return Math.min(sec, start + open[k + 1]! - 1)
      }
    }
    return undefined
  }
}
