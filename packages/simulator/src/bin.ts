#!/usr/bin/env node
/**
 * `projectx-sim`: runs the simulator until Ctrl+C.
 *
 *   projectx-sim --port 5000 --seed 42
 *   npm run sim -- --port 5000 --start 2025-11-19T15:30:00Z --fixed
 */
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import * as Seed from "./Seed.ts"
import * as Simulator from "./Simulator.ts"

const usage = `Usage: projectx-sim [options]

  --port <n>             TCP port (default 5000; 0 picks a free one)
  --host <addr>          interface to listen on (default 127.0.0.1)
  --seed <n|text>        market / fault seed (default 42)
  --start <iso>          start the market clock at this instant (default: now)
  --fixed                freeze the market clock (move it with POST /_sim/clock)
  --always-open          never close (default: CME Globex hours, Sun 17:00 - Fri 16:00 CT,
                         daily halt 16:00-17:00 CT, CME holidays)
  --token-lifetime <s>   JWT lifetime in seconds (default 86400)
  --time-scale <x>       multiply every rate-limit window (e.g. 0.01)
  --no-rate-limit        disable the rate limits
  --ticks-per-second <n> market-hub quotes per contract per market second (default and least 4)
  --keep-alive-ms <ms>   hub keep-alive ping interval (default 15000)
  --help                 show this text`

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "5000" },
    host: { type: "string", default: "127.0.0.1" },
    seed: { type: "string", default: "42" },
    start: { type: "string" },
    fixed: { type: "boolean", default: false },
    "always-open": { type: "boolean", default: false },
    "token-lifetime": { type: "string" },
    "time-scale": { type: "string" },
    "no-rate-limit": { type: "boolean", default: false },
    "ticks-per-second": { type: "string" },
    "keep-alive-ms": { type: "string" },
    help: { type: "boolean", default: false }
  },
  strict: true
})

if (values.help) {
  process.stdout.write(usage + "\n")
  process.exit(0)
}

const number = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isFinite(n)) {
    process.stderr.write(`projectx-sim: --${name} must be a number, got ${raw}\n${usage}\n`)
    process.exit(2)
  }
  return n
}

const seed = /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed
const options: Simulator.Options = {
  port: number("port", values.port),
  host: values.host,
  seed,
  clock: { mode: values.fixed ? "fixed" : "live", start: values.start },
  tradingHours: values["always-open"] ? "always" : "cme",
  tokenLifetimeSeconds: number("token-lifetime", values["token-lifetime"]),
  rateLimit: { enabled: !values["no-rate-limit"], timeScale: number("time-scale", values["time-scale"]) },
  hubs: {
    ...(values["ticks-per-second"] === undefined
      ? {}
      : { ticksPerSecond: number("ticks-per-second", values["ticks-per-second"])! }),
    ...(values["keep-alive-ms"] === undefined ? {} : { keepAliveMs: number("keep-alive-ms", values["keep-alive-ms"])! })
  }
}

const banner = Effect.gen(function* () {
  const sim = yield* Simulator.Simulator
  const clock = yield* Effect.promise(() => sim.admin.clock())
  const lines = [
    `ProjectX Gateway simulator listening on ${sim.url}`,
    `  REST base   ${sim.url}  (Gateway endpoints under /api, admin API under /_sim)`,
    `  Log in      POST ${sim.url}/api/Auth/loginKey`,
    `  Hubs        ${sim.url}/hubs/user  ${sim.url}/hubs/market  (SignalR JSON)`,
    `              ${JSON.stringify(Simulator.credentials)}`,
    `  Accounts    ${Seed.demo.accounts.map((a) => `${a.id} ${a.name}`).join("\n              ")}`,
    `  Market      seed ${String(seed)}, clock ${clock.mode} at ${clock.now}`,
    "Press Ctrl+C to stop."
  ]
  yield* Console.log(lines.join("\n"))
})

NodeRuntime.runMain(Layer.launch(Layer.effectDiscard(banner).pipe(Layer.provideMerge(Simulator.layer(options)))), {
  disableErrorReporting: false
})
