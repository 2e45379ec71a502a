/**
 * `projectx sim`: the bundled Gateway simulator in the foreground, with the environment to point this
 * CLI (or any SDK program) at it. Ctrl-C stops it.
 */
import { Seed, Simulator } from "@projectx-effect/simulator"
import * as Effect from "effect/Effect"
import { UsageError } from "../Failure.ts"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { keyValues, note, print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withShownDefault } from "../Settings.ts"

export const sim = Command.make(
  "sim",
  {
    port: Flag.Int("port").pipe(withShownDefault("TCP port (0 picks a free one)", 5000)),
    host: Flag.String("host").pipe(withShownDefault("Interface to listen on", "127.0.0.1")),
    seed: Flag.Int("seed").pipe(withShownDefault("Market seed", 42)),
    alwaysOpen: Flag.Boolean("always-open").pipe(
      Flag.withDescription(
        "Never close the market; default: CME Globex hours (Sun 17:00 - Fri 16:00 CT, daily halt, CME holidays), as `npm run sim`"
      ),
      Flag.withDefault(false)
    )
  },
  (input) =>
    Effect.gen(function* () {
      const handle = yield* Simulator.Simulator
      const env = {
        PROJECTX_API_URL: handle.url,
        PROJECT_X_USERNAME: Simulator.credentials.userName,
        PROJECT_X_API_KEY: Simulator.credentials.apiKey
      }
      if (yield* Json) {
        yield* printJson({ url: handle.url, port: handle.port, credentials: Simulator.credentials, env })
      } else {
        const p = stdoutPaint()
        yield* print(
          `${p.bold("ProjectX Gateway simulator")} listening on ${p.cyan(handle.url)}\n\n` +
            keyValues(
              [
                ["REST base", `${handle.url}/api`],
                ["admin API", `${handle.url}/_sim`],
                ["username", Simulator.credentials.userName],
                ["API key", Simulator.credentials.apiKey],
                [
                  "accounts",
                  Seed.demo.accounts
                    .filter((a) => a.active)
                    .map((a) => a.name)
                    .join(", ")
                ],
                [
                  "market",
                  `seed ${input.seed}, ${input.alwaysOpen ? "always open" : "CME Globex hours (America/Chicago)"}`
                ]
              ],
              p
            ) +
            `\nIn another shell:\n\n${Object.entries(env)
              .map(([k, v]) => `  export ${k}=${v}`)
              .join("\n")}\n  projectx accounts\n\nPress Ctrl-C to stop.\n`
        )
      }
      return yield* Effect.never.pipe(Effect.onInterrupt(() => note("Simulator stopped.")))
    }).pipe(
      Effect.provide(
        Simulator.layer({
          port: input.port,
          host: input.host,
          seed: input.seed,
          tradingHours: input.alwaysOpen ? "always" : "cme"
        })
      ),
      Effect.mapError(
        (error) =>
          new UsageError({
            message: `cannot listen on ${input.host}:${input.port}: ${error.message}`,
            hint: "pick another --port (0 picks a free one)"
          })
      )
    )
).pipe(
  Command.withDescription(
    "Run the bundled ProjectX Gateway simulator in the foreground and print the URL and the demo credentials. Ctrl-C stops it."
  ),
  Command.withShortDescription("Run the Gateway simulator (no credentials needed)")
)
