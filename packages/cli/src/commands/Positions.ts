/** `projectx positions [close|partial-close]`: open positions of the selected account, and closing them. */
import { Instruments, Positions, ProjectXConfig } from "@projectx-effect/sdk"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withSdk } from "../Settings.ts"
import { contractsFor, positionsTable } from "../Views.ts"

/** The open positions, as a table or JSON. */
export const showPositions = Effect.gen(function* () {
  const positions = yield* (yield* Positions.Positions).searchOpen()
  if (yield* Json) return yield* printJson(positions)
  const config = yield* ProjectXConfig.ProjectXConfig
  const contracts = yield* contractsFor(positions.map((p) => p.contractId))
  yield* print(positionsTable(positions, contracts, config.timeZone, stdoutPaint()))
})

const symbol = Argument.String("symbol").pipe(
  Argument.withDescription("The position's contract: a root (MNQ: its front month), a contract name or id")
)

const close = Command.make("close", { symbol }, ({ symbol }) =>
  withSdk(
    Effect.gen(function* () {
      const contract = yield* (yield* Instruments.Instruments).resolve(symbol)
      yield* (yield* Positions.Positions).close(contract.id)
      if (yield* Json) return yield* printJson({ closed: contract.id })
      yield* print(`Closed the ${contract.name} position (${contract.id}) at market\n`)
    })
  )
).pipe(
  Command.withDescription("Flatten one contract's position with a market order."),
  Command.withShortDescription("Close a position")
)

const partialClose = Command.make(
  "partial-close",
  { symbol, size: Flag.Int("size").pipe(Flag.withDescription("Contracts to close (at most the open size)")) },
  ({ symbol, size }) =>
    withSdk(
      Effect.gen(function* () {
        const contract = yield* (yield* Instruments.Instruments).resolve(symbol)
        yield* (yield* Positions.Positions).partialClose(contract.id, size)
        if (yield* Json) return yield* printJson({ closed: contract.id, size })
        yield* print(`Closed ${size} contract${size === 1 ? "" : "s"} of the ${contract.name} position at market\n`)
      })
    )
).pipe(
  Command.withDescription("Close part of a position with a market order."),
  Command.withShortDescription("Close part of a position")
)

export const positions = Command.make("positions", {}, () => withSdk(showPositions)).pipe(
  Command.withDescription("Open positions on the selected account (--account); close them with the subcommands."),
  Command.withShortDescription("List and close positions"),
  Command.withSubcommands([close, partialClose])
)
