/**
 * The depth book's cost per entry with several contracts subscribed (project-x-py #82: 99 % CPU on six):
 * a realistic stream of `GatewayDepth` batches — a snapshot, then level changes that walk the best price
 * and sometimes reset — applied to one L2Book per contract, against a naive Map book sorted on every read
 * of the best prices. Prints entries per second (median of rounds).
 *
 *   npx node --conditions=@projectx-effect/source packages/sdk/bench/depth-book.ts
 */
import { DomType } from "@projectx-effect/gateway"
import { type DepthEntryLike, L2Book } from "../src/state/internal/l2Book.ts"

const CONTRACTS = 6
const LEVELS = 20
const BATCHES = 20_000
const ROUNDS = 7

/** A deterministic feed for one contract: batches of entries as the Gateway sends them. */
const feed = (seed: number): Array<Array<DepthEntryLike>> => {
  let x = seed
  const rand = () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
    return x / 2_147_483_648
  }
  let bid = 84_000
  const batches: Array<Array<DepthEntryLike>> = []
  const snapshot = (): Array<DepthEntryLike> => {
    const out: Array<DepthEntryLike> = [{ type: DomType.Reset, price: 0, volume: 0 }]
    for (let i = 0; i < LEVELS; i++) {
      out.push({ type: DomType.Bid, price: (bid - i) * 0.25, volume: 1 + Math.floor(rand() * 60) })
      out.push({ type: DomType.Ask, price: (bid + 1 + i) * 0.25, volume: 1 + Math.floor(rand() * 60) })
    }
    return out
  }
  batches.push(snapshot())
  for (let b = 1; b < BATCHES; b++) {
    if (rand() < 0.002) {
      batches.push(snapshot())
      continue
    }
    const out: Array<DepthEntryLike> = []
    const move = rand() < 0.3 ? (rand() < 0.5 ? -1 : 1) : 0
    if (move !== 0) {
      // The best moves one tick: one level leaves one side, one joins the other, new bests announced.
      out.push({ type: move > 0 ? DomType.Ask : DomType.Bid, price: (move > 0 ? bid + 1 : bid) * 0.25, volume: 0 })
      bid += move
      out.push({ type: DomType.NewBestBid, price: bid * 0.25, volume: 1 + Math.floor(rand() * 60) })
      out.push({ type: DomType.NewBestAsk, price: (bid + 1) * 0.25, volume: 1 + Math.floor(rand() * 60) })
    }
    const n = 1 + Math.floor(rand() * 6)
    for (let i = 0; i < n; i++) {
      const side = rand() < 0.5
      const depth = Math.floor(rand() * LEVELS)
      out.push({
        type: side ? DomType.Bid : DomType.Ask,
        price: (side ? bid - depth : bid + 1 + depth) * 0.25,
        volume: rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 60)
      })
    }
    if (rand() < 0.2) out.push({ type: DomType.Trade, price: bid * 0.25, volume: 1 })
    batches.push(out)
  }
  return batches
}

/** The naive book: a Map per side, sorted whenever the best prices are read (once per batch). */
class MapBook {
  readonly bids = new Map<number, number>()
  readonly asks = new Map<number, number>()
  apply(e: DepthEntryLike): void {
    const side =
      e.type === DomType.Bid || e.type === DomType.BestBid || e.type === DomType.NewBestBid
        ? this.bids
        : e.type === DomType.Ask || e.type === DomType.BestAsk || e.type === DomType.NewBestAsk
          ? this.asks
          : undefined
    if (e.type === DomType.Reset) {
      this.bids.clear()
      this.asks.clear()
    } else if (side !== undefined) {
      if (e.volume > 0) side.set(e.price, e.volume)
      else side.delete(e.price)
    }
  }
  best(): number {
    const bids = [...this.bids.keys()].sort((a, b) => b - a)
    const asks = [...this.asks.keys()].sort((a, b) => a - b)
    return (bids[0] ?? 0) + (asks[0] ?? 0)
  }
}

const feeds = Array.from({ length: CONTRACTS }, (_, i) => feed(i + 1))
const entries = feeds.reduce((sum, f) => sum + f.reduce((s, b) => s + b.length, 0), 0)

const run = (make: () => { apply(e: DepthEntryLike): void; best(): number }): number => {
  const books = feeds.map(() => make())
  let sink = 0
  const start = process.hrtime.bigint()
  // Interleave contracts batch by batch, as a hub delivers them, reading the best bid/ask after each batch.
  for (let b = 0; b < BATCHES; b++) {
    for (let c = 0; c < CONTRACTS; c++) {
      const book = books[c]!
      const batch = feeds[c]![b]!
      for (let i = 0; i < batch.length; i++) book.apply(batch[i]!)
      sink += book.best()
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (sink === 42) console.log("")
  return entries / seconds
}

const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[xs.length >> 1]!

const l2 = () => {
  const book = new L2Book(100)
  return {
    apply: (e: DepthEntryLike) => book.apply(e),
    best: () => (book.bestBid?.price ?? 0) + (book.bestAsk?.price ?? 0)
  }
}
const naive = () => new MapBook()

const measure = (make: () => { apply(e: DepthEntryLike): void; best(): number }) => {
  run(make)
  return median(Array.from({ length: ROUNDS }, () => run(make)))
}

const ours = measure(l2)
const base = measure(naive)
const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M entries/s`
console.log(`depth book, ${CONTRACTS} contracts, ${entries.toLocaleString()} entries, best read after every batch`)
console.log(`  L2Book (sorted arrays): ${fmt(ours)}  (${(1e9 / ours).toFixed(0)} ns/entry)`)
console.log(`  Map book, sorted on read: ${fmt(base)}  (${(1e9 / base).toFixed(0)} ns/entry)`)
console.log(`  ratio: ${(ours / base).toFixed(1)}×`)
