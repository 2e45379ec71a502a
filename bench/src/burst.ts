// The limiter's burst figure (issue 12): 1,000 Accounts.search calls from 100 fibers against the
// simulator's sliding windows (200 per 3 s: the Gateway's 200 per 60 s time-scaled by 0.05), with no safety
// margin and a CPU-burning worker thread beside them. Reports the 429s the simulator counted (goal 0) and the
// throughput as the fastest any client could finish (five full windows) over the time taken (goal ≥ 90 %).
import { Worker } from "node:worker_threads"
import { Endpoints } from "@projectx-effect/gateway"
import { GatewayClient, ProjectX } from "@projectx-effect/sdk"
import { Simulator } from "@projectx-effect/simulator"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"

export interface BurstFigures {
  readonly elapsedMs: number
  readonly fastestMs: number
  readonly rateLimited: number
  readonly calls: number
}

export const runBurst = async (log: (line: string) => void): Promise<BurstFigures> => {
  const sim = await Simulator.start({
    port: 0,
    tradingHours: "always",
    rateLimit: { enabled: true, mode: "sliding", timeScale: 0.05 }
  })
  const runtime = ManagedRuntime.make(
    ProjectX.layer({
      apiUrl: sim.url,
      username: Simulator.credentials.userName,
      apiKey: Simulator.credentials.apiKey,
      rateLimits: { general: { limit: 200, window: "3 seconds" }, safetyMargin: 0 }
    })
  )
  const burner = new Worker("for (;;) {}", { eval: true })
  try {
    const search = Effect.flatMap(Effect.service(GatewayClient.GatewayClient), (c) =>
      c.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })
    )
    await runtime.runPromise(search) // the login shares the general bucket
    const calls = 1_000
    log(`burst: ${calls} calls from 100 fibers at 200 per 3 s, a CPU-burning worker beside them`)
    const started = performance.now()
    await runtime.runPromise(
      Effect.forEach(
        Array.from({ length: 100 }),
        () => Effect.forEach(Array.from({ length: calls / 100 }), () => search, { discard: true }),
        { concurrency: "unbounded", discard: true }
      )
    )
    const elapsedMs = performance.now() - started
    const stats = await sim.stats()
    return {
      elapsedMs,
      fastestMs: 5 * 3_000,
      rateLimited: stats.endpoints.searchAccounts?.rateLimited ?? 0,
      calls
    }
  } finally {
    await burner.terminate()
    await runtime.dispose()
    await sim.stop()
  }
}
