/**
 * `projectx health`: logs in and lists the accounts (so it proves the credentials and the URL), then
 * prints the SDK's health report: session, circuit breakers, rate-limit budget, cache, HTTP pool.
 * Exits 1 when the report says unhealthy.
 */
import { Accounts, Health, ProjectXConfig } from "@projectx-effect/sdk"
import * as Effect from "effect/Effect"
import * as Command from "effect/cli/Command"
import { ExitCode, Reported } from "../Failure.ts"
import { formatDuration, print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withSdk } from "../Settings.ts"
import { healthDetails } from "../Views.ts"

export const health = Command.make("health", {}, () =>
  withSdk(
    Effect.gen(function* () {
      const config = yield* ProjectXConfig.ProjectXConfig
      const started = performance.now()
      const accounts = yield* (yield* Accounts.Accounts).search()
      const roundTrip = performance.now() - started
      const report = yield* (yield* Health.Health).check
      if (yield* Json) {
        yield* printJson({ ...report, accounts: accounts.length, loginAndSearchMs: roundTrip })
      } else {
        const p = stdoutPaint()
        yield* print(
          healthDetails(report, config.timeZone, p, [
            ["firm", config.firm ?? "(custom URL)"],
            ["user", config.username],
            ["accounts", `${accounts.length} active (login + search in ${formatDuration(roundTrip)})`]
          ])
        )
      }
      if (!report.healthy) return yield* new Reported({ code: ExitCode.Failure, message: "the SDK reports unhealthy" })
    })
  )
).pipe(
  Command.withDescription("Check the credentials and the connection, then print the SDK's health report."),
  Command.withShortDescription("Check the connection and print the health report")
)
