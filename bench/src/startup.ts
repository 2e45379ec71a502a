// Start-up and footprint figures (issue 15), each from fresh processes, interleaved with its reference:
//   import   `import("@projectx-effect/sdk/promise")` time and RSS vs `import("effect/Effect")`
//   help     `projectx --help` wall time vs a process that only imports effect/Effect
//   accounts `projectx accounts` against the simulator, end to end (an absolute goal)
//   login    RSS right after login through the Promise facade; bars: peak RSS of login + 3 × (miss + hit)
//   requests History requests for 20,000 one-minute bars over weekends (weekday trading hours)
// By default the children run the TypeScript sources (type stripping adds time and ~20 MB); with --dist
// (after `npm run build`) they run the built packages, as a user's install would.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { MarketData, ProjectX } from "@projectx-effect/sdk"
import { Simulator } from "@projectx-effect/simulator"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type Summary, summarize } from "./stats.ts"

export interface StartupSizes {
  readonly runs: number
  /** Measure the built packages (`npm run build` first): children run dist/*.js, no type stripping. */
  readonly dist: boolean
}

export interface StartupFigures {
  readonly importSdk: { readonly ms: Summary; readonly rss: Summary }
  readonly importEffect: { readonly ms: Summary; readonly rss: Summary }
  readonly help: Summary
  readonly helpReference: Summary
  readonly accounts: Summary
  readonly loginRss: Summary
  readonly barsPeakRss: Summary
  readonly historyRequests: number
  readonly calendarWindows: number
}

const sourceBin = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url))
// What an installed package runs: bin/projectx.js, which loads the bundled command (dist/app/bin.js).
const distBin = fileURLToPath(new URL("../../packages/cli/bin/projectx.js", import.meta.url))
let conditions: ReadonlyArray<string> = ["--conditions=@projectx-effect/source"]
let bin = sourceBin
const footprint = fileURLToPath(new URL("./footprint-child.mjs", import.meta.url))

interface Run {
  readonly ms: number
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [...conditions, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }))
  })

const ok = (r: Run, what: string): Run => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(0, 400)}`)
  return r
}

/** Import time (inside the process) and RSS right after it, for `spec`. */
const importOnce = async (spec: string) => {
  const script = `const t = performance.now(); await import(${JSON.stringify(spec)}); const ms = performance.now() - t; process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }))`
  const r = ok(await run(["--input-type=module", "-e", script]), `import ${spec}`)
  return JSON.parse(r.stdout) as { ms: number; rss: number }
}

/** History requests for 20,000 one-minute bars ending on a Friday, across the two weekends before it. */
const historyRequests = async (): Promise<{ requests: number; windows: number }> => {
  const end = Date.parse("2026-11-20T17:00:00Z") // a Friday
  // 25,760 calendar minutes back, two closed weekends included: fewer than 20,000 bars in CME hours.
  const start = end - (19_999 + 2 * 2_880) * 60_000
  const sim = await Simulator.start({
    port: 0,
    clock: { mode: "fixed", start: end + 3_600_000 },
    rateLimit: { enabled: false }
  })
  const runtime = ManagedRuntime.make(
    ProjectX.layer({ apiUrl: sim.url, username: Simulator.credentials.userName, apiKey: Simulator.credentials.apiKey })
  )
  try {
    const request = { symbol: "MNQ", unit: "minute", start: new Date(start), end: new Date(end) } as const
    const [planned, table] = await runtime.runPromise(
      Effect.flatMap(MarketData.MarketData, (m) => Effect.all([m.plan(request), m.bars(request)]))
    )
    // CME hours leave 19,000-odd bars in the range: at most one reply's worth, more than half of it.
    if (table.numRows > 20_000 || table.numRows < 15_000)
      throw new Error(`expected 15,000–20,000 bars, got ${table.numRows}`)
    const stats = await sim.stats()
    return { requests: stats.endpoints.retrieveBars?.requests ?? 0, windows: planned.chunks.length }
  } finally {
    await runtime.dispose()
    await sim.stop()
  }
}

export const runStartup = async (
  simUrl: string,
  sizes: StartupSizes,
  log: (line: string) => void
): Promise<StartupFigures> => {
  conditions = sizes.dist ? [] : ["--conditions=@projectx-effect/source"]
  bin = sizes.dist ? distBin : sourceBin
  log(`start-up (${sizes.dist ? "built dist" : "TypeScript sources"}): imports, --help …`)
  const sdk = { ms: [] as Array<number>, rss: [] as Array<number> }
  const eff = { ms: [] as Array<number>, rss: [] as Array<number> }
  const help: Array<number> = []
  const helpRef: Array<number> = []
  for (let i = 0; i < sizes.runs; i++) {
    const a = await importOnce("@projectx-effect/sdk/promise")
    const b = await importOnce("effect/Effect")
    sdk.ms.push(a.ms)
    sdk.rss.push(a.rss)
    eff.ms.push(b.ms)
    eff.rss.push(b.rss)
    help.push(ok(await run([bin, "--help"]), "projectx --help").ms)
    helpRef.push(ok(await run(["--input-type=module", "-e", 'await import("effect/Effect")']), "reference").ms)
  }
  log("start-up: projectx accounts, footprint …")
  const env = {
    PROJECTX_API_URL: simUrl,
    PROJECT_X_USERNAME: Simulator.credentials.userName,
    PROJECT_X_API_KEY: Simulator.credentials.apiKey
  }
  const accounts: Array<number> = []
  const login: Array<number> = []
  const peak: Array<number> = []
  const creds = [simUrl, Simulator.credentials.userName, Simulator.credentials.apiKey]
  for (let i = 0; i < sizes.runs; i++) {
    accounts.push(ok(await run([bin, "accounts"], env), "projectx accounts").ms)
    login.push(
      (JSON.parse(ok(await run([footprint, "login", ...creds]), "footprint login").stdout) as { rss: number }).rss
    )
    peak.push(
      (JSON.parse(ok(await run([footprint, "bars", ...creds]), "footprint bars").stdout) as { peak: number }).peak
    )
  }
  log("start-up: history requests per range …")
  const history = await historyRequests()
  return {
    importSdk: { ms: summarize(sdk.ms), rss: summarize(sdk.rss) },
    importEffect: { ms: summarize(eff.ms), rss: summarize(eff.rss) },
    help: summarize(help),
    helpReference: summarize(helpRef),
    accounts: summarize(accounts),
    loginRss: summarize(login),
    barsPeakRss: summarize(peak),
    historyRequests: history.requests,
    calendarWindows: history.windows
  }
}
