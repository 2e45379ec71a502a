// Simulator throughput on small requests: an undici Pool in this process keeps 32 requests in flight
// against the simulator's child process for a fixed time; requests per second over the timed window.
import { Endpoints } from "@projectx-effect/gateway"
import { Simulator } from "@projectx-effect/simulator"
import { Pool } from "undici"
import { type Summary, summarize } from "./stats.ts"

export interface ThroughputSizes {
  readonly rounds: number
  readonly roundMs: number
  readonly warmupMs: number
}

export interface ThroughputFigures {
  /** POST /api/Account/search with a bearer token (auth check, body decode, JSON reply). */
  readonly accounts: Summary
  /** GET /api/Status/ping (no auth). */
  readonly ping: Summary
  readonly errors: number
  readonly inFlight: number
  readonly connections: number
}

const IN_FLIGHT = 32
const CONNECTIONS = 32

interface Req {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
}

export const runThroughput = async (
  url: string,
  sizes: ThroughputSizes,
  log: (line: string) => void
): Promise<ThroughputFigures> => {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 })
  let errors = 0
  const drive = async (req: Req, ms: number): Promise<number> => {
    let done = 0
    const until = performance.now() + ms
    const worker = async () => {
      while (performance.now() < until) {
        const res = await pool.request(req)
        await res.body.text()
        if (res.statusCode !== 200) errors++
        done++
      }
    }
    const t0 = performance.now()
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    return (done / (performance.now() - t0)) * 1000
  }
  try {
    const login = await pool.request({
      method: "POST",
      path: Endpoints.loginKey.path,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Simulator.credentials)
    })
    const token = ((await login.body.json()) as { token: string }).token
    const accounts: Req = {
      method: "POST",
      path: Endpoints.searchAccounts.path,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: '{"onlyActiveAccounts":true}'
    }
    const ping: Req = { method: "GET", path: Endpoints.ping.path }
    log("simulator throughput …")
    await drive(accounts, sizes.warmupMs)
    await drive(ping, sizes.warmupMs / 2)
    errors = 0
    const a: Array<number> = []
    const p: Array<number> = []
    for (let r = 0; r < sizes.rounds; r++) {
      a.push(await drive(accounts, sizes.roundMs))
      p.push(await drive(ping, sizes.roundMs / 2))
    }
    return {
      accounts: summarize(a),
      ping: summarize(p),
      errors,
      inFlight: IN_FLIGHT,
      connections: CONNECTIONS
    }
  } finally {
    await pool.close()
  }
}
