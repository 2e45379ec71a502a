/** `projectx trades`: fills (half-turns) of the selected account, with realized P&L and fees. */
import { ProjectXConfig, Trades } from "@projectx-effect/sdk/rest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { UsageError } from "../Failure.ts"
import { print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withRestSdk, withShownDefault } from "../Settings.ts"
import { contractsFor, tradeJson, tradesSummary, tradesTable } from "../Views.ts"

export const trades = Command.make(
  "trades",
  { days: Flag.Finite("days").pipe(withShownDefault("How many days back", 1)) },
  ({ days }) =>
    withRestSdk(
      Effect.gen(function* () {
        if (!(days > 0)) return yield* new UsageError({ message: `--days ${days}: expected a number of days > 0` })
        const now = yield* Clock.currentTimeMillis
        const fills = yield* (yield* Trades.Trades).search({
          start: new Date(now - days * 86_400_000),
          end: new Date(now)
        })
        const summary = Trades.summarize(fills)
        if (yield* Json) return yield* printJson({ trades: fills.map(tradeJson), summary })
        const config = yield* ProjectXConfig.ProjectXConfig
        const contracts = yield* contractsFor(fills.map((t) => t.contractId))
        const p = stdoutPaint()
        yield* print(tradesTable(fills, contracts, config.timeZone, p))
        if (fills.length > 0) yield* print(`\n${tradesSummary(summary, p)}`)
      })
    )
).pipe(
  Command.withDescription("Fills in the last --days (default 1), with realized P&L, fees and a summary."),
  Command.withShortDescription("List fills with P&L")
)
