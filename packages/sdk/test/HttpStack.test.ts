// The keep-alive pool the SDK's layers expose as `NodeHttpClient.Dispatcher`, built from undici's agent
// modules rather than its whole index (client/internal/undiciAgent.ts): it is the application's own undici
// `Agent`, serves the SDK's calls and a plain `HttpClient` alike, is destroyed when the layer's scope closes,
// and a REST session loads none of undici's mocks, caches, fetch or websockets.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@projectx-effect/simulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as HttpClient from "effect/http/HttpClient"
import { Agent, errors } from "undici"
import { Accounts } from "../src/trading/Accounts.ts"
import { withSdk } from "./support/core.ts"

/** Runs `script` in a fresh Node process over the SDK's sources; resolves with its stdout. */
const runChild = (script: string, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@projectx-effect/source", "--input-type=module", "-e", script, ...args],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
    child.on("error", reject)
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
  })

describe("the SDK's HTTP stack", () => {
  it.live(
    "its Dispatcher is an undici Agent that serves the SDK and a plain HttpClient, destroyed on dispose",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(withSdk(), scope)
        const dispatcher = Context.get(context, NodeHttpClient.Dispatcher)
        if (!(dispatcher instanceof Agent)) throw new Error("the Dispatcher is not undici's Agent")
        const origin = new URL(Context.get(context, Simulator.Simulator).url).origin

        // Every request on this dispatcher, whoever sends it.
        const paths: Array<string> = []
        const dispatch = dispatcher.dispatch.bind(dispatcher)
        dispatcher.dispatch = (options, handler) => {
          paths.push(String(options.path))
          return dispatch(options, handler)
        }

        const accounts = yield* Accounts.use((a) => a.search()).pipe(Effect.provide(context))
        expect(accounts.length).toBeGreaterThan(0)
        const pong = yield* HttpClient.get(`${origin}/api/Status/ping`).pipe(
          Effect.flatMap((response) => response.text),
          Effect.provide(
            NodeHttpClient.layerUndiciNoDispatcher.pipe(
              Layer.provide(Layer.succeed(NodeHttpClient.Dispatcher, dispatcher))
            )
          )
        )
        expect(pong).toBe("pong")
        expect(paths).toEqual(["/api/Auth/loginKey", "/api/Account/search", "/api/Status/ping"])
        expect(Object.keys(dispatcher.stats)).toEqual([origin])

        yield* Scope.close(scope, Exit.void)
        expect(dispatcher.destroyed).toBe(true)
        const after = yield* Effect.flip(
          Effect.tryPromise(() => dispatcher.request({ origin, path: "/api/Status/ping", method: "GET" }))
        )
        expect(after.cause).toBeInstanceOf(errors.ClientDestroyedError)
      }),
    60_000
  )

  it.live(
    "a REST session and a plain HttpClient request load undici's agent, not its whole index",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator.Simulator
        const script = [
          'import { createRequire } from "node:module"',
          'import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"',
          'import * as Effect from "effect/Effect"',
          'import * as Layer from "effect/Layer"',
          'import * as HttpClient from "effect/http/HttpClient"',
          'import { Accounts, ProjectXRest } from "@projectx-effect/sdk/rest"',
          "const [apiUrl, username, apiKey] = process.argv.slice(1)",
          "const sdk = ProjectXRest.layer({ apiUrl, username, apiKey })",
          "const program = Effect.gen(function* () {",
          "  const accounts = yield* Accounts.Accounts.use((a) => a.search())",
          '  const pong = yield* HttpClient.get(apiUrl + "/api/Status/ping").pipe(',
          "    Effect.flatMap((r) => r.text),",
          "    Effect.provide(NodeHttpClient.layerUndiciNoDispatcher)",
          "  )",
          "  return { accounts: accounts.length, pong }",
          "})",
          "const result = await Effect.runPromise(program.pipe(Effect.provide(sdk)))",
          "const undici = Object.keys(createRequire(import.meta.url).cache)",
          '  .filter((file) => file.includes("/node_modules/undici/"))',
          '  .map((file) => file.slice(file.indexOf("/node_modules/undici/") + "/node_modules/undici/".length))',
          "process.stdout.write(JSON.stringify({ ...result, undici }))"
        ].join("\n")
        const out = yield* Effect.promise(() =>
          runChild(script, [sim.url, Simulator.credentials.userName, Simulator.credentials.apiKey])
        )
        const { accounts, pong, undici } = JSON.parse(out) as {
          accounts: number
          pong: string
          undici: Array<string>
        }
        expect(accounts).toBeGreaterThan(0)
        expect(pong).toBe("pong")
        expect(undici).toContain("lib/dispatcher/agent.js")
        expect(undici).toContain("lib/api/api-request.js")
        expect(undici.filter((file) => /^index\.js$|lib\/(mock|cache|web|interceptor)\//.test(file))).toEqual([])
      }).pipe(Effect.provide(Simulator.layer({ tradingHours: "always" }))),
    120_000
  )
})
