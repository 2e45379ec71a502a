// The `projectx` command as a user runs it, against a simulator on loopback: what it prints (tables and
// JSON), the files it writes, and its exit codes. Most commands run in this process through the CLI's
// Effect entry point (`Cli.run(args)`, the same one `bin.ts` runs) with their own environment and
// captured stdout/stderr: a Node process per command costs 2.5–9 s of start-up on a busy 2-core machine.
// A few stay true subprocesses of the bin: --help, one login, `sim` (Ctrl-C) and `demo` (OTLP export).
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { format } from "node:util"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Simulator } from "@projectx-effect/simulator"
import { DuckDBInstance } from "@duckdb/node-api"
import { tableFromIPC } from "apache-arrow"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Cli from "../src/Cli.ts"
import { bin, cleanEnv, type Result, spawnCli } from "./support/bin.ts"

// In-process runs share process.stdout/stderr, so they take turns.
let turn: Promise<unknown> = Promise.resolve()

/**
 * Runs `projectx args` in this process with only `env` as its environment (read through Config, as the
 * SDK reads it) and returns its exit code and what it wrote on stdout and stderr.
 */
const exec = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<Result> => {
  const result = turn.then(async () => {
    let stdout = ""
    let stderr = ""
    const toOut = (...xs: ReadonlyArray<unknown>) => void (stdout += `${format(...xs)}\n`)
    const toErr = (...xs: ReadonlyArray<unknown>) => void (stderr += `${format(...xs)}\n`)
    const console: Console.Console = {
      ...globalThis.console,
      log: toOut,
      info: toOut,
      debug: toOut,
      table: toOut,
      dir: toOut,
      dirxml: toOut,
      error: toErr,
      warn: toErr,
      trace: toErr
    }
    const write = { out: process.stdout.write, err: process.stderr.write }
    process.stdout.write = ((chunk: string | Uint8Array) => {
      stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
      return true
    }) as typeof process.stdout.write
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
      return true
    }) as typeof process.stderr.write
    try {
      const code = await Effect.runPromise(
        Cli.run(args).pipe(
          Effect.provide(NodeServices.layer),
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
          Effect.provideService(Console.Console, console)
        )
      )
      return { code, stdout, stderr }
    } finally {
      process.stdout.write = write.out
      process.stderr.write = write.err
    }
  })
  turn = result.catch(() => undefined)
  return result
}

let sim: Simulator.Handle
let dir: string
let simEnv: Record<string, string>
const cli = (...args: ReadonlyArray<string>) => exec(args, simEnv)
const json = (r: Result): any => {
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout)
}
/** The header cells of a table (its first line). */
const header = (r: Result) => (r.stdout.split("\n")[0] ?? "").trim().split(/\s{2,}/)

const noColor = process.env.NO_COLOR
beforeAll(async () => {
  process.env.NO_COLOR = "1" // the commands' own colour check reads it
  sim = await Simulator.start({ tradingHours: "always" })
  dir = mkdtempSync(join(tmpdir(), "projectx-cli-"))
  simEnv = {
    PROJECTX_API_URL: sim.url,
    PROJECT_X_USERNAME: Simulator.credentials.userName,
    PROJECT_X_API_KEY: Simulator.credentials.apiKey
  }
}, 60_000)

afterAll(async () => {
  if (noColor === undefined) delete process.env.NO_COLOR
  else process.env.NO_COLOR = noColor
  await sim?.stop()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}, 60_000)

// Generous: a loaded 2-core machine runs everything several times slower; nothing here asserts timing.
const IN_PROCESS = { timeout: 120_000 }
const SUBPROCESS = { timeout: 240_000 }

describe("read-only commands", IN_PROCESS, () => {
  it("accounts: a table with the selected account marked, and JSON", async () => {
    const [table, asJson] = await Promise.all([cli("accounts"), cli("accounts", "--json")])
    expect(table.code).toBe(0)
    expect(header(table)).toEqual(["id", "name", "balance", "can trade", "simulated"])
    expect(table.stdout).toMatch(/^\*\s+1001\s+PRAC-V2-DEMO-1\s+50,000\.00\s+yes\s+yes$/m)
    const rows = json(asJson)
    expect(rows.map((a: any) => a.name)).toContain("PRAC-V2-DEMO-1")
    expect(rows.find((a: any) => a.selected).id).toBe(1001)
    // Each command ends its session on the Gateway instead of leaving a live token behind.
    expect((await sim.stats()).logouts).toBeGreaterThanOrEqual(2)
  })

  it("--account picks the account; an unknown one is flagged", async () => {
    const [picked, unknown] = await Promise.all([
      cli("accounts", "--account", "50ktc-v2-demo-brk"),
      cli("accounts", "--account", "nope")
    ])
    expect(picked.stdout).toMatch(/^\*\s+1002\s+50KTC-V2-DEMO-BRK/m)
    expect(unknown.code).toBe(0)
    expect(unknown.stderr).toContain('No active account is named "nope"')
  })

  it("contracts search and resolve: tables and JSON", async () => {
    const [search, searchJson, resolve, resolveJson] = await Promise.all([
      cli("contracts", "search", "MNQ"),
      cli("contracts", "search", "MNQ", "--json"),
      cli("contracts", "resolve", "MNQ"),
      cli("--json", "contracts", "resolve", "MNQ")
    ])
    expect(search.code).toBe(0)
    expect(header(search)).toEqual(["id", "name", "description", "tick", "tick value", "active"])
    const found = json(searchJson)
    expect(found.length).toBeGreaterThan(0)
    expect(found.every((c: any) => c.id.startsWith("CON.F.US.MNQ."))).toBe(true)
    const front = json(resolveJson)
    expect(front.activeContract).toBe(true)
    expect(front.tickSize).toBe(0.25)
    expect(resolve.stdout).toContain(front.id)
    expect(resolve.stdout).toMatch(/tick size\s+0\.25/)
    expect(resolve.stdout).toMatch(/front month\s+yes/)
  })

  it("bars: a table at tick precision, and JSON with the same rows as the Arrow file and the CSV", async () => {
    const range = ["MNQ", "--unit", "minute", "--every", "5", "--days", "2", "--end", "2025-06-04T18:00:00Z"]
    const [table, asJson, arrow, csv, parquet] = await Promise.all([
      cli("bars", ...range),
      cli("bars", ...range, "--json"),
      cli("bars", ...range, "--out", join(dir, "mnq.arrow")),
      cli("bars", ...range, "--out", join(dir, "mnq.csv")),
      cli("bars", ...range, "--out", join(dir, "mnq.parquet"))
    ])
    expect(table.code).toBe(0)
    expect(header(table)).toEqual(["time (America/Chicago)", "open", "high", "low", "close", "volume"])
    // MNQ ticks are 0.25: every price has exactly two decimals.
    const first = table.stdout.split("\n")[2] ?? ""
    expect(first).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(\d+\.\d\d\s+){4}[\d,]+$/)
    expect(table.stderr).toMatch(/bars · MNQ\w+ · 5 minute .* 1 request/)

    const rows = json(asJson)
    expect(rows.length).toBeGreaterThan(100)
    expect(rows[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[56]:00$/)
    expect(table.stdout.trim().split("\n")).toHaveLength(rows.length + 2)

    expect(arrow.code).toBe(0)
    expect(arrow.stdout).toMatch(new RegExp(`Wrote ${rows.length.toLocaleString("en-US")} bars to .*mnq\\.arrow`))
    const bytes = readFileSync(join(dir, "mnq.arrow"))
    expect(bytes.subarray(0, 6).toString("latin1")).toBe("ARROW1") // the IPC *file* magic, not a stream
    const t = tableFromIPC(bytes)
    expect(t.schema.fields.map((f) => f.name)).toEqual(["timestamp", "open", "high", "low", "close", "volume"])
    expect(t.numRows).toBe(rows.length)
    const back = t.toArray().map((r: any) => ({
      timestamp: Number(r.timestamp),
      open: r.open,
      high: r.high,
      low: r.low,
      close: r.close,
      volume: Number(r.volume)
    }))
    expect(back).toEqual(rows.map((r: any) => ({ ...r, timestamp: Date.parse(r.timestamp) })))

    expect(csv.code).toBe(0)
    const lines = readFileSync(join(dir, "mnq.csv"), "utf8").trim().split("\n")
    expect(lines[0]).toBe("timestamp,open,high,low,close,volume")
    expect(lines).toHaveLength(rows.length + 1)
    // UTC with a Z, which pandas' parse_dates turns into datetime64[ns, UTC] (an offset that changes at
    // daylight saving would leave the column as strings).
    expect(lines[1]?.split(",")[0]).toBe(new Date(rows[0].timestamp).toISOString().replace(".000Z", "Z"))
    expect(lines.slice(1).every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,/.test(l))).toBe(true)

    // DuckDB reads the Parquet file directly (no extension to download), with the JSON's rows.
    expect(parquet.code).toBe(0)
    expect(parquet.stdout).toMatch(/bars to .*mnq\.parquet \(Parquet,/)
    const db = await DuckDBInstance.create(":memory:")
    const connection = await db.connect()
    try {
      const file = join(dir, "mnq.parquet").replaceAll("'", "''")
      const types = await connection.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`)
      expect(types.getRowObjectsJson().map((r) => [r.column_name, r.column_type])).toEqual([
        ["timestamp", "TIMESTAMP WITH TIME ZONE"],
        ["open", "DOUBLE"],
        ["high", "DOUBLE"],
        ["low", "DOUBLE"],
        ["close", "DOUBLE"],
        ["volume", "BIGINT"]
      ])
      const read = await connection.runAndReadAll(
        `SELECT epoch_ms("timestamp") AS t, open, high, low, close, volume FROM '${file}' ORDER BY "timestamp"`
      )
      const fromDuckDb = read.getRowObjects().map((r) => ({
        timestamp: Number(r.t),
        open: r.open,
        high: r.high,
        low: r.low,
        close: r.close,
        volume: Number(r.volume)
      }))
      expect(fromDuckDb).toEqual(rows.map((r: any) => ({ ...r, timestamp: Date.parse(r.timestamp) })))
    } finally {
      connection.closeSync()
      db.closeSync()
    }
  })

  it("health: a report after a real login, and JSON", async () => {
    const [human, asJson] = await Promise.all([cli("health"), cli("health", "--json")])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/status\s+healthy/)
    expect(human.stdout).toMatch(/session\s+valid/)
    expect(human.stdout).toMatch(/bar cache\s+0 hits/)
    const report = json(asJson)
    expect(report.healthy).toBe(true)
    expect(report.session.state).toBe("valid")
    expect(report.gateway).toBe(sim.url)
  })
})

describe("trading commands", IN_PROCESS, () => {
  it("place, open, modify, cancel, positions, partial close, close, trades", async () => {
    // A bracketed market buy (the entry filled, its two children listed), and the front month's price.
    const bracket = ["--size", "2", "--stop-loss", "-400", "--take-profit", "800", "--json"]
    const [resolved, placedRun] = await Promise.all([
      cli("contracts", "resolve", "MNQ", "--json"),
      cli("orders", "place", "MNQ", "--side", "buy", ...bracket)
    ])
    const front = json(resolved)
    const placed = json(placedRun)
    expect(placed.contractId).toBe(front.id)
    expect(placed.order).toMatchObject({ status: "Filled", statusCode: 2, side: "buy", type: "Market" })
    expect(placed.children).toHaveLength(2)
    expect(placed.customTag).toMatch(/^px-/)
    const last = (await sim.market(front.id)).lastPrice as number

    // A resting limit far below the market, shown in `orders open`, then modified and cancelled.
    const limitPrice = (Math.round(last / 0.25) * 0.25 - 500).toFixed(2)
    const limit = await cli("orders", "place", "MNQ", "--side", "buy", "--type", "limit", "--limit-price", limitPrice)
    expect(limit.code).toBe(0)
    const limitId = Number(/placed\s+order (\d+)/.exec(limit.stdout)?.[1])
    expect(limitId).toBeGreaterThan(0)
    expect(limit.stdout).toContain(limitPrice)

    const [open, openJson] = await Promise.all([cli("orders", "open"), cli("orders", "open", "--json")])
    expect(open.code).toBe(0)
    expect(header(open)).toEqual(
      expect.arrayContaining(["id", "contract", "side", "type", "size", "limit", "stop", "filled", "status"])
    )
    expect(open.stdout).toMatch(
      new RegExp(`^${limitId}\\s.*\\sbuy\\s+Limit\\s+1\\s+${limitPrice.replace(".", "\\.")}\\s.*Open`, "m")
    )
    expect(json(openJson).map((o: any) => o.id)).toContain(limitId)

    const moved = (Number(limitPrice) - 1).toFixed(2)
    const modified = json(await cli("orders", "modify", String(limitId), "--limit-price", moved, "--json"))
    expect(modified.order.limitPrice).toBe(Number(moved))

    const cancelled = await cli("orders", "cancel", String(limitId))
    expect(cancelled.code).toBe(0)
    expect(cancelled.stdout).toContain(`Cancelled order ${limitId}`)

    const [list, positions] = await Promise.all([cli("orders", "list", "--json"), cli("positions")])
    expect(json(list).find((o: any) => o.id === limitId).status).toBe("Cancelled")
    expect(header(positions)).toEqual(["contract", "id", "side", "size", "avg price", "opened (America/Chicago)"])
    expect(positions.stdout).toMatch(
      new RegExp(`^${front.name}\\s+${front.id.replaceAll(".", "\\.")}\\s+long\\s+2\\s+\\d+\\.\\d\\d\\s`, "m")
    )

    const partial = await cli("positions", "partial-close", "MNQ", "--size", "1")
    expect(partial.code).toBe(0)
    const [afterPartial, tooMany] = await Promise.all([
      cli("positions", "--json"),
      cli("positions", "partial-close", "MNQ", "--size", "5")
    ])
    expect(json(afterPartial)[0].size).toBe(1)
    expect(tooMany.code).toBe(2)
    expect(tooMany.stderr).toMatch(/size/)

    // Closing says which bracket orders it cancelled with the position.
    const closed = await cli("positions", "close", "MNQ")
    expect(closed.code).toBe(0)
    expect(closed.stdout).toMatch(/Closed the MNQ\w+ position .* at market, and cancelled its bracket orders? \d+/)
    // Closing again finds nothing (exit 3); an off-grid price is refused before anything is sent, with the
    // two nearest valid prices; and a limit to cancel with --all (the bracket children went with the close).
    const [closeAgain, offGrid, secondRun] = await Promise.all([
      cli("positions", "close", "MNQ"),
      cli("orders", "place", "MNQ", "--side", "buy", "--type", "limit", "--limit-price", "100.1"),
      cli("orders", "place", "MNQ", "--side", "buy", "--type", "limit", "--limit-price", limitPrice, "--json")
    ])
    expect(closeAgain.code).toBe(3)
    expect(closeAgain.stderr).toMatch(/no open MNQ\w+ position on account PRAC-V2-DEMO-1/)
    expect(offGrid.code).toBe(2)
    expect(offGrid.stderr).toContain("the nearest valid prices are 100.00 and 100.25")

    // cancel --all shows each order as it is after the cancel.
    const second = json(secondRun)
    const all = json(await cli("orders", "cancel", "--all", "--symbol", "MNQ", "--json"))
    expect(all.cancelled.find((o: any) => o.id === second.orderId)).toMatchObject({
      status: "Cancelled",
      statusCode: 3
    })

    const [flat, trades, tradesJson] = await Promise.all([
      cli("positions", "--json"),
      cli("trades"),
      cli("trades", "--json")
    ])
    expect(json(flat)).toEqual([])
    expect(trades.code).toBe(0)
    expect(header(trades)).toEqual(expect.arrayContaining(["id", "contract", "side", "size", "price", "p&l", "fees"]))
    expect(trades.stdout).toMatch(/net p&l\s+-?[\d,]+\.\d\d/)
    const fills = json(tradesJson)
    expect(fills.trades).toHaveLength(3) // the entry, the partial close, the close
    expect(fills.summary.fills).toBe(3)
  })
})

describe("failures", SUBPROCESS, () => {
  it("a bad symbol: exit 3 with suggestions, as text and as JSON", async () => {
    const [human, asJson] = await Promise.all([
      cli("contracts", "resolve", "MQN"),
      cli("bars", "MQN", "--days", "1", "--json")
    ])
    expect(human.code).toBe(3)
    expect(human.stdout).toBe("")
    expect(human.stderr).toContain('No contract matches "MQN"; did you mean MNQ?')
    expect(human.stderr).not.toMatch(/\bat .*\.ts:\d+/) // no stack trace
    expect(asJson.code).toBe(3)
    expect(JSON.parse(asJson.stderr).error).toMatchObject({ tag: "ContractNotFound", exitCode: 3 })
  })

  it("bad credentials: exit 4 and what to check", async () => {
    const r = await exec(["accounts"], { ...simEnv, PROJECT_X_API_KEY: "not-the-right-key" })
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/InvalidCredentials/)
    expect(r.stderr).toMatch(/PROJECT_X_API_KEY/)
    expect(r.stderr).not.toContain("not-the-right-key")
  })

  it("an unreachable Gateway: exit 5", async () => {
    // Port 9 (discard) is closed on loopback: the connection is refused at once.
    const r = await exec(["health"], {
      ...simEnv,
      PROJECTX_API_URL: "http://127.0.0.1:9",
      PROJECTX_RETRY_ATTEMPTS: "0",
      PROJECTX_TIMEOUT_SECONDS: "2"
    })
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/ECONNREFUSED|Transport/)
    expect(r.stderr).toMatch(/PROJECTX_API_URL/)
  })

  it("missing credentials, bad flags and bad input: exit 2 before any request", async () => {
    const [noUser, badFirm, badDate, badOut, badUnit, noPrice, unknown] = await Promise.all([
      exec(["accounts"], { PROJECTX_API_URL: sim.url, PROJECT_X_API_KEY: "sim-demo-api-key" }),
      cli("--firm", "nope", "accounts"),
      cli("bars", "MNQ", "--start", "yesterday"),
      cli("bars", "MNQ", "--out", "bars.xlsx"),
      cli("bars", "MNQ", "--unit", "fortnight"),
      cli("orders", "place", "MNQ", "--side", "buy", "--type", "limit"),
      cli("frobnicate")
    ])
    expect(noUser.code).toBe(2)
    expect(noUser.stderr).toContain("PROJECT_X_USERNAME is not set")
    expect(badFirm.code).toBe(2)
    expect(badFirm.stderr).toMatch(/--firm nope is not a known firm[\s\S]*topstepx/)
    expect(badDate.code).toBe(2)
    expect(badDate.stderr).toContain("is not a date")
    expect(badOut.code).toBe(2)
    expect(badOut.stderr).toContain(".arrow")
    expect(badUnit.code).toBe(2)
    expect(noPrice.code).toBe(2)
    expect(noPrice.stderr).toContain("--limit-price")
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown subcommand "frobnicate"')
  })

  it.concurrent("argument errors name the flag, are checked before any download, and are JSON under --json", async () => {
    const [missingSide, badOut, badTz, badEvery, futureStart, noPosition] = await Promise.all([
      cli("orders", "place", "MNQ", "--json"),
      cli("bars", "MNQ", "--out", "/proc/nope/x.arrow"),
      cli("accounts", "--tz", "Mars/Olympus"),
      cli("bars", "MNQ", "--every", "100000", "--json"),
      cli("bars", "MNQ", "--start", "2999-01-01"),
      cli("positions", "close", "MES", "--json")
    ])
    expect(missingSide.code).toBe(2)
    expect(missingSide.stdout).toBe("") // no help text for a script to choke on
    expect(JSON.parse(missingSide.stderr).error).toMatchObject({
      tag: "MissingOption",
      exitCode: 2,
      message: expect.stringContaining("--side")
    })
    expect(badOut.code).toBe(2)
    expect(badOut.stderr).toContain("--out /proc/nope/x.arrow: the directory /proc/nope does not exist")
    expect(badOut.stderr).not.toContain("FileSystem")
    expect(badTz.code).toBe(2)
    expect(badTz.stderr).toContain("--tz Mars/Olympus is an unknown time zone")
    expect(badTz.stderr).not.toContain("environment")
    expect(badEvery.code).toBe(2)
    expect(JSON.parse(badEvery.stderr).error.message).toBe("--every 100000 is out of range for --unit minute")
    expect(futureStart.code).toBe(2)
    expect(futureStart.stderr).toContain("--start is in the future")
    expect(noPosition.code).toBe(3)
    expect(JSON.parse(noPosition.stderr).error).toMatchObject({
      tag: "NotFound",
      message: expect.stringMatching(/^no open MES\w+ position on account PRAC-V2-DEMO-1$/)
    })
  })

  it("--help (the bin, a subprocess) lists every command and exits 0", async () => {
    const r = await spawnCli(["--help"], {}, dir)
    expect(r.code).toBe(0)
    for (const name of ["accounts", "contracts", "bars", "orders", "positions", "trades", "health", "sim", "demo"]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\s`, "m"))
    }
    for (const flag of ["--json", "--firm", "--api-url", "--account", "--tz"]) expect(r.stdout).toContain(flag)
    expect(r.stdout).not.toMatch(/--username|--api-key/)
    const bars = await cli("bars", "--help")
    expect(bars.stdout).toMatch(/--unit .*\(default: minute\)/)
    expect(bars.stdout).toMatch(/--every .*\(default: 1\)/)
  })

  it("the bin (a subprocess) logs in and lists the accounts, and a bad key exits 4", async () => {
    const [ok, bad] = await Promise.all([
      spawnCli(["accounts", "--json"], simEnv, dir),
      spawnCli(["accounts"], { ...simEnv, PROJECT_X_API_KEY: "not-the-right-key" }, dir)
    ])
    expect(json(ok).map((a: any) => a.name)).toContain("PRAC-V2-DEMO-1")
    expect(bad.code).toBe(4)
    expect(bad.stderr).toMatch(/PROJECT_X_API_KEY/)
  })

  it("each command's summary in the lazy table is the loaded command's own", async () => {
    const root = await Effect.runPromise(Cli.root)
    const loaded = new Map(root.subcommands.flatMap((g) => g.commands.map((c) => [c.name, c.shortDescription])))
    for (const c of Cli.commands) expect(loaded.get(c.name)).toBe(c.summary)
    expect([...loaded.keys()].sort()).toEqual(Cli.commands.map((c) => c.name).sort())
  })
})

describe("sim and demo", SUBPROCESS, () => {
  it("sim prints a URL that serves the Gateway, and stops on Ctrl-C", async () => {
    const child = spawn(process.execPath, ["--conditions=@projectx-effect/source", bin, "sim", "--port", "0"], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d
        const m = /export PROJECTX_API_URL=(\S+)/.exec(out)
        if (m?.[1] !== undefined) resolve(m[1])
      })
      child.on("close", () => reject(new Error(`sim exited early: ${out}`)))
    })
    expect(out).toContain("PROJECT_X_API_KEY=sim-demo-api-key")
    const accounts = await exec(["accounts", "--json"], { ...simEnv, PROJECTX_API_URL: url })
    expect(json(accounts).length).toBeGreaterThan(0)
    const exited = new Promise<number | null>((resolve) =>
      child.on("close", (code, signal) => resolve(code ?? (signal ? 130 : null)))
    )
    child.kill("SIGINT")
    expect([0, 130]).toContain(await exited)
  })

  it("demo runs every step against its own simulator, with no credentials, exits 0, and exports its traces", async () => {
    // A stand-in for Jaeger's OTLP/HTTP receiver: the span names of every POST /v1/traces.
    const exported: Array<string> = []
    const receiver = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8").on("data", (d: string) => (body += d))
      req.on("end", () => {
        for (const rs of JSON.parse(body).resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) exported.push(span.name)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    const { port } = receiver.address() as AddressInfo
    const r = await spawnCli(["demo"], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }, dir).finally(() =>
      receiver.close()
    )
    expect(exported).toEqual(expect.arrayContaining(["demo: bars (cache miss)", "MarketData.bars", "Orders.place"]))
    expect(r.stdout).toContain(`exported over OTLP to http://127.0.0.1:${port}`)
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const steps = [
      "Start the Gateway simulator",
      "Log in",
      "List the accounts",
      "Resolve MNQ to its front month",
      "Fetch five days of 5-minute bars (cache miss)",
      "Fetch the same bars again (cache hit)",
      "Place a bracketed market order",
      "Show the open positions",
      "Close the position and cancel its bracket",
      "Show the fills",
      "Health and cache statistics",
      "Traces"
    ]
    for (const [i, step] of steps.entries()) expect(r.stdout).toContain(`${i + 1}. ${step}`)
    const miss = /([\d,]+) bars in .* \(cache miss/.exec(r.stdout)?.[1]
    expect(miss).toMatch(/^1,4\d\d$/) // five days of 5-minute bars, the market always open: ~1,440
    expect(r.stdout).toMatch(new RegExp(`${miss} bars in .* \\(cache hit: no request sent\\)`))
    expect(r.stdout).toMatch(/2 bracket children/)
    expect(r.stdout).toMatch(/bar cache\s+1 hit, 1 miss/)
    // The waterfall: the bars miss and the order, each down to the HTTP call.
    expect(r.stdout).toMatch(/^demo: bars \(cache miss\)\s+│/m)
    expect(r.stdout).toMatch(/^\s+MarketData\.bars\s+│/m)
    expect(r.stdout).toMatch(/^demo: bracketed order\s+│/m)
    expect(r.stdout).toMatch(/^\s+Orders\.place\s+│/m)
    expect(r.stdout).toMatch(/^\s+POST\s+│/m)
    expect(r.stdout).toContain(`All ${steps.length} steps passed`)
    expect(r.stdout).not.toContain("\u001b[") // no colour off a TTY
  })

  it("demo reports a failing step by name and exits non-zero, still running the others", async () => {
    const faults = JSON.stringify([{ endpoint: "retrieveBars", kind: "errorCode", errorCode: 2 }])
    const r = await exec(["demo", "--sim-faults", faults], {})
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✗ Fetch five days of 5-minute bars \(cache miss\) failed: RetrieveBars: UnitInvalid/)
    expect(r.stdout).toMatch(/7\. Place a bracketed market order\n(?!.*✗)/)
    expect(r.stdout).toContain("2 of 12 steps failed")
    expect(r.stderr).toMatch(/demo: 2 step\(s\) failed/)
  })
})
