// ProjectXRest: the REST half of the SDK against the simulator over loopback (login, accounts, contracts,
// open orders, positions, fills, logout), its `shared` checks, and its entry point
// loading none of Arrow, lz4 or SignalR (checked in a fresh Node process).
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@projectx-effect/simulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ProjectXRest from "../src/ProjectXRest.ts"
import { Auth } from "../src/client/Auth.ts"
import { Instruments } from "../src/market/Instruments.ts"
import { Accounts } from "../src/trading/Accounts.ts"
import { Orders } from "../src/trading/Orders.ts"
import { Positions } from "../src/trading/Positions.ts"
import { Trades } from "../src/trading/Trades.ts"
import { requests } from "./support/core.ts"

const restOverSim = Layer.unwrap(
  Simulator.Simulator.useSync((sim) =>
    ProjectXRest.layer({
      apiUrl: sim.url,
      username: Simulator.credentials.userName,
      apiKey: Simulator.credentials.apiKey
    })
  )
).pipe(Layer.provideMerge(Simulator.layer({ tradingHours: "always" })))

describe("ProjectXRest", () => {
  it.effect(
    "lists accounts, resolves a contract, reads open orders, positions and fills, logs out",
    () =>
      Effect.gen(function* () {
        const accounts = yield* (yield* Accounts).search()
        expect(accounts.map((a) => a.name)).toContain("PRAC-V2-DEMO-1")
        const contract = yield* (yield* Instruments).resolve("MNQ")
        expect(contract.id).toMatch(/MNQ/)
        expect(yield* (yield* Orders).searchOpen()).toEqual([])
        expect(yield* (yield* Positions).searchOpen()).toEqual([])
        expect(Array.isArray(yield* (yield* Trades).search())).toBe(true)
        yield* (yield* Auth).logout
        expect(yield* requests("logout")).toBe(1)
      }).pipe(Effect.provide(restOverSim)),
    120_000
  )

  it.effect("checks `shared` as ProjectX.layer does: a typed ConfigurationError naming the option", () =>
    Effect.gen(function* () {
      const error = yield* Layer.build(
        ProjectXRest.layer({
          apiUrl: "http://127.0.0.1:9",
          username: "u",
          apiKey: "0123456789abcdef",
          shared: { redisUrl: "not a url" }
        })
      ).pipe(Effect.scoped, Effect.flip)
      expect(error._tag).toBe("ConfigurationError")
      expect(error._tag === "ConfigurationError" ? error.variable : "").toBe("options.shared.redisUrl")
    })
  )

  it("its entry point loads none of Arrow, lz4 or SignalR", { timeout: 120_000 }, async () => {
    const script = [
      'import { registerHooks } from "node:module"',
      "const urls = []",
      "registerHooks({ load: (url, context, next) => (urls.push(url), next(url, context)) })",
      'const rest = await import("@projectx-effect/sdk/rest")',
      'if (typeof rest.ProjectXRest.layerConfig !== "function") throw new Error("no layerConfig")',
      "process.stdout.write(JSON.stringify(urls))"
    ].join("\n")
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--conditions=@projectx-effect/source", "--input-type=module", "-e", script],
        { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] }
      )
      let out = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
      child.on("error", reject)
      child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
    })
    const urls = JSON.parse(stdout) as Array<string>
    expect(urls.some((u) => u.includes("/trading/Accounts."))).toBe(true)
    expect(urls.filter((u) => /apache-arrow|lz4-napi|@microsoft\/signalr|\/ws\//.test(u))).toEqual([])
  })
})
