// Heap held by 1,000,000 one-minute bars, measured in a fresh process started with --expose-gc:
//   cache  the bars stored in a BarCache (Arrow IPC + lz4 blob); every other copy dropped
//   table  the same bars as a decoded Arrow BarTable (what a cache hit hands back)
//   json   the same bars as the Gateway's JSON objects ({ t, o, h, l, c, v }, from JSON.parse)
// Prints one JSON line: { mode, bars, bytes } where bytes = Δ(heapUsed + arrayBuffers) after full GCs.
import { BarCache, Bars } from "@projectx-effect/sdk"
import { Effect } from "effect"
import { randomWalk, type WireBar } from "../../packages/sdk/bench/synthetic.ts"

const mode = process.argv[2] ?? "cache"
const N = Number(process.argv[3] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const measure = (): number => {
  for (let i = 0; i < 4; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

// A deterministic random walk on a 0.25 tick grid around 21,000 (like MNQ).
const START = Date.UTC(2023, 0, 2)

const walk = (n: number, each: Parameters<typeof randomWalk>[2]) => randomWalk(n, 21_000, each)

const columnsOf = (n: number): Bars.BarColumns => {
  const c = {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n)
  }
  walk(n, (i, o, h, l, cl, v) => {
    c.time[i] = START + i * 60_000
    c.open[i] = o
    c.high[i] = h
    c.low[i] = l
    c.close[i] = cl
    c.volume[i] = v
  })
  return c
}

/** The Gateway's JSON text for the same bars (newest first, `t` as "…+00:00"), parsed back. */
const jsonObjects = (n: number): Array<WireBar> => {
  const parts: Array<string> = []
  walk(n, (i, o, h, l, c, v) => {
    const t = new Date(START + i * 60_000).toISOString().replace(".000Z", "+00:00")
    parts.push(JSON.stringify({ t, o, h, l, c, v }))
  })
  parts.reverse()
  const text = `{"bars":[${parts.join(",")}],"success":true,"errorCode":0,"errorMessage":null}`
  parts.length = 0
  return (JSON.parse(text) as { bars: Array<WireBar> }).bars
}

const keyOf = (n: number) =>
  BarCache.key({
    contractId: "CON.F.US.MNQ.H25",
    unit: 2,
    unitNumber: 1,
    start: START,
    end: START + n * 60_000,
    limit: n,
    includePartialBar: false,
    live: false
  })

const makeCache = () =>
  Effect.runPromise(BarCache.BarCache.make({ maxBytes: 1024 * 1024 * 1024, timeToLive: "1 hour" }))

// Warm up: load Arrow, lz4 and the codecs, and JIT the paths, so only the bars are counted.
{
  const warm = await makeCache()
  await Effect.runPromise(warm.get(keyOf(1000), Effect.succeed(Bars.toTable(columnsOf(1000)))))
  await Effect.runPromise(warm.get(keyOf(1000), Effect.die("hit expected")))
  JSON.parse(JSON.stringify(jsonObjects(1000)))
}

// Each mode builds in its own function, so no temporary (the input columns, the JSON text) survives
// in this frame's registers when the "after" measurement runs.
const build = async (): Promise<{ readonly keep: unknown; readonly extra: Record<string, number> }> => {
  if (mode === "cache") {
    const cache = await makeCache()
    await Effect.runPromise(
      cache.get(
        keyOf(N),
        Effect.sync(() => Bars.toTable(columnsOf(N)))
      )
    )
    const stats = await Effect.runPromise(cache.stats)
    return { keep: cache, extra: { storedBytes: stats.bytesStored, ipcBytes: stats.bytesUncompressed } }
  }
  if (mode === "table") return { keep: Bars.toTable(columnsOf(N)), extra: {} }
  if (mode === "json") return { keep: jsonObjects(N), extra: {} }
  throw new Error(`unknown mode ${mode}`)
}

const before = measure()
const built = await build()
const after = measure()
if (built.keep === undefined) throw new Error("nothing kept")
process.stdout.write(`${JSON.stringify({ mode, bars: N, bytes: after - before, ...built.extra })}\n`)
