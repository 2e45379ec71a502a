// Measures the bar cache's candidate storage formats on 20,000 realistic bars (1-minute, random
// walk on a 0.25 tick grid): stored bytes against the Gateway's JSON response, encode and decode
// time; then the chosen format's hit latency through BarCache.get. Goals: stored ≤ 0.30× JSON,
// hit ≤ 1 ms median.
//   npx node --conditions=@projectx-effect/source packages/sdk/bench/cache-formats.ts
import { CompressionType, tableFromIPC, tableToIPC } from "apache-arrow"
import { Effect } from "effect"
import * as lz4 from "lz4-napi"
import * as zlib from "node:zlib"
import * as BarCache from "../src/market/BarCache.ts"
import * as Bars from "../src/market/Bars.ts"
import { ensureArrowCodecs } from "../src/market/internal/arrowCompression.ts"
import * as Codec from "../src/market/internal/codecBlob.ts"
import { randomWalk, type WireBar } from "./synthetic.ts"

const N = 20_000
const RUNS = 200
const WARMUP = 30

// --- data ---------------------------------------------------------------------------------------

const makeWireBars = (): Array<WireBar> => {
  const bars: Array<WireBar> = []
  const start = Date.UTC(2025, 5, 2, 22, 0)
  randomWalk(N, 5000, (i, o, h, l, c, v) => {
    bars.push({ t: new Date(start + i * 60_000).toISOString().replace(".000Z", "+00:00"), o, h, l, c, v })
  })
  return bars.reverse() // the Gateway answers newest first
}

const wire = makeWireBars()
const json = JSON.stringify({ bars: wire, success: true, errorCode: 0, errorMessage: null })
const jsonBytes = Buffer.byteLength(json)

const decodeWire = (text: string): Bars.BarColumns => {
  const bars = (JSON.parse(text) as { bars: Array<WireBar> }).bars
  const n = bars.length
  const c = {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n)
  }
  for (let i = 0; i < n; i++) {
    const b = bars[i]!
    c.time[i] = Date.parse(b.t)
    c.open[i] = b.o
    c.high[i] = b.h
    c.low[i] = b.l
    c.close[i] = b.c
    c.volume[i] = b.v
  }
  return c
}

const columns = decodeWire(json)
const table = Bars.toTable(columns)

// --- timing -------------------------------------------------------------------------------------

const median = <A>(run: () => A, runs = RUNS): { readonly ms: number; readonly value: A } => {
  let value = run()
  for (let i = 0; i < WARMUP; i++) value = run()
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    value = run()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { ms: times[times.length >> 1]!, value }
}

const buf = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
// Decoding ends by reading a value, so lazy work (if any) is counted.
const touch = (t: { getChild(name: "close"): { get(i: number): unknown } | null }) => t.getChild("close")?.get(N - 1)

ensureArrowCodecs()

interface Row {
  readonly format: string
  readonly bytes: number
  readonly encodeMs: number
  readonly decodeMs: number
}

const measure = (format: string, encode: () => Uint8Array, decode: (bytes: Uint8Array) => unknown): Row => {
  const enc = median(encode)
  const dec = median(() => decode(enc.value))
  return { format, bytes: enc.value.byteLength, encodeMs: enc.ms, decodeMs: dec.ms }
}

const rows: Array<Row> = [
  measure(
    "JSON response (reference)",
    () => Buffer.from(json),
    (b) => Bars.toTable(decodeWire(buf(b).toString()))
  ),
  measure(
    "Arrow IPC stream, raw",
    () => tableToIPC(table, "stream"),
    (b) => touch(tableFromIPC(b))
  ),
  measure(
    "IPC + lz4 block (compressSync)",
    () => lz4.compressSync(buf(tableToIPC(table, "stream"))),
    (b) => touch(tableFromIPC(lz4.uncompressSync(b)))
  ),
  measure(
    "IPC + lz4 frame (compressFrameSync)",
    () => lz4.compressFrameSync(buf(tableToIPC(table, "stream"))),
    (b) => touch(tableFromIPC(lz4.decompressFrameSync(buf(b))))
  ),
  measure(
    "Arrow native LZ4_FRAME bodies",
    () => tableToIPC(table, "stream", CompressionType.LZ4_FRAME),
    (b) => touch(tableFromIPC(b))
  ),
  measure(
    "IPC + zstd (node:zlib, reference)",
    () => zlib.zstdCompressSync(tableToIPC(table, "stream")),
    (b) => touch(tableFromIPC(zlib.zstdDecompressSync(b)))
  ),
  measure(
    "Arrow native ZSTD bodies (reference)",
    () => tableToIPC(table, "stream", CompressionType.ZSTD),
    (b) => touch(tableFromIPC(b))
  ),
  measure(
    "chosen: PXB header + CRC + lz4 block",
    () => Codec.encode(Bars.toIPC(table), 1024).blob,
    (b) => {
      const ipc = Codec.decode(b)
      if (Codec.isDecodeFailure(ipc)) throw new Error(ipc.message)
      return touch(Bars.fromIPC(ipc))
    }
  )
]

// --- BarCache.get hit latency (chosen format, through the Effect runtime) ------------------------

const cache = Effect.runSync(BarCache.BarCache.make())
const key = BarCache.key({
  contractId: "CON.F.US.EP.U25",
  unit: 2,
  unitNumber: 1,
  start: Date.UTC(2025, 5, 2),
  end: Date.UTC(2025, 5, 30),
  limit: N,
  includePartialBar: false,
  live: false
})
const lookup = Effect.sync(() => table)
Effect.runSync(cache.get(key, lookup))
const hit = median(() => Effect.runSync(cache.get(key, lookup)), 1000)
const stats = Effect.runSync(cache.stats)
const disabled = Effect.runSync(Effect.provide(BarCache.BarCache, BarCache.BarCache.layerDisabled))
const passThrough = median(() => Effect.runSync(disabled.get(key, lookup)), 1000)

// --- other conversions --------------------------------------------------------------------------

const ascending = Bars.toColumns(table)
const conversions = {
  "JSON.parse + Date.parse (wire decode)": median(() => decodeWire(json)).ms,
  "toTable (20k newest-first columns)": median(() => Bars.toTable(columns)).ms,
  "toTable (20k ascending columns)": median(() => Bars.toTable(ascending)).ms,
  "merge (2 × 10k overlapping by 1k)": median(() =>
    Bars.merge([{ ...sliceColumns(columns, 0, 11_000) }, { ...sliceColumns(columns, 10_000, N) }])
  ).ms,
  toColumns: median(() => Bars.toColumns(table)).ms,
  toRows: median(() => Bars.toRows(table), 50).ms,
  toCsv: median(() => Bars.toCsv(table), 20).ms
}

function sliceColumns(c: Bars.BarColumns, from: number, to: number): Bars.BarColumns {
  return {
    time: c.time.subarray(from, to),
    open: c.open.subarray(from, to),
    high: c.high.subarray(from, to),
    low: c.low.subarray(from, to),
    close: c.close.subarray(from, to),
    volume: c.volume.subarray(from, to)
  }
}

// --- report -------------------------------------------------------------------------------------

const pad = (s: string, n: number) => s.padEnd(n)
const num = (x: number, digits = 3) => x.toFixed(digits).padStart(9)
console.log(`Node ${process.version}, ${N} bars, median of ${RUNS} runs (${WARMUP} warm-up)`)
console.log(`JSON response: ${jsonBytes} bytes\n`)
console.log(
  `${pad("format", 40)}${"bytes".padStart(10)}${"×JSON".padStart(8)}${"enc ms".padStart(9)}${"dec ms".padStart(9)}`
)
for (const r of rows) {
  console.log(
    `${pad(r.format, 40)}${String(r.bytes).padStart(10)}${(r.bytes / jsonBytes).toFixed(3).padStart(8)}${num(r.encodeMs)}${num(r.decodeMs)}`
  )
}
console.log("")
for (const [name, ms] of Object.entries(conversions)) console.log(`${pad(name, 40)}${num(ms)} ms`)
console.log(`${pad("BarCache.get hit (Effect.runSync)", 40)}${num(hit.ms)} ms`)
console.log(`${pad("BarCache.BarCache.layerDisabled get", 40)}${num(passThrough.ms)} ms`)

const chosen = rows[rows.length - 1]!
const ratio = stats.bytesStored / jsonBytes
const goals = { storedVsJson: ratio <= 0.3, hitMs: hit.ms <= 1 }
console.log(
  `\nchosen stored/JSON ${ratio.toFixed(3)} (goal ≤ 0.30): ${goals.storedVsJson ? "ok" : "MISSED"}; ` +
    `hit median ${hit.ms.toFixed(3)} ms (goal ≤ 1 ms): ${goals.hitMs ? "ok" : "MISSED"}; ` +
    `compression ratio ${stats.compressionRatio.toFixed(2)}×`
)
console.log(
  JSON.stringify({
    node: process.version,
    bars: N,
    jsonBytes,
    formats: rows,
    conversions,
    hitMs: hit.ms,
    chosen,
    goals
  })
)
if (!goals.storedVsJson || !goals.hitMs) process.exitCode = 1
