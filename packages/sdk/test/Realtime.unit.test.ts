// Pure pieces of the realtime layer: the staleness watchdog on TestClock, quote and depth merging, the
// reconciliation bookkeeping, and the mailboxes' drop and overflow behaviour.
import { describe, expect, it } from "@effect/vitest"
import type { GatewayDepthEntry, HalfTrade, Order, Position } from "@projectx-effect/gateway"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type Depth, RealtimeOverflow } from "../src/realtime/Events.ts"
import { coalescing, lossless } from "../src/realtime/internal/Mailbox.ts"
import { coalesceDepth, mergeQuote } from "../src/realtime/internal/merge.ts"
import { Seen } from "../src/realtime/internal/Reconcile.ts"
import * as Watchdog from "../src/realtime/internal/Watchdog.ts"
import { backoffMs, globexOpen } from "../src/realtime/Options.ts"

const entry = (type: number, price: number, volume: number): GatewayDepthEntry => ({
  timestamp: new Date(0),
  type: type as GatewayDepthEntry["type"],
  price,
  volume
})
const depth = (...entries: Array<GatewayDepthEntry>): Depth => ({
  _tag: "Depth",
  contractId: "C",
  entries,
  receivedAt: 0
})

describe("the staleness watchdog", () => {
  it.effect("signals Stale past the threshold, then reconnects once per further threshold, and recovers on data", () =>
    Effect.gen(function* () {
      const tracked = Watchdog.track("quotes", 0)
      const actions: Array<string> = []
      let open = true
      const fiber = yield* Effect.forkChild(
        Watchdog.watch({
          thresholdMs: 1000,
          entries: () => [tracked],
          open: () => open,
          onStale: (_, silentMs) => Effect.sync(() => actions.push(`stale ${silentMs}`)),
          onReconnect: () => Effect.sync(() => actions.push("reconnect"))
        })
      )
      yield* TestClock.adjust(1000)
      expect(actions).toEqual([])
      yield* TestClock.adjust(250)
      expect(actions).toEqual(["stale 1250"])
      yield* TestClock.adjust(1000)
      expect(actions).toEqual(["stale 1250"])
      yield* TestClock.adjust(250)
      expect(actions).toEqual(["stale 1250", "reconnect"])
      yield* TestClock.adjust(1250)
      expect(actions).toEqual(["stale 1250", "reconnect", "reconnect"])
      const recovery = Watchdog.touch(tracked, 4000)
      expect(recovery).toEqual({ gapMs: 4000, via: "reconnect", staleSince: 0 })
      // Once recovered, a second message is just data.
      expect(Watchdog.touch(tracked, 4100)).toBeUndefined()
      // A closed market is not silence: a minute later nothing fires.
      open = false
      yield* TestClock.adjust(60_000)
      open = true
      yield* TestClock.adjust(750)
      expect(actions).toHaveLength(3)
      yield* Fiber.interrupt(fiber)
    })
  )

  it("reports recovery by the last step taken", () => {
    const tracked = Watchdog.track("k", 0)
    expect(Watchdog.evaluate(tracked, 1500, 1000, true)._tag).toBe("Stale")
    expect(Watchdog.touch(tracked, 1600)?.via).toBe("resubscribe")
  })
})

describe("merging", () => {
  it("merges quote deltas over the snapshot, keeping fields the delta leaves out", () => {
    const first = mergeQuote(undefined, "C", { lastPrice: 10, bestBid: 9.75, bestAsk: 10, volume: 5 }, 1)
    const next = mergeQuote(first, "C", { lastPrice: 10.25, volume: 6 }, 2)
    expect(next).toMatchObject({
      _tag: "Quote",
      contractId: "C",
      lastPrice: 10.25,
      bestBid: 9.75,
      bestAsk: 10,
      volume: 6
    })
    expect(next.receivedAt).toBe(2)
    expect(first.lastPrice).toBe(10)
  })

  it("coalesces depth per level: the latest size wins, a Reset clears what came before, prints are kept", () => {
    const a = depth(entry(2, 100, 5), entry(1, 101, 3), entry(5, 100.5, 1))
    const b = depth(entry(2, 100, 7), entry(5, 100.5, 2))
    const merged = coalesceDepth(a, b)
    expect(merged.dropped).toBe(1)
    expect(merged.value.entries.map((e) => [e.type, e.price, e.volume])).toEqual([
      [1, 101, 3],
      [5, 100.5, 1],
      [2, 100, 7],
      [5, 100.5, 2]
    ])
    const reset = coalesceDepth(merged.value, depth(entry(6, 0, 0), entry(2, 99, 1)))
    expect(reset.dropped).toBe(4)
    expect(reset.value.entries.map((e) => e.type)).toEqual([6, 2])
  })
})

describe("reconciliation", () => {
  const order = (status: number, fill: number, updated: number): Order =>
    ({
      id: 1,
      accountId: 1,
      contractId: "C",
      creationTimestamp: new Date(0),
      updateTimestamp: new Date(updated),
      status,
      type: 2,
      side: 0,
      size: 1,
      fillVolume: fill
    }) as Order

  it("delivers each order state once and never an older REST copy over a newer hub event", () => {
    const seen = new Seen()
    expect(seen.order(order(1, 0, 10), false)).toBe(true)
    expect(seen.order(order(1, 0, 10), true)).toBe(false)
    expect(seen.order(order(2, 1, 20), false)).toBe(true)
    expect(seen.order(order(1, 0, 10), true)).toBe(false)
  })

  it("fills by id; positions flat when REST no longer lists them", () => {
    const seen = new Seen()
    const trade = { id: 7 } as HalfTrade
    expect(seen.trade(trade)).toBe(true)
    expect(seen.trade(trade)).toBe(false)
    const long = { contractId: "C", type: 1, size: 2, averagePrice: 10 } as Position
    expect(seen.position(long)).toBe(true)
    const changes = seen.positionsFromRest([])
    expect(changes).toEqual([{ ...long, size: 0 }])
    expect(seen.positionsFromRest([])).toEqual([])
  })
})

describe("mailboxes", () => {
  it.effect("coalescing keeps one pending value and counts what it superseded", () =>
    Effect.gen(function* () {
      let dropped = 0
      const box = yield* coalescing<number>(
        (_, next) => ({ value: next, dropped: 1 }),
        (n) => {
          dropped += n
        }
      )
      for (let i = 1; i <= 1000; i++) box.sink.push(i)
      box.sink.signal({ _tag: "Logout", hub: "market", streak: 1 })
      const taken = yield* Stream.runCollect(Stream.take(box.stream, 2))
      expect(taken).toEqual([1000, { _tag: "Logout", hub: "market", streak: 1 }])
      expect(dropped).toBe(999)
    })
  )

  it.effect("lossless delivers everything queued, then fails with a typed overflow", () =>
    Effect.gen(function* () {
      const box = yield* lossless<number>(
        3,
        () => new RealtimeOverflow({ hub: "user", subscription: "orders:1", capacity: 3 })
      )
      for (let i = 1; i <= 4; i++) box.sink.push(i)
      const seen: Array<number | unknown> = []
      const error = yield* Stream.runForEach(box.stream, (a) => Effect.sync(() => seen.push(a))).pipe(Effect.flip)
      expect(seen).toEqual([1, 2, 3])
      expect(error).toBeInstanceOf(RealtimeOverflow)
    })
  )
})

describe("options", () => {
  it("backs off exponentially with jitter under the cap", () => {
    expect(backoffMs(0, 500, 30_000, 1)).toBe(500)
    expect(backoffMs(3, 500, 30_000, 1)).toBe(4000)
    expect(backoffMs(20, 500, 30_000, 1)).toBe(30_000)
    expect(backoffMs(20, 500, 30_000, 0)).toBe(7500)
  })

  it("knows the Globex weekend", () => {
    expect(globexOpen(new Date("2025-11-19T15:00:00Z"))).toBe(true)
    expect(globexOpen(new Date("2025-11-22T15:00:00Z"))).toBe(false)
    expect(globexOpen(new Date("2025-11-23T21:00:00Z"))).toBe(false)
    expect(globexOpen(new Date("2025-11-23T23:00:00Z"))).toBe(true)
  })
})
