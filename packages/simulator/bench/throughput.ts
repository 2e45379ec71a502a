// Simulator benchmarks (not tests: numbers vary by machine).
//
//   npx node --conditions=@projectx-effect/source packages/simulator/bench/throughput.ts
//
// 1. Small requests per second over keep-alive loopback: the simulator runs as its own process
//    (the `projectx-sim` bin) and an undici Pool drives it with a fixed number of requests in flight.
//    Targets: >= 5,000 req/s on a 2-core machine.
// 2. Time to build a 20,000-bar History/retrieveBars reply in-process (target < 50 ms), and the same
//    request end to end over HTTP.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Endpoints } from "@projectx-effect/gateway"
import { Pool } from "undici"
import { barsReply } from "../src/internal/Bars.ts"
import { listed } from "../src/internal/Contracts.ts"
import { Market } from "../src/internal/Market.ts"
import { Simulator } from "../src/index.ts"

const start = "2025-11-19T15:30:00Z"
const durationMs = Number(process.env.BENCH_MS ?? 5_000)
const inFlight = Number(process.env.BENCH_CONCURRENCY ?? 32)

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const startServer = async (): Promise<{ url: string; stop: () => void }> => {
  const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const child = spawn(
    process.execPath,
    ["--conditions=@projectx-effect/source", bin, "--port", "0", "--start", start, "--fixed", "--no-rate-limit"],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m !== null) resolve(m[1]!)
    })
    child.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
  })
  return { url, stop: () => child.kill("SIGINT") }
}

/** Requests per second with `inFlight` requests outstanding for `durationMs`. */
const throughput = async (
  pool: Pool,
  make: () => { method: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: string }
): Promise<{ rps: number; requests: number; errors: number }> => {
  let requests = 0
  let errors = 0
  const run = async (until: number) => {
    while (performance.now() < until) {
      const r = make()
      const res = await pool.request(r)
      await res.body.text()
      if (res.statusCode !== 200) errors++
      requests++
    }
  }
  // Warm-up, then the timed run.
  await Promise.all(Array.from({ length: inFlight }, () => run(performance.now() + 1_000)))
  requests = 0
  errors = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: inFlight }, () => run(t0 + durationMs)))
  const elapsed = performance.now() - t0
  return { rps: Math.round((requests / elapsed) * 1000), requests, errors }
}

const server = await startServer()
const pool = new Pool(server.url, { connections: 8, pipelining: 1 })
try {
  const login = await pool.request({
    method: "POST",
    path: Endpoints.loginKey.path,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(Simulator.credentials)
  })
  const token = ((await login.body.json()) as { token: string }).token
  const auth = { "content-type": "application/json", authorization: `Bearer ${token}` }

  const ping = await throughput(pool, () => ({ method: "GET", path: Endpoints.ping.path }))
  const accounts = await throughput(pool, () => ({
    method: "POST",
    path: Endpoints.searchAccounts.path,
    headers: auth,
    body: '{"onlyActiveAccounts":true}'
  }))
  const openOrders = await throughput(pool, () => ({
    method: "POST",
    path: Endpoints.searchOpenOrders.path,
    headers: auth,
    body: '{"accountId":1001}'
  }))

  // 20,000 one-minute bars: in-process build time (cold = first call on a fresh market).
  const nowMs = Date.parse(start)
  const req = (market: Market) => ({
    contract: listed(nowMs)[0]!,
    unit: 2,
    unitNumber: 1,
    startMs: Date.parse("2025-01-01T00:00:00Z"),
    endMs: nowMs,
    limit: 20_000,
    includePartialBar: false,
    nowMs,
    market
  })
  const build = (market: Market) => {
    const t0 = performance.now()
    const bytes = barsReply(market, req(market), '{"bars":', ',"success":true,"errorCode":0,"errorMessage":null}')
    return { ms: performance.now() - t0, bytes: bytes.length }
  }
  const coldMarket = new Market({
    seed: 42,
    historyStartMs: Date.parse("2020-01-01T00:00:00Z"),
    tradingHours: "cme"
  })
  const cold = build(coldMarket)
  const warm: Array<number> = []
  for (let i = 0; i < 15; i++) warm.push(build(coldMarket).ms)
  const fresh: Array<number> = []
  for (let s = 0; s < 5; s++) {
    fresh.push(
      build(new Market({ seed: 100 + s, historyStartMs: Date.parse("2020-01-01T00:00:00Z"), tradingHours: "cme" })).ms
    )
  }
  const overHttp: Array<number> = []
  const barsBody = JSON.stringify({
    contractId: "CON.F.US.MNQ.Z25",
    live: false,
    startTime: "2025-01-01T00:00:00Z",
    endTime: start,
    unit: 2,
    unitNumber: 1,
    limit: 20_000,
    includePartialBar: false
  })
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now()
    const res = await pool.request({ method: "POST", path: Endpoints.retrieveBars.path, headers: auth, body: barsBody })
    const json = (await res.body.json()) as { bars: Array<unknown> }
    if (json.bars.length !== 20_000) throw new Error(`expected 20,000 bars, got ${json.bars.length}`)
    overHttp.push(performance.now() - t0)
  }

  const results = {
    node: process.version,
    concurrency: inFlight,
    durationMs,
    throughput: {
      "GET /api/Status/ping": ping,
      "POST /api/Account/search (auth + decode)": accounts,
      "POST /api/Order/searchOpen (auth + decode)": openOrders
    },
    bars20k: {
      bytes: cold.bytes,
      buildColdMs: Number(cold.ms.toFixed(1)),
      buildFreshMarketMedianMs: Number(median(fresh).toFixed(1)),
      buildWarmMedianMs: Number(median(warm).toFixed(1)),
      httpRoundTripMedianMs: Number(median(overHttp).toFixed(1))
    }
  }
  console.table(
    Object.entries(results.throughput).map(([name, r]) => ({ request: name, "req/s": r.rps, errors: r.errors }))
  )
  console.table([
    { step: "20,000 1-minute bars: first build (cold JIT, empty caches)", ms: results.bars20k.buildColdMs },
    { step: "20,000 bars: fresh market (empty caches), median", ms: results.bars20k.buildFreshMarketMedianMs },
    { step: "20,000 bars: warm, median", ms: results.bars20k.buildWarmMedianMs },
    { step: "20,000 bars over HTTP incl. client JSON.parse, median", ms: results.bars20k.httpRoundTripMedianMs }
  ])
  console.log(JSON.stringify(results))
} finally {
  await pool.close()
  server.stop()
}
