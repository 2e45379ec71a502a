/** `projectx positions [close|partial-close]`: open positions of the selected account, and closing them. */
import { Accounts, Instruments, Positions, ProjectXConfig } from "@projectx-effect/sdk/rest"
import * as Effect from "effect/Effect"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { ExitCode, NotFound, Reported } from "../Failure.ts"
import { note, print, printJson, stdoutPaint } from "../Output.ts"
import { Json, withRestSdk } from "../Settings.ts"
import { contractsFor, orderJson, positionJson, positionsTable } from "../Views.ts"

/** The open positions, as a table or JSON. */
export const showPositions = Effect.gen(function* () {
  const positions = yield* (yield* Positions.Positions).searchOpen()
  if (yield* Json) return yield* printJson(positions.map(positionJson))
  const config = yield* ProjectXConfig.ProjectXConfig
  const contracts = yield* contractsFor(positions.map((p) => p.contractId))
  yield* print(positionsTable(positions, contracts, config.timeZone, stdoutPaint()))
})

const symbol = Argument.String("symbol").pipe(
  Argument.withDescription("The position's contract: a root (MNQ: its front month), a contract name or id")
)

/** The open position on `contractId`, or a NotFound naming the contract and the account (exit 3). */
const openPosition = (contractId: string, contractName: string) =>
  Effect.gen(function* () {
    const open = yield* (yield* Positions.Positions).searchOpen()
    const position = open.find((x) => x.contractId === contractId)
    if (position !== undefined) return position
    const account = yield* (yield* Accounts.Accounts).selected
    return yield* new NotFound({
      message: `no open ${contractName} position on account ${account.name}`,
      hint:
        open.length === 0
          ? "the account is flat (`projectx positions` lists open positions)"
          : `open positions: ${open.map((x) => x.contractDisplayName ?? x.contractId).join(", ")}`
    })
  })

const close = Command.make("close", { symbol }, ({ symbol }) =>
  withRestSdk(
    Effect.gen(function* () {
      const contract = yield* (yield* Instruments.Instruments).resolve(symbol)
      yield* openPosition(contract.id, contract.name)
      const cleanup = yield* (yield* Positions.Positions).close(contract.id)
      const failed = cleanup.bracketsFailed.map((f) => ({ order: orderJson(f.order), error: f.error.message }))
      if (yield* Json) {
        return yield* printJson({
          closed: contract.id,
          bracketsCancelled: cleanup.bracketsCancelled.map(orderJson),
          bracketsFailed: failed,
          ...(cleanup.bracketLookupError === undefined
            ? {}
            : { bracketLookupError: cleanup.bracketLookupError.message })
        })
      }
      const ids = cleanup.bracketsCancelled.map((o) => o.id)
      yield* print(
        `Closed the ${contract.name} position (${contract.id}) at market${
          ids.length === 0 ? "" : `, and cancelled its bracket order${ids.length === 1 ? "" : "s"} ${ids.join(", ")}`
        }\n`
      )
      for (const f of cleanup.bracketsFailed) {
        yield* note(
          `Could not cancel bracket order ${f.order.id}: ${f.error.message} (cancel it with \`projectx orders cancel ${f.order.id}\`)`
        )
      }
      if (cleanup.bracketsFailed.length > 0) {
        return yield* new Reported({
          code: ExitCode.Failure,
          message: `the position is closed, but ${cleanup.bracketsFailed.length} bracket order(s) are still working`
        })
      }
      if (cleanup.bracketLookupError !== undefined) {
        yield* note(
          `Could not list the working orders (${cleanup.bracketLookupError.message}): check \`projectx orders open\` for a stray bracket`
        )
      }
    })
  )
).pipe(
  Command.withDescription(
    "Flatten one contract's position with a market order, and cancel its bracket orders (the Gateway leaves them working)."
  ),
  Command.withShortDescription("Close a position (and its bracket)")
)

const partialClose = Command.make(
  "partial-close",
  { symbol, size: Flag.Int("size").pipe(Flag.withDescription("Contracts to close (at most the open size)")) },
  ({ symbol, size }) =>
    withRestSdk(
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

export const positions = Command.make("positions", {}, () => withRestSdk(showPositions)).pipe(
  Command.withDescription("Open positions on the selected account (--account); close them with the subcommands."),
  Command.withShortDescription("List and close positions"),
  Command.withSubcommands([close, partialClose])
)
