// Diagnostics behind the missed goals (not part of `npm run bench`): where an SDK call's time goes.
//
//   npx node --conditions=@projectx-effect/source bench/src/breakdown.ts
//
// 1. Accounts.search layer by layer over the simulator (child process): raw undici, Effect's HttpClient
//    alone, + two Effect.timeoutOption (as GatewayTransport does), GatewayClient.call, Accounts.search.
//    Wall and CPU (process.cpuUsage, all threads) per request; medians of 3 rounds.
// 2. The same SDK pipeline over an in-memory HttpClient (no network), to show its own CPU cost; 2b. the
//    production path (undici dispatched directly) over a fake pool that answers on the next turn.
// 3. The steps of a 20,000-bar response: the byte scan a miss runs, and the text path it replaces
//    (TextDecoder, JSON.parse, decodeBarColumns, parseTimestamp), then Bars.toTable.
import { NodeHttpClient } from "@effect/platform-node"
import { decodeBarColumns, Endpoints, parseTimestamp, scanBarsResponse } from "@projectx-effect/gateway"
import { Accounts, Bars, GatewayClient, Instruments, ProjectX } from "@projectx-effect/sdk"
import { Simulator } from "@projectx-effect/simulator"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import { Agent } from "undici"
import {
  type DispatchHandler,
  type DispatchOptions,
  UndiciPool
} from "../../packages/sdk/src/client/internal/undiciExchange.ts"
import { startSimulator } from "./sim.ts"
import { summarize } from "./stats.ts"

const N = 2_000
const unlimited = { limit: 1_000_000, window: "60 seconds" } as const
const sdkOptions = (apiUrl: string) => ({
  apiUrl,
  username: Simulator.credentials.userName,
  apiKey: Simulator.credentials.apiKey,
  rateLimits: { general: unlimited, history: unlimited },
  cache: false as const
})

const measure = async (variants: Record<string, () => Promise<unknown>>, n: number) => {
  const rows: Record<string, { wall: Array<number>; cpu: Array<number> }> = {}
  for (const name of Object.keys(variants)) {
    rows[name] = { wall: [], cpu: [] }
    await variants[name]!()
  }
  for (let round = 0; round < 3; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      await run()
      const c = process.cpuUsage(c0)
      rows[name]!.wall.push(((performance.now() - t0) * 1000) / n)
      rows[name]!.cpu.push((c.user + c.system) / n)
    }
  }
  for (const [name, r] of Object.entries(rows)) {
    const wall = summarize(r.wall).median
    const cpu = summarize(r.cpu).median
    console.log(`  ${name.padEnd(44)} wall ${wall.toFixed(0).padStart(6)} µs   cpu ${cpu.toFixed(0).padStart(6)} µs`)
  }
}

const sim = await startSimulator()
const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 })
const sdk = ManagedRuntime.make(ProjectX.layer(sdkOptions(sim.url)))
const effectHttp = ManagedRuntime.make(
  NodeHttpClient.layerUndiciOptions({ connections: 64, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 })
)
try {
  const origin = new URL(sim.url).origin
  const post = async (path: string, body: string, token?: string) => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" }
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    const res = await agent.request({ origin, path, method: "POST", headers, body })
    return res.body.text()
  }
  const loginText = await post(Endpoints.loginKey.path, JSON.stringify(Simulator.credentials))
  const token = (JSON.parse(loginText) as { token: string }).token
  const body = '{"onlyActiveAccounts":true}'
  const accountsText = await post(Endpoints.searchAccounts.path, body, token)

  const http = await effectHttp.runPromise(Effect.service(HttpClient.HttpClient))
  const request = HttpClientRequest.post(`${origin}${Endpoints.searchAccounts.path}`).pipe(
    HttpClientRequest.acceptJson,
    HttpClientRequest.bodyText(body, "application/json"),
    HttpClientRequest.bearerToken(token)
  )
  const bare = http.execute(request).pipe(
    Effect.flatMap((r) => r.text),
    Effect.map((t) => JSON.parse(t) as unknown)
  )
  const withTimeouts = http.execute(request).pipe(
    Effect.timeoutOption("30 seconds"),
    Effect.flatMap((o) =>
      o._tag === "Some" ? Effect.timeoutOption(o.value.text, "30 seconds") : Effect.die("timeout")
    ),
    Effect.map((o) => (o._tag === "Some" ? (JSON.parse(o.value) as unknown) : undefined))
  )
  const accounts = await sdk.runPromise(Effect.service(Accounts.Accounts))
  const client = await sdk.runPromise(Effect.service(GatewayClient.GatewayClient))
  const loop = <E>(
    runtime: ManagedRuntime.ManagedRuntime<never, never> | typeof sdk,
    effect: () => Effect.Effect<unknown, E>
  ) =>
    (runtime as ManagedRuntime.ManagedRuntime<never, never>).runPromise(
      Effect.gen(function* () {
        for (let i = 0; i < N; i++) yield* effect()
      }) as Effect.Effect<void>
    )

  console.log(`1. Accounts.search over loopback, sequential, ${N} requests × 3 rounds (per request):`)
  await measure(
    {
      "raw undici + JSON.parse": async () => {
        for (let i = 0; i < N; i++) JSON.parse(await post(Endpoints.searchAccounts.path, body, token))
      },
      "Effect HttpClient (execute + text + parse)": () =>
        effectHttp.runPromise(
          Effect.gen(function* () {
            for (let i = 0; i < N; i++) yield* bare
          })
        ),
      "  + 2 × Effect.timeoutOption": () =>
        effectHttp.runPromise(
          Effect.gen(function* () {
            for (let i = 0; i < N; i++) yield* withTimeouts
          })
        ),
      "SDK GatewayClient.call": () =>
        loop(sdk, () => client.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })),
      "SDK Accounts.search": () => loop(sdk, () => accounts.search())
    },
    N
  )

  // 2. The SDK over an in-memory HttpClient: its pipeline's own cost, no I/O.
  const mock = HttpClient.make((req) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(
        req,
        new Response(req.url.endsWith(Endpoints.loginKey.path) ? loginText : accountsText, {
          headers: { "content-type": "application/json" }
        })
      )
    )
  )
  const memory = ManagedRuntime.make(
    ProjectX.layerWithoutHttp(sdkOptions("http://127.0.0.1:9")).pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, mock))
    )
  )
  try {
    const memAccounts = await memory.runPromise(Effect.service(Accounts.Accounts))
    const mockBare = mock.execute(request).pipe(
      Effect.flatMap((r) => r.text),
      Effect.map((t) => JSON.parse(t) as unknown)
    )
    const M = 10_000
    console.log(`2. In-memory HttpClient (no network), ${M} calls × 3 rounds (per call):`)
    await measure(
      {
        "in-memory HttpClient alone": () =>
          memory.runPromise(
            Effect.gen(function* () {
              for (let i = 0; i < M; i++) yield* mockBare
            })
          ),
        "SDK Accounts.search over it": () =>
          memory.runPromise(
            Effect.gen(function* () {
              for (let i = 0; i < M; i++) yield* memAccounts.search()
            })
          )
      },
      M
    )
  } finally {
    await memory.dispose()
  }

  // 2b. The production path (the transport dispatching on an undici pool) over a pool that answers on the
  // next turn of the event loop: everything an SDK call costs except undici and the network.
  const loginBytes = new TextEncoder().encode(loginText)
  const accountsBytes = new TextEncoder().encode(accountsText)
  const date = new Date().toUTCString()
  const instantPool = {
    dispatch: (options: DispatchOptions, handler: DispatchHandler) => {
      const reply = options.path.endsWith(Endpoints.loginKey.path) ? loginBytes : accountsBytes
      const controller = { abort: () => {} }
      handler.onRequestStart(controller, undefined)
      setImmediate(() => {
        const headers = { "content-type": "application/json", "content-length": String(reply.length), date }
        handler.onResponseStart(controller, 200, headers)
        handler.onResponseData(controller, reply)
        handler.onResponseEnd(controller, {})
      })
      return true
    }
  }
  const pooled = ManagedRuntime.make(
    ProjectX.layerWithoutHttp(sdkOptions("http://127.0.0.1:9")).pipe(
      Layer.provide(Layer.mergeAll(Layer.succeed(UndiciPool, instantPool), Layer.succeed(HttpClient.HttpClient, mock)))
    )
  )
  try {
    const pooledAccounts = await pooled.runPromise(Effect.service(Accounts.Accounts))
    const M = 10_000
    const tick = () =>
      new Promise<void>((resolve) => {
        let i = 0
        const next = () => (++i >= M ? resolve() : setImmediate(next))
        setImmediate(next)
      })
    console.log(`2b. Instant fake undici pool (the production path minus undici and I/O), ${M} calls × 3 rounds:`)
    await measure(
      {
        "setImmediate alone (the fake's turn)": tick,
        "SDK Accounts.search over it": () =>
          pooled.runPromise(
            Effect.gen(function* () {
              for (let i = 0; i < M; i++) yield* pooledAccounts.search()
            })
          ),
        "… 32 in flight": () =>
          pooled.runPromise(
            Effect.forEach(
              Array.from({ length: 32 }),
              () =>
                Effect.gen(function* () {
                  for (let i = 0; i < M / 32; i++) yield* pooledAccounts.search()
                }),
              { concurrency: 32, discard: true }
            )
          )
      },
      M
    )
  } finally {
    await pooled.dispose()
  }

  // 3. The steps of one 20,000-bar response.
  const instruments = await sdk.runPromise(Effect.service(Instruments.Instruments))
  const contract = await sdk.runPromise(instruments.resolve("MNQ"))
  const end = Math.floor((Date.now() - 2 * 86_400_000) / 3_600_000) * 3_600_000
  const barsBody = JSON.stringify(
    Schema.encodeSync(Endpoints.retrieveBars.request)({
      contractId: contract.id,
      live: false,
      startTime: new Date(end - 20_000 * 60_000),
      endTime: new Date(end),
      unit: 2,
      unitNumber: 1,
      limit: 20_000,
      includePartialBar: false
    })
  )
  const res = await agent.request({
    origin,
    path: Endpoints.retrieveBars.path,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: barsBody
  })
  const bytes = new Uint8Array(await res.body.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  const parsed = JSON.parse(text) as { bars: Array<{ t: string }> }
  const decoded = decodeBarColumns(parsed.bars)
  if (decoded._tag !== "Success") throw new Error("bars did not decode")
  const stamps = parsed.bars.map((b) => b.t)
  const step = (name: string, f: () => unknown) => {
    // Enough warm-up for the optimising compiler to finish with each step (5 left the first step cold).
    for (let i = 0; i < 20; i++) f()
    const xs: Array<number> = []
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now()
      f()
      xs.push(performance.now() - t0)
    }
    console.log(`  ${name.padEnd(44)} ${summarize(xs).median.toFixed(2).padStart(7)} ms`)
  }
  console.log(`3. One 20,000-bar response (${(bytes.byteLength / 1e6).toFixed(2)} MB), median of 30:`)
  step("scanBarsResponse (the bytes: what a miss runs)", () => scanBarsResponse(bytes))
  step("TextDecoder.decode", () => new TextDecoder().decode(bytes))
  step("JSON.parse", () => JSON.parse(text))
  step("decodeBarColumns (on the parsed JSON)", () => decodeBarColumns(parsed.bars))
  step("  of which parseTimestamp × 20,000", () => {
    let s = 0
    for (const t of stamps) s += parseTimestamp(t) ?? 0
    return s
  })
  step("  (Date.parse × 20,000, for scale)", () => {
    let s = 0
    for (const t of stamps) s += Date.parse(t)
    return s
  })
  step("Bars.toTable", () => Bars.toTable(decoded.columns))
} finally {
  await sdk.dispose()
  await effectHttp.dispose()
  await agent.close()
  await sim.stop()
}
