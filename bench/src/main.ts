// The benchmark suite (issue 9): every figure is measured in one run on this machine beside a
// reference measured the same way in the same run, and reported as a ratio against its goal.
//
//   npm run bench                 full run (a few minutes)
//   npm run bench -- --quick      reduced run (under a minute; a CI smoke check, asserts nothing)
//   npm run bench -- --only=gateway,micro,throughput,heap
//
// The simulator runs in a child process, so the server and the client do not share an event loop.
// All traffic is loopback (127.0.0.1). Writes bench/results.json and bench/results.md.
import { cpus, loadavg } from "node:os"
import { parseArgs } from "node:util"
import { type GatewayFigures, runGateway } from "./gateway.ts"
import { type HeapFigures, runHeap } from "./heap.ts"
import { type MicroFigures, runMicro } from "./micro.ts"
import { consoleTable, type Result, show, writeResults } from "./report.ts"
import { startSimulator } from "./sim.ts"
import { fmt, iqr, range, type Summary } from "./stats.ts"
import { runThroughput, type ThroughputFigures } from "./throughput.ts"

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" }
  },
  strict: true
})
const quick = values.quick
const parts = new Set((values.only ?? "gateway,micro,throughput,heap").split(",").map((s) => s.trim()))

const sizes = quick
  ? {
      gateway: {
        seqRounds: 4,
        seqPerRound: 100,
        concRounds: 4,
        concPerWorker: 5,
        barsRuns: 6,
        missRuns: 4,
        hitRuns: 200,
        warmup: 100
      },
      micro: { rounds: 3, calls: 30_000, bottleneckCalls: 200 },
      throughput: { rounds: 1, roundMs: 1_000, warmupMs: 300 },
      heap: { bars: 1_000_000, repeats: 1 }
    }
  : {
      gateway: {
        seqRounds: 10,
        seqPerRound: 300,
        concRounds: 10,
        concPerWorker: 20,
        barsRuns: 20,
        missRuns: 15,
        hitRuns: 1_000,
        warmup: 300
      },
      micro: { rounds: 7, calls: 200_000, bottleneckCalls: 500 },
      throughput: { rounds: 3, roundMs: 3_000, warmupMs: 1_000 },
      heap: { bars: 1_000_000, repeats: 3 }
    }

const started = performance.now()
const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`)

const p = (s: Summary, unit: string) => `p25–p75 ${iqr(s)}${unit === "" ? "" : ` ${unit}`}`
const mm = (s: Summary, unit: string) => `min–max ${range(s)}${unit === "" ? "" : ` ${unit}`}`

const results: Array<Result> = []

const gatewayRows = (g: GatewayFigures) => {
  const seqRatio = g.accountsSequential.sdk.median / g.accountsSequential.raw.median
  results.push({
    name: "Accounts.search latency, sequential",
    value: g.accountsSequential.sdk.median,
    unit: "ms",
    reference: "raw undici + JSON.parse",
    referenceValue: g.accountsSequential.raw.median,
    ratio: seqRatio,
    goal: "≤ 1.15×",
    met: seqRatio <= 1.15,
    spread: p(g.accountsSequential.sdk, "ms"),
    referenceSpread: p(g.accountsSequential.raw, "ms"),
    detail: `median of ${g.accountsSequential.sdk.n} requests per side, interleaved rounds; SDK calls run inside one Effect fiber (no runPromise per call). Context: Effect's HttpClient alone (same Agent options, execute + text + JSON.parse, no SDK) ${fmt(g.accountsSequentialEffectHttp.median)} ms = ${fmt(g.accountsSequentialEffectHttp.median / g.accountsSequential.raw.median)}× raw`
  })
  const concRatio = g.accountsConcurrent.sdk.median / g.accountsConcurrent.raw.median
  results.push({
    name: "Accounts.search, 32 concurrent (wall time per request)",
    value: g.accountsConcurrent.sdk.median,
    unit: "ms",
    reference: "raw undici + JSON.parse",
    referenceValue: g.accountsConcurrent.raw.median,
    ratio: concRatio,
    goal: "≤ 1.15×",
    met: concRatio <= 1.15,
    spread: mm(g.accountsConcurrent.sdk, "ms"),
    referenceSpread: mm(g.accountsConcurrent.raw, "ms"),
    detail: `round time / requests with 32 workers in flight; median over ${g.accountsConcurrent.sdk.n} rounds per side (= ${fmt(1000 / g.accountsConcurrent.sdk.median)} vs ${fmt(1000 / g.accountsConcurrent.raw.median)} req/s)`
  })
  const barsRatio = g.bars.sdk.median / g.bars.raw.median
  results.push({
    name: "bars: 20,000 → Arrow Table, cache off",
    value: g.bars.sdk.median,
    unit: "ms",
    reference: "raw undici + JSON.parse",
    referenceValue: g.bars.raw.median,
    ratio: barsRatio,
    goal: "≤ 1.2×",
    met: barsRatio <= 1.2,
    spread: p(g.bars.sdk, "ms"),
    referenceSpread: p(g.bars.raw, "ms"),
    detail: `${g.bars.sdk.n} requests per side, interleaved; same URL, body and Authorization header; includes the simulator building ${fmt(g.jsonBytes / 1e6)} MB of JSON`
  })
  const hitRatio = g.cacheHit.median / g.cacheMiss.median
  results.push({
    name: "Cache hit, same 20,000 bars",
    value: g.cacheHit.median,
    unit: "ms",
    reference: "the miss (clear, fetch, encode, store)",
    referenceValue: g.cacheMiss.median,
    ratio: hitRatio,
    goal: "≤ 0.01× (≥ 100× faster) and ≤ 1 ms",
    met: hitRatio <= 0.01 && g.cacheHit.median <= 1,
    spread: p(g.cacheHit, "ms"),
    referenceSpread: p(g.cacheMiss, "ms"),
    detail: `MarketData.bars through runPromise, ${g.cacheHit.n} hits, ${g.cacheMiss.n} misses; ${fmt(1 / hitRatio)}× faster`
  })
  if (g.sharedHit !== undefined) {
    const sharedRatio = g.sharedHit.median / g.cacheMiss.median
    results.push({
      name: "Shared (Redis) cache hit, same 20,000 bars",
      value: g.sharedHit.median,
      unit: "ms",
      reference: "the miss (clear, fetch, encode, store)",
      referenceValue: g.cacheMiss.median,
      ratio: sharedRatio,
      goal: "< 1× (faster than fetching again); in-process hit above",
      met: sharedRatio < 1,
      spread: p(g.sharedHit, "ms"),
      referenceSpread: p(g.cacheMiss, "ms"),
      detail: `a second SDK instance with an empty in-process cache reads the blob another instance stored in a local redis-server (GET + base64 + lz4 + Arrow); ${g.sharedHit.n} runs; in-process hit ${fmt(g.cacheHit.median)} ms`
    })
  } else {
    log(`shared cache figure skipped: ${g.sharedSkipped ?? "no redis-server"}`)
  }
  const bytesRatio = g.storedBytes / g.jsonBytes
  results.push({
    name: "Bytes stored, 20,000 bars",
    value: g.storedBytes,
    unit: "bytes",
    reference: "the JSON response",
    referenceValue: g.jsonBytes,
    ratio: bytesRatio,
    goal: "≤ 0.30×",
    met: bytesRatio <= 0.3,
    spread: "exact",
    referenceSpread: "exact",
    detail: `BarCache stats.bytesStored (IPC + lz4 + header); uncompressed IPC ${show(g.uncompressedBytes, "bytes")}`
  })
}

const overheadRow = (
  name: string,
  reference: string,
  sdk: MicroFigures["limiter"]["sdk"],
  peer: MicroFigures["limiter"]["sdk"],
  detail: string
) => {
  const ratio = sdk.overhead.median / peer.overhead.median
  results.push({
    name,
    value: sdk.overhead.median,
    unit: "ns",
    reference,
    referenceValue: peer.overhead.median,
    ratio,
    goal: "< 1× (faster)",
    met: ratio < 1,
    spread: mm(sdk.overhead, "ns"),
    referenceSpread: mm(peer.overhead, "ns"),
    detail: `${detail}; added cost per call = wrapped − bare loop of Promise.resolve(1) in the same round. Wrapped/bare per call: SDK ${fmt(sdk.wrapped.median)}/${fmt(sdk.bare.median)} ns, ${reference} ${fmt(peer.wrapped.median)}/${fmt(peer.bare.median)} ns`
  })
}

const microRows = (m: MicroFigures) => {
  overheadRow(
    "Rate limiter acquire, uncontended (added per call)",
    "bottleneck",
    m.limiter.sdk,
    m.limiter.bottleneck,
    'SDK RateLimiter.acquire("general") with limit 1e9/60 s then the op, vs new Bottleneck({ reservoir: 1e9 }).schedule(op)'
  )
  overheadRow(
    "Circuit breaker, closed (added per call)",
    "cockatiel",
    m.breaker.sdk,
    m.breaker.cockatiel,
    'SDK CircuitBreaker.protect("Account", …)(op), vs cockatiel circuitBreaker(handleAll, ConsecutiveBreaker(5)).execute(op)'
  )
}

const throughputRows = (t: ThroughputFigures) => {
  results.push({
    name: "Simulator throughput, small requests (Account/search)",
    value: t.accounts.median,
    unit: "req/s",
    reference: "— (absolute goal)",
    referenceValue: null,
    ratio: null,
    goal: "≥ 5,000 req/s",
    met: t.accounts.median >= 5000 && t.errors === 0,
    spread: mm(t.accounts, "req/s"),
    referenceSpread: "—",
    detail: `POST /api/Account/search with a bearer token, ${t.inFlight} in flight over ${t.connections} keep-alive connections (undici Pool in the parent; the simulator in its child process; both share the machine's ${cpus().length} cores); GET /api/Status/ping: ${fmt(t.ping.median)} req/s; non-200 replies: ${t.errors}`
  })
}

const heapRows = (h: HeapFigures) => {
  const ratio = h.cache.bytes / h.json.bytes
  results.push({
    name: `Heap per ${fmt(h.cache.bars / 1e6)}M cached bars`,
    value: h.cache.bytes,
    unit: "bytes",
    reference: "the same bars as JSON objects",
    referenceValue: h.json.bytes,
    ratio,
    goal: "≤ 0.2×",
    met: ratio <= 0.2,
    spread: quick ? "1 process" : "median of 3 processes",
    referenceSpread: quick ? "1 process" : "median of 3 processes",
    detail: `Δ(heapUsed + arrayBuffers) after forced GCs in a fresh --expose-gc process; BarCache blob ${show(h.cache.storedBytes ?? 0, "bytes")} (IPC ${show(h.cache.ipcBytes ?? 0, "bytes")}); a decoded BarTable holds ${show(h.table.bytes, "bytes")}; JSON objects are { t, o, h, l, c, v } from JSON.parse of the Gateway's format`
  })
}

// --- run ----------------------------------------------------------------------------------------

const cpu = cpus()[0]?.model ?? "unknown CPU"
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")
const header = [
  `${new Date().toISOString()}, Node ${process.version}, ${cpu} × ${cpus().length} cores${quick ? ", QUICK run (reduced sizes)" : ""}; load average at start ${load()}`,
  "The simulator runs in a child process (separate event loop); the client runs in this process; loopback only (127.0.0.1).",
  "Ratios are value / reference, both measured in this run; 'Value' is a median unless the detail says otherwise."
]
for (const h of header) console.log(h)

const needsSim = parts.has("gateway") || parts.has("throughput")
const sim = needsSim ? await startSimulator() : undefined
if (sim !== undefined) log(`simulator child pid ${sim.pid} at ${sim.url}`)
try {
  if (sim !== undefined && parts.has("gateway")) gatewayRows(await runGateway(sim.url, sizes.gateway, log))
  if (parts.has("micro")) microRows(await runMicro(sizes.micro, log))
  if (sim !== undefined && parts.has("throughput")) throughputRows(await runThroughput(sim.url, sizes.throughput, log))
} finally {
  await sim?.stop()
}
if (parts.has("heap")) heapRows(await runHeap(sizes.heap.bars, sizes.heap.repeats, log))

const seconds = (performance.now() - started) / 1000
header.push(
  `Run took ${seconds.toFixed(1)} s; load average at end ${load()} (other work on the machine skews every figure).`
)
console.log(header[header.length - 1])
console.log("")
console.log(consoleTable(results))
console.log("")
for (const r of results) if (r.detail !== "") console.log(`- ${r.name}: ${r.detail}`)
const missed = results.filter((r) => !r.met)
console.log("")
console.log(
  missed.length === 0
    ? `All ${results.length} goals met.`
    : `MISSED ${missed.length} of ${results.length} goals: ${missed.map((r) => r.name).join("; ")}`
)
const files = writeResults(new URL("../", import.meta.url), results, header)
console.log(`Wrote ${files.json} and ${files.md} (${seconds.toFixed(1)} s).`)
