/**
 * The limiter's own cost when it does not have to wait, against bottleneck (the usual Node choice)
 * and Effect's built-in token bucket. Limits are set high enough that nobody ever waits, so what is
 * measured is the bookkeeping: per call in a sequential loop (the latency a request pays), and per
 * call with 1,000 callers at once (throughput). Prints median ns/op over several rounds.
 *
 *   npx node --conditions=@projectx-effect/source packages/sdk/bench/rate-limiter.ts
 */
import Bottleneck from "bottleneck"
import { Effect } from "effect"
import * as EffectRateLimiter from "effect/persistence/RateLimiter"
import * as RateLimiter from "../src/client/RateLimiter.ts"

const HUGE = 1_000_000_000
const CONCURRENT = 1_000

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Median ns/op of `rounds` runs of `run(ops)` after one warm-up run. */
const measure = async (rounds: number, ops: number, run: (ops: number) => Promise<unknown>): Promise<number> => {
  await run(ops)
  const samples: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint()
    await run(ops)
    samples.push(Number(process.hrtime.bigint() - start) / ops)
  }
  return median(samples)
}

// --- projectx-effect RateLimiter (memory store, sliding log) -------------------------------------
const limiter = await Effect.runPromise(
  RateLimiter.RateLimiter.make({ buckets: { general: { limit: HUGE, window: "1 second" } } }).pipe(
    Effect.provide(RateLimiter.RateLimiter.layerStoreMemory)
  )
)
const oursSequential = (ops: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < ops; i++) yield* limiter.acquire("general")
    })
  )
const oursConcurrent = (ops: number) =>
  Effect.runPromise(
    Effect.forEach(Array.from({ length: ops }), () => limiter.acquire("general"), {
      concurrency: "unbounded",
      discard: true
    })
  )

// --- Effect's built-in RateLimiter (token bucket, memory store) ----------------------------------
const builtin = await Effect.runPromise(EffectRateLimiter.make.pipe(Effect.provide(EffectRateLimiter.layerStoreMemory)))
const builtinOptions = { key: "bench", limit: HUGE, window: "1 second", algorithm: "token-bucket" } as const
const builtinSequential = (ops: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < ops; i++) yield* EffectRateLimiter.sleep(builtin, builtinOptions)
    })
  )

// --- bottleneck ----------------------------------------------------------------------------------
const bottleneck = new Bottleneck({ reservoir: HUGE, reservoirRefreshAmount: HUGE, reservoirRefreshInterval: 1_000 })
const noop = () => Promise.resolve()
const bottleneckSequential = async (ops: number) => {
  for (let i = 0; i < ops; i++) await bottleneck.schedule(noop)
}
const bottleneckConcurrent = (ops: number) => Promise.all(Array.from({ length: ops }, () => bottleneck.schedule(noop)))

const rows: Array<{
  readonly case: string
  readonly ours: number
  readonly bottleneck: number
  readonly effect?: number
}> = [
  {
    case: "sequential acquire (latency)",
    ours: await measure(15, 20_000, oursSequential),
    bottleneck: await measure(5, 100, bottleneckSequential),
    effect: await measure(15, 20_000, builtinSequential)
  },
  {
    case: `${CONCURRENT} concurrent acquires (throughput)`,
    ours: await measure(15, CONCURRENT, oursConcurrent),
    bottleneck: await measure(3, CONCURRENT, bottleneckConcurrent)
  }
]
await bottleneck.stop({ dropWaitingJobs: true })

const fmt = (ns: number | undefined) => (ns === undefined ? "-" : `${ns.toFixed(0)} ns/op`)
const cases = rows.map((r) => r.case)
const width = Math.max(...cases.map((c) => c.length))
process.stdout.write(
  `node ${process.versions.node}\n${"case".padEnd(width)} | projectx-effect | bottleneck 2.19.5 | effect token-bucket | bottleneck / ours\n`
)
for (const r of rows) {
  process.stdout.write(
    `${r.case.padEnd(width)} | ${fmt(r.ours).padStart(15)} | ${fmt(r.bottleneck).padStart(17)} | ${fmt(r.effect).padStart(19)} | ${(r.bottleneck / r.ours).toFixed(1)}x\n`
  )
}
process.stdout.write(`${JSON.stringify({ bench: "rate-limiter", unit: "ns/op (median)", rows })}\n`)
