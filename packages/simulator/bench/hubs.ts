// Market-hub throughput: how many GatewayQuote events per second the simulator pushes to one official
// @microsoft/signalr client on loopback (not a test: numbers vary by machine).
//
//   npx node --conditions=@projectx-effect/source packages/simulator/bench/hubs.ts
//
// The simulator runs as its own process (the `projectx-sim` bin, market always open, live clock) at
// several `--ticks-per-second` rates; the client subscribes to one contract's quotes and trades and
// counts events for BENCH_MS (default 5 s) after a 1 s warm-up. Target: thousands of quotes per second.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { HttpTransportType, HubConnectionBuilder, LogLevel } from "@microsoft/signalr"

const start = "2025-11-19T15:30:00Z"
const contract = "CON.F.US.MNQ.Z25"
const durationMs = Number(process.env.BENCH_MS ?? 5_000)
const rates = (process.env.BENCH_RATES ?? "1000,5000,20000,50000").split(",").map(Number)

const startServer = async (ticksPerSecond: number): Promise<{ url: string; stop: () => void }> => {
  const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const args = ["--port", "0", "--start", start, "--always-open", "--no-rate-limit"]
  const child = spawn(
    process.execPath,
    ["--conditions=@projectx-effect/source", bin, ...args, "--ticks-per-second", String(ticksPerSecond)],
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

const run = async (ticksPerSecond: number) => {
  const server = await startServer(ticksPerSecond)
  try {
    const login = await fetch(`${server.url}/api/Auth/loginKey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userName: "demo", apiKey: "sim-demo-api-key" })
    })
    const { token } = (await login.json()) as { token: string }
    const connection = new HubConnectionBuilder()
      .withUrl(`${server.url}/hubs/market`, {
        accessTokenFactory: () => token,
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets
      })
      .configureLogging(LogLevel.None)
      .build()
    let quotes = 0
    let prints = 0
    connection.on("GatewayQuote", () => {
      quotes++
    })
    connection.on("GatewayTrade", (_id: string, trades: ReadonlyArray<unknown>) => {
      prints += trades.length
    })
    await connection.start()
    await connection.invoke("SubscribeContractQuotes", contract)
    await connection.invoke("SubscribeContractTrades", contract)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const q0 = quotes
    const p0 = prints
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, durationMs))
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const received = quotes - q0
    const perSecond = Math.round(received / seconds)
    const clientCpuUs = received === 0 ? 0 : (cpu.user + cpu.system) / received
    console.log(
      `ticksPerSecond ${String(ticksPerSecond).padStart(6)}: ${String(perSecond).padStart(7)} quotes/s ` +
        `(${Math.round((perSecond / ticksPerSecond) * 100)}% of the rate), ${Math.round((prints - p0) / seconds)} prints/s, ` +
        `client CPU ${clientCpuUs.toFixed(1)} µs/quote`
    )
    await connection.stop()
  } finally {
    server.stop()
  }
}

for (const rate of rates) await run(rate)
