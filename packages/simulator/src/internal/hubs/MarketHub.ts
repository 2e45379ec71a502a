// The market hub: quote, trade and depth subscriptions per connection, fed by one timer that walks
// every subscribed contract's path up to the market clock. Each point is one quote (a full one first,
// then deltas per connection); a wake's prints go out as one GatewayTrade array and its book changes
// as one GatewayDepth batch. The prints are the tape REST bars aggregate (MarketFeed.ts), so bars built
// from them equal History's. Silent while the market is closed or the feed is frozen.
import { DomType, MarketHubMethod } from "@projectx-effect/gateway"
import type { HubConnection } from "./Connection.ts"
import type { HubSettings, HubState } from "./Settings.ts"
import { FeedState, minPointsPerSecond, type Point, pointsOf, type WireQuote } from "./MarketFeed.ts"

type Channel = "quotes" | "trades" | "depth"

const methods: Record<string, readonly [Channel, boolean]> = {
  [MarketHubMethod.SubscribeContractQuotes]: ["quotes", true],
  [MarketHubMethod.UnsubscribeContractQuotes]: ["quotes", false],
  [MarketHubMethod.SubscribeContractTrades]: ["trades", true],
  [MarketHubMethod.UnsubscribeContractTrades]: ["trades", false],
  [MarketHubMethod.SubscribeContractMarketDepth]: ["depth", true],
  [MarketHubMethod.UnsubscribeContractMarketDepth]: ["depth", false]
}

/** A client that has this much unsent data gets no more quotes or depth until it drains (trades still go). */
const slowClientBytes = 16 * 1024 * 1024
/** Further behind than this many points (a clock jump, a stalled timer), the feed skips ahead. */
const maxBacklogPoints = 20_000

interface Book {
  readonly bids: Map<number, number>
  readonly asks: Map<number, number>
}

class Feed {
  readonly state: FeedState
  /** The last quote each connection was sent (what its next delta is cut against). */
  readonly quotes = new Map<HubConnection, WireQuote | undefined>()
  readonly trades = new Set<HubConnection>()
  readonly depth = new Set<HubConnection>()
  cursorMs: number
  book: Book | undefined = undefined
  /** The second whose points are cached, and the points. */
  cachedSec = Number.NaN
  cachedN = 0
  cached: Array<Point> = []

  constructor(state: FeedState, nowMs: number) {
    this.state = state
    this.cursorMs = nowMs + 1
  }

  get empty(): boolean {
    return this.quotes.size === 0 && this.trades.size === 0 && this.depth.size === 0
  }
}

const delta = (previous: WireQuote | undefined, next: WireQuote, sparse: boolean): WireQuote => {
  if (previous === undefined || !sparse) return next
  const out: WireQuote = {}
  for (const key in next) if (previous[key] !== next[key]) out[key] = next[key]!
  return out
}

export class MarketHub {
  private readonly state: HubState
  private readonly settings: () => HubSettings
  private readonly feeds = new Map<string, Feed>()
  private timer: ReturnType<typeof setTimeout> | undefined = undefined

  constructor(state: HubState, settings: () => HubSettings) {
    this.state = state
    this.settings = settings
  }

  invoke(connection: HubConnection, target: string, args: ReadonlyArray<unknown>): string | undefined {
    const method = methods[target]
    if (method === undefined) return `Unknown hub method '${target}'`
    const contractId = args[0]
    if (typeof contractId !== "string") {
      return `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.`
    }
    const [channel, subscribe] = method
    if (!subscribe) {
      const feed = this.feeds.get(contractId)
      if (feed !== undefined) {
        if (channel === "quotes") feed.quotes.delete(connection)
        else feed[channel].delete(connection)
        if (feed.empty) this.feeds.delete(contractId)
      }
      return undefined
    }
    const contract = this.state.engine.contract(contractId)
    if (contract === undefined) return `Contract '${contractId}' was not found.`
    const now = this.state.clock.now()
    let feed = this.feeds.get(contract.id)
    if (feed === undefined) {
      feed = new Feed(new FeedState(this.state.market, contract), now)
      this.feeds.set(contract.id, feed)
    }
    const open = this.state.market.isOpen(now) && !this.settings().frozen
    if (open && !feed.state.ready) feed.state.resync(now)
    if (channel === "quotes") {
      feed.quotes.set(connection, undefined)
      // The snapshot a subscriber sees first: the full quote as of now.
      if (open && feed.state.ready) this.sendQuote(feed, connection, feed.state.quote())
    } else if (channel === "trades") {
      feed.trades.add(connection)
    } else {
      feed.depth.add(connection)
      if (open && feed.state.ready) this.sendDepthSnapshot(feed, connection)
    }
    this.schedule()
    return undefined
  }

  closed(connection: HubConnection): void {
    for (const [id, feed] of this.feeds) {
      feed.quotes.delete(connection)
      feed.trades.delete(connection)
      feed.depth.delete(connection)
      if (feed.empty) this.feeds.delete(id)
    }
  }

  subscriptionCounts(): Record<string, number> {
    let quotes = 0
    let trades = 0
    let depth = 0
    for (const feed of this.feeds.values()) {
      quotes += feed.quotes.size
      trades += feed.trades.size
      depth += feed.depth.size
    }
    return { quotes, marketTrades: trades, depth }
  }

  shutdown(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.feeds.clear()
  }

  private schedule(): void {
    if (this.timer !== undefined || this.feeds.size === 0) return
    const every = Math.max(10, Math.min(250, Math.floor(1000 / this.settings().ticksPerSecond)))
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.tick()
      this.schedule()
    }, every)
    this.timer.unref()
  }

  private tick(): void {
    const now = this.state.clock.now()
    const settings = this.settings()
    for (const feed of this.feeds.values()) this.advance(feed, now, settings)
  }

  /** Emits the feed's points in [cursor, now]. */
  private advance(feed: Feed, now: number, settings: HubSettings): void {
    if (now < feed.cursorMs) {
      // The market clock moved back (an admin jump or reset): start over from the new now.
      if (feed.cursorMs - now > 1000) {
        feed.cursorMs = now + 1
        feed.state.resync(now)
      }
      return
    }
    const market = this.state.market
    if (settings.frozen) {
      feed.cursorMs = now + 1
      return
    }
    const n = Math.max(minPointsPerSecond, Math.floor(settings.ticksPerSecond))
    if (((now - feed.cursorMs) / 1000) * n > maxBacklogPoints) {
      feed.cursorMs = now - 999
      if (!feed.state.resync(feed.cursorMs - 1)) return
    }
    const prints: Array<Record<string, string | number>> = []
    const before = { bid: feed.state.bid, ask: feed.state.ask, sec: Math.floor(feed.state.lastMs / 1000) }
    const contract = feed.state.contract
    for (let sec = Math.floor(feed.cursorMs / 1000); sec <= Math.floor(now / 1000); sec++) {
      if (!market.isOpen(sec * 1000)) continue
      if (feed.cachedSec !== sec || feed.cachedN !== n) {
        feed.cached = pointsOf(market, contract, sec, n)
        feed.cachedSec = sec
        feed.cachedN = n
      }
      for (const p of feed.cached) {
        if (p.ms < feed.cursorMs || p.ms > now) continue
        if (!feed.state.ready && !feed.state.resync(p.ms - 1)) continue
        const side = feed.state.apply(p)
        if (feed.quotes.size > 0) {
          const quote = feed.state.quote()
          for (const c of feed.quotes.keys()) this.sendQuote(feed, c, quote)
        }
        if (p.volume > 0 && feed.trades.size > 0) {
          prints.push({
            symbolId: contract.symbolId,
            price: feed.state.price(p.ticks),
            timestamp: new Date(p.ms).toISOString(),
            type: side,
            volume: p.volume
          })
        }
      }
    }
    feed.cursorMs = now + 1
    if (prints.length > 0) {
      const json = JSON.stringify([contract.id, prints])
      for (const c of feed.trades) c.send("GatewayTrade", json)
    }
    const s = feed.state
    if (feed.depth.size > 0 && s.ready) {
      if (s.bid !== before.bid || s.ask !== before.ask || Math.floor(s.lastMs / 1000) !== before.sec) {
        this.sendDepthUpdate(feed, settings.depthLevels)
      }
    }
  }

  private sendQuote(feed: Feed, connection: HubConnection, quote: WireQuote): void {
    const previous = feed.quotes.get(connection)
    if (previous !== undefined && connection.buffered > slowClientBytes) return
    const body = delta(previous, quote, this.settings().quoteDeltas)
    feed.quotes.set(connection, quote)
    connection.send("GatewayQuote", JSON.stringify([feed.state.contract.id, body]))
  }

  private entry(type: number, ticks: number, size: number, feed: Feed): Record<string, string | number> {
    return {
      timestamp: new Date(feed.state.lastMs).toISOString(),
      type,
      price: feed.state.price(ticks),
      volume: size,
      currentVolume: size
    }
  }

  private snapshotEntries(feed: Feed, book: Book): Array<Record<string, string | number>> {
    const s = feed.state
    const entries = [
      this.entry(DomType.Reset, 0, 0, feed),
      this.entry(DomType.BestBid, s.bid, book.bids.get(s.bid) ?? 0, feed),
      this.entry(DomType.BestAsk, s.ask, book.asks.get(s.ask) ?? 0, feed)
    ]
    for (const [ticks, size] of book.bids) entries.push(this.entry(DomType.Bid, ticks, size, feed))
    for (const [ticks, size] of book.asks) entries.push(this.entry(DomType.Ask, ticks, size, feed))
    return entries
  }

  private sendDepthSnapshot(feed: Feed, connection: HubConnection): void {
    // The book is a function of the feed's state, so this is also the book the other subscribers hold.
    feed.book = feed.state.book(this.settings().depthLevels)
    connection.send("GatewayDepth", JSON.stringify([feed.state.contract.id, this.snapshotEntries(feed, feed.book)]))
  }

  /** The changes from the book last sent: removed levels at volume 0, new and resized levels, new bests. */
  private sendDepthUpdate(feed: Feed, levels: number): void {
    const s = feed.state
    const next = s.book(levels)
    const previous = feed.book
    feed.book = next
    let entries: Array<Record<string, string | number>>
    if (previous === undefined || previous.bids.size !== levels) {
      entries = this.snapshotEntries(feed, next)
    } else {
      entries = []
      const diff = (type: number, before: Map<number, number>, after: Map<number, number>) => {
        for (const ticks of before.keys()) if (!after.has(ticks)) entries.push(this.entry(type, ticks, 0, feed))
        for (const [ticks, size] of after)
          if (before.get(ticks) !== size) entries.push(this.entry(type, ticks, size, feed))
      }
      diff(DomType.Bid, previous.bids, next.bids)
      diff(DomType.Ask, previous.asks, next.asks)
      const bestBid = [...previous.bids.keys()][0]
      const bestAsk = [...previous.asks.keys()][0]
      if (bestBid !== s.bid) entries.push(this.entry(DomType.NewBestBid, s.bid, next.bids.get(s.bid) ?? 0, feed))
      if (bestAsk !== s.ask) entries.push(this.entry(DomType.NewBestAsk, s.ask, next.asks.get(s.ask) ?? 0, feed))
    }
    if (entries.length === 0) return
    const json = JSON.stringify([s.contract.id, entries])
    for (const c of feed.depth) if (c.buffered <= slowClientBytes) c.send("GatewayDepth", json)
  }
}
