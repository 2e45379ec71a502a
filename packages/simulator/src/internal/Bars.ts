// History/retrieveBars: bar slots for every unit, newest first, built straight into JSON text (the
// contract's Bar shape: t, o, h, l, c, v) because a 20,000-bar reply must take well under 50 ms.
import type { Bar as GatewayBar } from "@projectx-effect/gateway"
import { type ContractInfo, priceOf } from "./Contracts.ts"
import type { Hours } from "./Hours.ts"
import { Agg, type Market } from "./Market.ts"

const DAY = 86_400

/** AggregateBarUnit values the simulator serves: 1 Second … 6 Month. */
export const Unit = { Second: 1, Minute: 2, Hour: 3, Day: 4, Week: 5, Month: 6 } as const

export const maxBars = 20_000

/**
 * Start (inclusive) and end (exclusive) second of the bar slot containing `sec`. Days, weeks and
 * months cut at 00:00 UTC (weeks on Monday), as the Gateway's daily bars do, unless `session` is
 * given: then they cut at the CME session open, 17:00 America/Chicago on the eve of the trade date.
 */
export const slotOf = (unit: number, n: number, sec: number, session?: Hours): readonly [number, number] => {
  switch (unit) {
    case Unit.Second:
    case Unit.Minute:
    case Unit.Hour: {
      const len = n * (unit === Unit.Second ? 1 : unit === Unit.Minute ? 60 : 3600)
      const start = Math.floor(sec / len) * len
      return [start, start + len]
    }
    case Unit.Day: {
      if (session !== undefined) {
        const first = Math.floor(tradeDate(session, sec) / n) * n
        return [sessionOpen(session, first), sessionOpen(session, first + n)]
      }
      const day = Math.floor(sec / DAY)
      const start = Math.floor(day / n) * n * DAY
      return [start, start + n * DAY]
    }
    case Unit.Week: {
      // Weeks start on Monday (epoch day 4 was a Monday): 00:00 UTC, or Sunday's 17:00 CT open.
      const day = session === undefined ? Math.floor(sec / DAY) : tradeDate(session, sec)
      const first = 4 + 7 * Math.floor(Math.floor((day - 4) / 7) / n) * n
      if (session !== undefined) return [sessionOpen(session, first), sessionOpen(session, first + 7 * n)]
      return [first * DAY, (first + 7 * n) * DAY]
    }
    default: {
      const day = session === undefined ? Math.floor(sec / DAY) : tradeDate(session, sec)
      const d = new Date(day * DAY * 1000)
      const month = d.getUTCFullYear() * 12 + d.getUTCMonth()
      const s = Math.floor(month / n) * n
      const e = s + n
      const first = Date.UTC(Math.floor(s / 12), s % 12, 1) / 1000 / DAY
      const last = Date.UTC(Math.floor(e / 12), e % 12, 1) / 1000 / DAY
      if (session !== undefined) return [sessionOpen(session, first), sessionOpen(session, last)]
      return [first * DAY, last * DAY]
    }
  }
}

/** The CME trade date (epoch day) a second belongs to: from 17:00 CT on, the next one. */
const tradeDate = (hours: Hours, sec: number): number => {
  const day = Math.floor(sec / DAY)
  return sec >= hours.chicago(day, 17 * 60) ? day + 1 : day
}

/** The first second of trade date `date`: 17:00 CT the calendar day before. */
const sessionOpen = (hours: Hours, date: number): number => hours.chicago(date - 1, 17 * 60)

/** `2025-07-18T21:00:00+00:00`, the Gateway's bar timestamp form. */
export const formatTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + "+00:00"

export interface BarsRequest {
  readonly contract: ContractInfo
  readonly unit: number
  readonly unitNumber: number
  readonly startMs: number
  readonly endMs: number
  readonly limit: number
  readonly includePartialBar: boolean
  readonly nowMs: number
}

/** A bar as the Gateway sends it (the contract's Bar Schema, encoded side). */
export type WireBar = (typeof GatewayBar)["Encoded"]

/**
 * Visits the bars of a request, newest first, at most `limit` of them. Slots with no trading are
 * skipped; the slot containing "now" is included only with `includePartialBar`.
 */
export const forEachBar = (market: Market, req: BarsRequest, f: (startSec: number, agg: Agg) => void): number => {
  const { contract, unit, unitNumber: n, nowMs } = req
  const nowSec = Math.floor(nowMs / 1000)
  const expirySec = Math.floor(contract.expiresAt / 1000)
  const startSec = Math.max(Math.ceil(req.startMs / 1000), market.historyStartSec)
  let cursor = Math.min(Math.floor(req.endMs / 1000), nowSec, expirySec)
  const agg = new Agg()
  const session = market.dayBars === "session" ? market.hours : undefined
  let count = 0
  while (count < req.limit && cursor >= startSec) {
    const [s0, e0] = slotOf(unit, n, cursor, session)
    if (s0 < startSec) break
    cursor = s0 - 1
    const jump = market.closedSlotJump(s0, e0)
    if (jump !== undefined) {
      // A slot with no open second: jump over the whole closure instead of visiting each of its slots.
      cursor = Math.min(cursor, jump)
      continue
    }
    const partial = e0 * 1000 > nowMs
    if (partial && !req.includePartialBar) continue
    const end = Math.min(e0, nowSec + 1, expirySec + 1)
    market.aggregate(contract, s0, end, agg)
    if (!agg.has) continue
    f(s0, agg)
    count++
  }
  return count
}

/** An append-only ASCII byte buffer. */
class Writer {
  buf = new Uint8Array(1 << 16)
  pos = 0
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
  ascii(s: string): void {
    this.ensure(s.length)
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i)
  }
  /** A non-negative integer. */
  uint(n: number): void {
    let digits = 1
    for (let p = 10; p <= n; p *= 10) digits++
    let i = this.pos + digits
    this.pos = i
    do {
      const q = Math.floor(n / 10)
      this.buf[--i] = 48 + (n - q * 10)
      n = q
    } while (n > 0)
  }
  /** The exact decimal n / 10^decimals, printed as JSON prints the nearest double. */
  decimal(n: number, decimals: number, pow: number): void {
    this.ensure(32)
    if (n < 0) {
      this.buf[this.pos++] = 45
      n = -n
    }
    const q = Math.floor(n / pow)
    let r = n - q * pow
    this.uint(q)
    if (r === 0) return
    this.buf[this.pos++] = 46
    let digits = decimals
    while (r % 10 === 0) {
      r /= 10
      digits--
    }
    let i = this.pos + digits
    this.pos = i
    for (let k = 0; k < digits; k++) {
      const d = r % 10
      this.buf[--i] = 48 + d
      r = (r - d) / 10
    }
  }
  two(n: number): void {
    this.buf[this.pos++] = 48 + Math.floor(n / 10)
    this.buf[this.pos++] = 48 + (n % 10)
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

/**
 * A whole JSON reply whose `bars` array is written byte by byte: `prefix` + bars + `suffix`
 * (e.g. `{"bars":` and `,"success":true,...}`).
 */
export const barsReply = (market: Market, req: BarsRequest, prefix: string, suffix: string): Uint8Array => {
  const c = req.contract
  const pow = 10 ** c.decimals
  const dec = c.decimals
  const u = c.tickUnits
  const w = new Writer()
  w.ascii(prefix)
  w.ascii("[")
  let first = true
  let cachedDay = Number.NaN
  let datePrefix = ""
  forEachBar(market, req, (sec, a) => {
    w.ensure(160)
    if (!first) w.buf[w.pos++] = 44
    first = false
    const day = Math.floor(sec / DAY)
    if (day !== cachedDay) {
      cachedDay = day
      datePrefix = '{"t":"' + new Date(day * DAY * 1000).toISOString().slice(0, 11)
    }
    w.ascii(datePrefix)
    const sd = sec - day * DAY
    w.two(Math.floor(sd / 3600))
    w.buf[w.pos++] = 58
    w.two(Math.floor(sd / 60) % 60)
    w.buf[w.pos++] = 58
    w.two(sd % 60)
    w.ascii('+00:00","o":')
    w.decimal(a.o * u, dec, pow)
    w.ascii(',"h":')
    w.decimal(a.h * u, dec, pow)
    w.ascii(',"l":')
    w.decimal(a.l * u, dec, pow)
    w.ascii(',"c":')
    w.decimal(a.c * u, dec, pow)
    w.ascii(',"v":')
    w.uint(a.v)
    w.buf[w.pos++] = 125
  })
  w.ascii("]")
  w.ascii(suffix)
  return w.bytes()
}

/** The bars of a request as the JSON text of the `bars` array. */
export const barsJson = (market: Market, req: BarsRequest): string =>
  new TextDecoder().decode(barsReply(market, req, "", ""))

/** The bars of a request as objects (tests, admin). */
export const bars = (market: Market, req: BarsRequest): Array<WireBar> => {
  const c = req.contract
  const out: Array<WireBar> = []
  forEachBar(market, req, (s, a) => {
    out.push({
      t: formatTime(s * 1000),
      o: priceOf(c, a.o),
      h: priceOf(c, a.h),
      l: priceOf(c, a.l),
      c: priceOf(c, a.c),
      v: a.v
    })
  })
  return out
}
