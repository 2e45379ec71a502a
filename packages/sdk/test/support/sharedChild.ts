/**
 * One "bot" process for the multi-process tests: the SDK with `shared` on Redis against a simulator.
 * argv: <apiUrl> <redisUrl> <calls>. Prints "ready" once its layer is built, waits for a line on stdin,
 * makes <calls> Account/search calls (10 at a time) and prints one JSON line with what happened.
 */
import { createInterface } from "node:readline"
import { Endpoints } from "@projectx-effect/gateway"
import { Simulator } from "@projectx-effect/simulator"
import { Effect, type Layer } from "effect"
import { GatewayClient } from "../../src/client/GatewayClient.ts"
import * as ProjectX from "../../src/ProjectX.ts"

const [apiUrl, redisUrl, callsArg] = process.argv.slice(2)
const calls = Number(callsArg)

const waitForGo = () =>
  new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin })
    lines.once("line", () => {
      lines.close()
      resolve()
    })
  })

const program = Effect.gen(function* () {
  const client = yield* GatewayClient
  process.stdout.write("ready\n")
  yield* Effect.promise(waitForGo)
  const started = Date.now()
  const failures: Record<string, number> = {}
  let ok = 0
  yield* Effect.forEach(
    Array.from({ length: calls }),
    () =>
      client.call(Endpoints.searchAccounts, { onlyActiveAccounts: true }).pipe(
        Effect.match({
          onSuccess: () => {
            ok++
          },
          onFailure: (error) => {
            const tag = error._tag === "GatewayError" ? error.reason._tag : error._tag
            failures[tag] = (failures[tag] ?? 0) + 1
          }
        })
      ),
    { concurrency: 10, discard: true }
  )
  process.stdout.write(`${JSON.stringify({ ok, failures, started, ended: Date.now() })}\n`)
})

const layer = ProjectX.layer({
  apiUrl: apiUrl!,
  username: Simulator.credentials.userName,
  apiKey: Simulator.credentials.apiKey,
  rateLimits: { general: { limit: 200, window: "3 seconds" } },
  retry: { base: "5 millis", cap: "50 millis" },
  shared: { redisUrl: redisUrl!, cache: false }
})

Effect.runPromise(program.pipe(Effect.provide(layer as Layer.Layer<GatewayClient>))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
