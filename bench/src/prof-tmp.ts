import { Endpoints } from "@projectx-effect/gateway"
import { Accounts, ProjectX } from "@projectx-effect/sdk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
const loginText = JSON.stringify({ token: "a.b.c", success: true, errorCode: 0, errorMessage: null })
const accountsText = JSON.stringify({
  accounts: [{ id: 1, name: "A", balance: 50000, canTrade: true, isVisible: true, simulated: true }],
  success: true,
  errorCode: 0,
  errorMessage: null
})
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
const unlimited = { limit: 1_000_000_000, window: "60 seconds" } as const
const rt = ManagedRuntime.make(
  ProjectX.layerWithoutHttp({
    apiUrl: "http://127.0.0.1:9",
    username: "user",
    apiKey: "abcdefghijklmnop",
    rateLimits: { general: unlimited, history: unlimited },
    cache: false
  }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, mock)))
)
const acc = await rt.runPromise(Effect.service(Accounts.Accounts))
const M = Number(process.argv[2] ?? 20000)
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await rt.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < M; i++) yield* acc.search()
    })
  )
  const c = process.cpuUsage(c0)
  console.log(
    `round ${r}: ${(((performance.now() - t0) * 1000) / M).toFixed(1)} µs wall, ${((c.user + c.system) / M).toFixed(1)} µs cpu per call`
  )
}
await rt.dispose()
