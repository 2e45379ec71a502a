// `projectx watch` as a user runs it: a subprocess against a simulator on loopback, printing one JSON
// object per line until Ctrl-C (SIGINT), which ends it cleanly.
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { ProjectXClient } from "@projectx-effect/sdk/promise"
import { Simulator } from "@projectx-effect/simulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

let sim: Simulator.Handle

beforeAll(async () => {
  sim = await Simulator.start({ tradingHours: "always", clock: { mode: "live", start: Date.now() } })
})
afterAll(async () => {
  await sim?.stop()
})

const env = () => {
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(PROJECT_X_|PROJECTX_|OTEL_)/.test(k) || k === "NODE_OPTIONS") continue
    clean[k] = v
  }
  return {
    ...clean,
    NO_COLOR: "1",
    PROJECT_X_USERNAME: Simulator.credentials.userName,
    PROJECT_X_API_KEY: Simulator.credentials.apiKey,
    PROJECT_X_ACCOUNT_NAME: "PRAC-V2-DEMO-1",
    PROJECTX_API_URL: sim.url
  }
}

/** Starts `projectx …args`; `lines` fills as it prints; `stop` sends SIGINT and resolves with the exit. */
const watch = (args: ReadonlyArray<string>) => {
  const child: ChildProcess = spawn(process.execPath, ["--conditions=@projectx-effect/source", bin, ...args], {
    env: env(),
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  let buffer = ""
  let stderr = ""
  child.stdout?.on("data", (d) => {
    buffer += d
    const parts = buffer.split("\n")
    buffer = parts.pop() ?? ""
    lines.push(...parts.filter((l) => l.length > 0))
  })
  child.stderr?.on("data", (d) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  const until = async (what: string, check: () => boolean, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL")
        throw new Error(`timed out waiting for ${what}\n${lines.join("\n")}\n${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  const stop = async () => {
    child.kill("SIGINT")
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    const result = await exited
    clearTimeout(timer)
    return { ...result, stderr }
  }
  return { lines, until, stop }
}

describe("projectx watch", () => {
  it("watch quotes MNQ --json prints one full quote per line and stops on Ctrl-C", async () => {
    const run = watch(["watch", "quotes", "MNQ", "--json"])
    await run.until("three quotes", () => run.lines.length >= 3)
    const result = await run.stop()
    expect(result.signal).toBeNull()
    expect(result.stderr).not.toMatch(/error/i)
    const quotes = run.lines.map((l) => JSON.parse(l))
    expect(quotes.every((q) => q._tag === "Quote" && typeof q.lastPrice === "number")).toBe(true)
  }, 60_000)

  it("watch orders --json prints the order events of a placed order", async () => {
    const run = watch(["watch", "orders", "--json"])
    await using client = await ProjectXClient.create({
      apiUrl: sim.url,
      username: Simulator.credentials.userName,
      apiKey: Simulator.credentials.apiKey,
      accountName: "PRAC-V2-DEMO-1",
      otlp: false
    })
    for (let i = 0; i < 1600 && ((await sim.stats()).hubs?.subscriptions?.orders ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const contract = await client.instruments.resolve("MNQ")
    const placed = await client.orders.place({ type: "market", contractId: contract.id, side: "buy", size: 1 })
    await run.until("the filled order", () =>
      run.lines.some((l) => {
        const e = JSON.parse(l)
        return e._tag === "OrderUpdate" && e.order.id === placed.orderId && e.order.status === 2
      })
    )
    const result = await run.stop()
    expect(result.signal).toBeNull()
  }, 60_000)

  it("watch account --json shows a placed position with live P&L from quotes and its working bracket orders", async () => {
    const run = watch(["watch", "account", "--json"])
    await using client = await ProjectXClient.create({
      apiUrl: sim.url,
      username: Simulator.credentials.userName,
      apiKey: Simulator.credentials.apiKey,
      accountName: "PRAC-V2-DEMO-1",
      otlp: false
    })
    await run.until("the first view", () => run.lines.length >= 1)
    const contract = await client.instruments.resolve("MES")
    await client.orders.place({
      type: "market",
      contractId: contract.id,
      side: "sell",
      size: 2,
      stopLoss: { ticks: 40 },
      takeProfit: { ticks: -40 }
    })
    const views = () => run.lines.map((l) => JSON.parse(l))
    await run.until("the position with P&L and its two children", () =>
      views().some(
        (v) =>
          v.positions.some(
            (p: { contractId: string; pnl?: number }) => p.contractId === contract.id && typeof p.pnl === "number"
          ) && v.orders.filter((o: { phase: string }) => o.phase === "Working").length === 2
      )
    )
    // The simulator is shared with the tests above (an MNQ position may be open): read the MES row.
    type Row = { contractId: string; pnl?: number; averagePrice: number; lastPrice: number }
    const view = views().findLast((v) =>
      v.positions.some((p: Row) => p.contractId === contract.id && typeof p.pnl === "number")
    )
    const position = view.positions.find((p: Row) => p.contractId === contract.id)
    expect(position).toMatchObject({ side: "short", size: 2 })
    // Short: P&L = (average − last) × size × tickValue / tickSize.
    const expected = ((position.averagePrice - position.lastPrice) * 2 * contract.tickValue) / contract.tickSize
    expect(position.pnl).toBeCloseTo(expected, 2)
    const result = await run.stop()
    expect(result.signal).toBeNull()
  }, 90_000)
})
