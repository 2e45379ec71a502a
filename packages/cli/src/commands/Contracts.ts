/** `projectx contracts search <text>` and `projectx contracts resolve <symbol>`. */
import { Instruments } from "@projectx-effect/sdk/rest"
import * as Effect from "effect/Effect"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import { print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withRestSdk } from "../Settings.ts"
import { contractDetails, contractsTable, sortContracts } from "../Views.ts"

const search = Command.make(
  "search",
  { text: Argument.String("text").pipe(Argument.withDescription("Text to match, e.g. NQ or Nasdaq")) },
  ({ text }) =>
    withRestSdk(
      Effect.gen(function* () {
        const found = sortContracts(yield* (yield* Instruments.Instruments).search(text))
        if (yield* Json) return yield* printJson(found)
        yield* print(contractsTable(found, stdoutPaint()))
      })
    )
).pipe(
  Command.withDescription("Search contracts by text (the Gateway's match, at most 20), listed by root, then expiry."),
  Command.withShortDescription("Search contracts by text")
)

const resolve = Command.make(
  "resolve",
  {
    symbol: Argument.String("symbol").pipe(
      Argument.withDescription("A root (MNQ, NQ, ES), a contract name (MNQZ5) or a contract id (CON.F.US.MNQ.Z25)")
    )
  },
  ({ symbol }) =>
    withRestSdk(
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments.Instruments).resolve(symbol)
        if (yield* Json) return yield* printJson(contract)
        yield* print(contractDetails(contract, stdoutPaint()))
      })
    )
).pipe(
  Command.withDescription("Resolve a symbol to one contract: a root gives its front month."),
  Command.withShortDescription("Resolve a symbol to its front-month contract")
)

export const contracts = Command.make("contracts").pipe(
  Command.withDescription("Look up contracts."),
  Command.withShortDescription("Search and resolve contracts"),
  Command.withSubcommands([search, resolve])
)
