/**
 * A bounded L2 book for one contract, built from `GatewayDepth` entries. Each side is a pair of sorted
 * parallel arrays (best first), so an update is a binary search and at most one short splice, the best
 * level is index 0, and a snapshot is a slice: no tree, no per-level objects, nothing allocated per entry
 * (project-x-py #82 burned 99 % CPU on six contracts rebuilding frames per message).
 */
import { DomType } from "@projectx-effect/gateway"

export interface DepthEntryLike {
  readonly type: number
  readonly price: number
  readonly volume: number
}

export interface Level {
  readonly price: number
  readonly volume: number
}

export interface BookView {
  /** Best (highest) bid first. */
  readonly bids: ReadonlyArray<Level>
  /** Best (lowest) ask first. */
  readonly asks: ReadonlyArray<Level>
  readonly bestBid: Level | undefined
  readonly bestAsk: Level | undefined
  /** The last print (DomType Trade or Fill), and the session low and high when sent. */
  readonly lastTrade: Level | undefined
  readonly sessionLow: number | undefined
  readonly sessionHigh: number | undefined
  /** Entries applied since the book was made, resets seen, and levels dropped beyond the bound. */
  readonly updates: number
  readonly resets: number
  readonly dropped: number
}

/** One side: prices sorted best first (descending for bids, ascending for asks) and their volumes. */
class Side {
  readonly prices: Array<number> = []
  readonly volumes: Array<number> = []
  private readonly descending: boolean
  private readonly max: number

  constructor(descending: boolean, max: number) {
    this.descending = descending
    this.max = max
  }

  /** True when `a` is a better price than `b` on this side. */
  private better(a: number, b: number): boolean {
    return this.descending ? a > b : a < b
  }

  /** The index of `price`, or the insertion point as `-(index + 1)`. */
  private find(price: number): number {
    const prices = this.prices
    let lo = 0
    let hi = prices.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const p = prices[mid]!
      if (p === price) return mid
      if (this.better(p, price)) lo = mid + 1
      else hi = mid - 1
    }
    return -(lo + 1)
  }

  /** Sets a level (volume 0 removes it); returns the number of levels dropped to keep the bound. */
  set(price: number, volume: number): number {
    const i = this.find(price)
    if (i >= 0) {
      if (volume > 0) this.volumes[i] = volume
      else {
        this.prices.splice(i, 1)
        this.volumes.splice(i, 1)
      }
      return 0
    }
    if (volume <= 0) return 0
    const at = -i - 1
    if (at >= this.max) return 1
    this.prices.splice(at, 0, price)
    this.volumes.splice(at, 0, volume)
    if (this.prices.length > this.max) {
      this.prices.pop()
      this.volumes.pop()
      return 1
    }
    return 0
  }

  /** Removes every level better than `price` (a new best makes them stale). */
  trimBetterThan(price: number): void {
    let n = 0
    while (n < this.prices.length && this.better(this.prices[n]!, price)) n++
    if (n > 0) {
      this.prices.splice(0, n)
      this.volumes.splice(0, n)
    }
  }

  clear(): void {
    this.prices.length = 0
    this.volumes.length = 0
  }

  levels(depth: number): Array<Level> {
    const n = Math.min(depth, this.prices.length)
    const out = new Array<Level>(n)
    for (let i = 0; i < n; i++) out[i] = { price: this.prices[i]!, volume: this.volumes[i]! }
    return out
  }

  best(): Level | undefined {
    return this.prices.length === 0 ? undefined : { price: this.prices[0]!, volume: this.volumes[0]! }
  }
}

export class L2Book {
  private readonly bids: Side
  private readonly asks: Side
  private lastTrade: Level | undefined = undefined
  private low: number | undefined = undefined
  private high: number | undefined = undefined
  updates = 0
  resets = 0
  dropped = 0

  /** `maxLevels` bounds each side; levels beyond it (the worst ones) are dropped and counted. */
  readonly maxLevels: number

  constructor(maxLevels = 100) {
    this.maxLevels = maxLevels
    this.bids = new Side(true, maxLevels)
    this.asks = new Side(false, maxLevels)
  }

  /** Applies one entry (see gateway-api.md §9.5 for the DOM types). */
  apply(e: DepthEntryLike): void {
    this.updates++
    switch (e.type) {
      case DomType.Ask:
        this.dropped += this.asks.set(e.price, e.volume)
        return
      case DomType.Bid:
        this.dropped += this.bids.set(e.price, e.volume)
        return
      case DomType.BestAsk:
      case DomType.NewBestAsk:
        this.asks.trimBetterThan(e.price)
        this.dropped += this.asks.set(e.price, e.volume)
        return
      case DomType.BestBid:
      case DomType.NewBestBid:
        this.bids.trimBetterThan(e.price)
        this.dropped += this.bids.set(e.price, e.volume)
        return
      case DomType.Reset:
        this.bids.clear()
        this.asks.clear()
        this.resets++
        return
      case DomType.Trade:
      case DomType.Fill:
        this.lastTrade = { price: e.price, volume: e.volume }
        return
      case DomType.Low:
        this.low = e.price
        return
      case DomType.High:
        this.high = e.price
        return
      default:
        return
    }
  }

  applyAll(entries: ReadonlyArray<DepthEntryLike>): void {
    for (let i = 0; i < entries.length; i++) this.apply(entries[i]!)
  }

  get bestBid(): Level | undefined {
    return this.bids.best()
  }

  get bestAsk(): Level | undefined {
    return this.asks.best()
  }

  /** A copy of the top `depth` levels per side (allocates only here, when a reader asks). */
  view(depth = this.maxLevels): BookView {
    return {
      bids: this.bids.levels(depth),
      asks: this.asks.levels(depth),
      bestBid: this.bids.best(),
      bestAsk: this.asks.best(),
      lastTrade: this.lastTrade,
      sessionLow: this.low,
      sessionHigh: this.high,
      updates: this.updates,
      resets: this.resets,
      dropped: this.dropped
    }
  }
}
