// Ticks for one contract, derived from the same deterministic path as the REST bars: every market
// second's bar (o, h, l, c, v) is walked through `n` ≥ 4 points o → first extreme → second extreme → c.
// A second that trades prints at each of those four points (the market gives it at least 4 lots) and
// spreads the rest of its volume over all points, so the prints of any span aggregate to exactly the
// REST bar of that span — the tape and the bars are one. A second without trades is quotes only.
import { type ContractInfo, priceOf } from "../Contracts.ts"
import { hash4, hashString } from "../Hash.ts"
import { Agg, type Market } from "../Market.ts"

/** One point of the path: its market time, price in ticks, and printed volume (0: a quote without a print). */
export interface Point {
  readonly ms: number
  readonly ticks: number
  readonly volume: number
}

/** The quote as the Gateway sends it in full (deltas are cut from this). */
export type WireQuote = Record<string, string | number>

const DAY_MS = 86_400_000

/** Points a second has at least: its open, two extremes and close are each one. */
export const minPointsPerSecond = 4

/**
 * The points of second `sec` (`n`, at least 4), from its one-second bar; empty when the market has no
 * bar there.
 */
export const pointsOf = (market: Market, c: ContractInfo, sec: number, rate: number): Array<Point> => {
  let bar: { o: number; h: number; l: number; c: number; v: number } | undefined
  market.forEachBlock(c, sec, sec + 1, (b) => {
    bar = b
  })
  if (bar === undefined) return []
  const n = Math.max(minPointsPerSecond, Math.floor(rate))
  const { o, h, l, c: close, v } = bar
  const [first, second] = close >= o ? [l, h] : [h, l]
  // Waypoints (index, ticks); with n ≥ 4 their indexes are distinct.
  const waypoints: ReadonlyArray<readonly [number, number]> = [
    [0, o],
    [Math.floor((n - 1) / 3), first],
    [Math.floor((2 * (n - 1)) / 3), second],
    [n - 1, close]
  ]
  // One lot at each waypoint (while there are lots: a trading second has 4 or more), the rest evenly,
  // its remainder from the first point on.
  const shape = Math.min(v, waypoints.length)
  const base = Math.floor((v - shape) / n)
  let extra = v - shape - base * n
  const out: Array<Point> = []
  let w = 0
  let lotted = 0
  for (let k = 0; k < n; k++) {
    while (waypoints[w + 1] !== undefined && waypoints[w + 1]![0] < k) w++
    const [fromK, from] = waypoints[w]!
    const [toK, to] = waypoints[w + 1] ?? waypoints[w]!
    const ticks = toK === fromK ? from : Math.round(from + ((to - from) * (k - fromK)) / (toK - fromK))
    let volume = base
    if (lotted < shape && waypoints[lotted]![0] === k) {
      volume++
      lotted++
    }
    if (extra > 0) {
      volume++
      extra--
    }
    out.push({ ms: sec * 1000 + Math.floor((k * 1000) / n), ticks: Math.min(h, Math.max(l, ticks)), volume })
  }
  return out
}

/** The running state of one contract's feed: last, best bid/ask, session open/high/low/volume. */
export class FeedState {
  readonly contract: ContractInfo
  private readonly market: Market
  private readonly key: number
  day = Number.NaN
  open = 0
  high = 0
  low = 0
  volume = 0
  prevClose = 0
  last = 0
  bid = 0
  ask = 0
  lastMs = 0
  ready = false

  constructor(market: Market, contract: ContractInfo) {
    this.market = market
    this.contract = contract
    this.key = hashString(contract.id)
  }

  /** Rebuilds the session from the bars up to `ms` (on start, a new day, or after skipping points). */
  resync(ms: number): boolean {
    const last = this.market.lastTicks(this.contract, ms)
    if (last === undefined) return false
    const day = Math.floor(ms / DAY_MS)
    const dayStartSec = (day * DAY_MS) / 1000
    const agg = this.market.aggregate(this.contract, dayStartSec, Math.floor(ms / 1000) + 1, new Agg())
    this.day = day
    this.open = agg.has ? agg.o : last
    this.high = agg.has ? agg.h : last
    this.low = agg.has ? agg.l : last
    this.volume = agg.v
    this.prevClose = this.market.lastTicks(this.contract, day * DAY_MS - 1) ?? last
    this.last = last
    this.bid = last
    this.ask = last + 1
    this.lastMs = ms
    this.ready = true
    return true
  }

  /** Applies one point: the aggressor side is the direction of the move. Returns the print side. */
  apply(p: Point): 0 | 1 {
    const day = Math.floor(p.ms / DAY_MS)
    if (day !== this.day) {
      // A new (UTC) session: the change is measured from the last price of the one before.
      this.day = day
      this.prevClose = this.last
      this.open = p.ticks
      this.high = p.ticks
      this.low = p.ticks
      this.volume = 0
    }
    const side = p.ticks >= this.last ? 0 : 1
    if (p.ticks > this.last) {
      this.ask = p.ticks
      this.bid = p.ticks - 1
    } else if (p.ticks < this.last) {
      this.bid = p.ticks
      this.ask = p.ticks + 1
    }
    this.last = p.ticks
    if (p.ticks > this.high) this.high = p.ticks
    if (p.ticks < this.low) this.low = p.ticks
    this.volume += p.volume
    this.lastMs = p.ms
    return side
  }

  price(ticks: number): number {
    return priceOf(this.contract, ticks)
  }

  quote(): WireQuote {
    const c = this.contract
    const stamp = new Date(this.lastMs).toISOString()
    const prev = this.price(this.prevClose)
    const change = this.price(this.last - this.prevClose)
    return {
      symbol: c.symbolId,
      symbolName: `/${c.spec.ticker}`,
      lastPrice: this.price(this.last),
      bestBid: this.price(this.bid),
      bestAsk: this.price(this.ask),
      change,
      changePercent: prev === 0 ? 0 : Math.round((change / prev) * 1_000_000) / 10_000,
      open: this.price(this.open),
      high: this.price(this.high),
      low: this.price(this.low),
      volume: this.volume,
      lastUpdated: stamp,
      timestamp: stamp
    }
  }

  /** The book around the current best bid and ask: `levels` per side, sizes fixed per level and second. */
  book(levels: number): { readonly bids: Map<number, number>; readonly asks: Map<number, number> } {
    const sec = Math.floor(this.lastMs / 1000)
    const size = (ticks: number, side: number) => 1 + (hash4(this.key, ticks, sec, side) % 60)
    const bids = new Map<number, number>()
    const asks = new Map<number, number>()
    for (let i = 0; i < levels; i++) {
      bids.set(this.bid - i, size(this.bid - i, 2))
      asks.set(this.ask + i, size(this.ask + i, 1))
    }
    return { bids, asks }
  }
}
