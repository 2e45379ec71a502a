// Realtime figures (issue 16): the market hub through the SDK's Stream against the official
// @microsoft/signalr client's bare on() callback on the same simulator feed, in the same process.
//  - CPU per quote: process.cpuUsage() over a window / quotes the socket delivered (the SDK decodes and
//    merges every one, even those its latest-wins mailbox coalesces), interleaved rounds.
//  - Socket → subscriber latency: at a low rate (frames never overlap), the time from ws emitting the
//    frame to the subscriber seeing the quote; median and p99.
//  - Memory: heap after GC once 100k quotes went through the SDK, and again after 1M (flat = no growth).
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { HttpTransportType, HubConnectionBuilder, LogLevel } from "@microsoft/signalr"
import { MarketHub, ProjectX } from "@projectx-effect/sdk"
import { Effect, Fiber, type Layer, ManagedRuntime, Stream } from "effect"
import WebSocket from "ws"
import { type Summary, summarize } from "./stats.ts"

export interface RealtimeFigures {
  readonly cpu: { readonly sdk: Summary; readonly bare: Summary }
  readonly ratePerSecond: { readonly sdk: Summary; readonly bare: Summary }
  readonly delivered: number
  readonly latency: {
    readonly sdk: Summary & { readonly p99: number }
    readonly bare: Summary & { readonly p99: number }
  }
  readonly memory: { readonly at: number; readonly heapAt: number; readonly end: number; readonly heapEnd: number }
  readonly rate: number
}

export interface RealtimeSizes {
  readonly rounds: number
  readonly roundMs: number
  readonly rate: number
  readonly latencySamples: number
  readonly memoryEvents: number
}

// Every frame's arrival time, from ws itself (both clients use this ws class).
let lastFrameAt = 0
const originalEmit = WebSocket.prototype.emit
WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: Array<unknown>) {
  if (event === "message") lastFrameAt = performance.now()
  return originalEmit.call(this, event, ...args)
} as typeof WebSocket.prototype.emit

const startServer = async (): Promise<{ url: string; stop: () => void }> => {
  const bin = fileURLToPath(new URL("../../packages/simulator/src/bin.ts", import.meta.url))
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=@projectx-effect/source", bin, "--port", "0", "--always-open", "--no-rate-limit"],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error("the simulator did not start within 60 s")), 60_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.on("exit", (code) => reject(new Error(`the simulator exited with ${code}`)))
  })
  child.removeAllListeners("exit")
  return { url, stop: () => child.kill("SIGINT") }
}

const setRate = (url: string, ticksPerSecond: number) =>
  fetch(`${url}/_sim/hubs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ticksPerSecond })
  }).then((r) => r.json())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const gc = (): (() => void) => {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
}

const percentile = (samples: ReadonlyArray<number>, q: number) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** A client that counts quotes: either the bare official client or the SDK's Stream. */
interface Client {
  readonly received: () => number
  readonly onQuote: (f: () => void) => void
  readonly stop: () => Promise<void>
}

const bareClient = async (url: string, contractId: string): Promise<Client> => {
  const login = await fetch(`${url}/api/Auth/loginKey`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userName: "demo", apiKey: "sim-demo-api-key" })
  })
  const { token } = (await login.json()) as { token: string }
  const options = {
    accessTokenFactory: () => token,
    skipNegotiation: true,
    transport: HttpTransportType.WebSockets,
    WebSocket
  }
  const connection = new HubConnectionBuilder()
    .withUrl(`${url}/hubs/market`, options)
    .configureLogging(LogLevel.None)
    .build()
  let count = 0
  let hook: () => void = () => {}
  connection.on("GatewayQuote", (_contractId: string, _quote: unknown) => {
    count++
    hook()
  })
  await connection.start()
  await connection.invoke("SubscribeContractQuotes", contractId)
  return { received: () => count, onQuote: (f) => (hook = f), stop: () => connection.stop() }
}

const sdkClient = async (url: string, contractId: string): Promise<Client & { readonly delivered: () => number }> => {
  const runtime = ManagedRuntime.make(
    ProjectX.layer({
      apiUrl: url,
      username: "demo",
      apiKey: "sim-demo-api-key",
      rateLimits: { general: { limit: 1_000_000, window: "60 seconds" } },
      realtime: { marketOpen: () => true }
    }) as Layer.Layer<ProjectX.Services, never>
  )
  const hub = await runtime.runPromise(MarketHub.MarketHub.useSync((h) => h))
  let delivered = 0
  let hook: () => void = () => {}
  const fiber = runtime.runFork(
    Stream.runForEach(hub.quotes(contractId), (event) =>
      Effect.sync(() => {
        if (event._tag !== "Quote") return
        delivered++
        hook()
      })
    )
  )
  const messages = () => Effect.runSync(hub.health).messages.GatewayQuote ?? 0
  while (messages() === 0) await sleep(20)
  return {
    received: messages,
    delivered: () => delivered,
    onQuote: (f) => (hook = f),
    stop: async () => {
      await runtime.runPromise(Fiber.interrupt(fiber))
      await runtime.dispose()
    }
  }
}

/** CPU µs per socket quote over `ms`. */
const measureCpu = async (client: Client, ms: number) => {
  const q0 = client.received()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await sleep(ms)
  const cpu = process.cpuUsage(cpu0)
  const n = client.received() - q0
  const seconds = (performance.now() - t0) / 1000
  return { cpuUs: n === 0 ? Number.NaN : (cpu.user + cpu.system) / n, perSecond: n / seconds }
}

const measureLatency = async (client: Client, samples: number) => {
  const out: Array<number> = []
  await new Promise<void>((resolve) => {
    client.onQuote(() => {
      out.push((performance.now() - lastFrameAt) * 1000)
      if (out.length >= samples) resolve()
    })
  })
  client.onQuote(() => {})
  return { ...summarize(out), p99: percentile(out, 0.99) }
}

export const runRealtime = async (sizes: RealtimeSizes, log: (line: string) => void): Promise<RealtimeFigures> => {
  const server = await startServer()
  try {
    const contracts = (await (
      await fetch(`${server.url}/api/Contract/available`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${((await (await fetch(`${server.url}/api/Auth/loginKey`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: "demo", apiKey: "sim-demo-api-key" }) })).json()) as { token: string }).token}`
        },
        body: JSON.stringify({ live: false })
      })
    ).json()) as { contracts: Array<{ id: string; activeContract: boolean; name: string }> }
    const contractId = contracts.contracts.find((c) => c.activeContract && c.name.startsWith("MNQ"))!.id

    // CPU per quote at a high rate, interleaved rounds.
    await setRate(server.url, sizes.rate)
    const sdkCpu: Array<number> = []
    const bareCpu: Array<number> = []
    const sdkRate: Array<number> = []
    const bareRate: Array<number> = []
    let delivered = 0
    for (let round = 0; round < sizes.rounds; round++) {
      const bare = await bareClient(server.url, contractId)
      await sleep(500)
      const b = await measureCpu(bare, sizes.roundMs)
      await bare.stop()
      bareCpu.push(b.cpuUs)
      bareRate.push(b.perSecond)
      const sdk = await sdkClient(server.url, contractId)
      await sleep(500)
      const d0 = sdk.delivered()
      const s = await measureCpu(sdk, sizes.roundMs)
      delivered += sdk.delivered() - d0
      await sdk.stop()
      sdkCpu.push(s.cpuUs)
      sdkRate.push(s.perSecond)
      log(
        `realtime round ${round + 1}/${sizes.rounds}: bare ${b.cpuUs.toFixed(2)} µs/quote at ${Math.round(b.perSecond)}/s, SDK ${s.cpuUs.toFixed(2)} µs/quote at ${Math.round(s.perSecond)}/s`
      )
    }

    // Latency at a low rate: one quote per frame.
    await setRate(server.url, 50)
    const bare = await bareClient(server.url, contractId)
    const bareLatency = await measureLatency(bare, sizes.latencySamples)
    await bare.stop()
    const sdk = await sdkClient(server.url, contractId)
    const sdkLatency = await measureLatency(sdk, sizes.latencySamples)
    log(`realtime latency: bare median ${bareLatency.median.toFixed(0)} µs, SDK ${sdkLatency.median.toFixed(0)} µs`)

    // Memory over a long run through the same SDK subscription.
    await setRate(server.url, sizes.rate)
    const collect = gc()
    const heapAfter = async (events: number) => {
      while (sdk.received() < events) await sleep(100)
      collect()
      collect()
      return process.memoryUsage().heapUsed
    }
    const at = Math.max(100_000, Math.floor(sizes.memoryEvents / 10))
    const heapAt = await heapAfter(at)
    const heapEnd = await heapAfter(sizes.memoryEvents)
    const end = sdk.received()
    await sdk.stop()
    log(`realtime memory: ${(heapAt / 1e6).toFixed(1)} MB after ${at}, ${(heapEnd / 1e6).toFixed(1)} MB after ${end}`)
    return {
      cpu: { sdk: summarize(sdkCpu), bare: summarize(bareCpu) },
      ratePerSecond: { sdk: summarize(sdkRate), bare: summarize(bareRate) },
      delivered,
      latency: { sdk: sdkLatency, bare: bareLatency },
      memory: { at, heapAt, end, heapEnd },
      rate: sizes.rate
    }
  } finally {
    server.stop()
  }
}
