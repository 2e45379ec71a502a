/**
 * The `projectx` command tree and its runner: parse with `effect/cli`, run the handler with the SDK's
 * Layers, and turn any failure into one readable message (human or JSON, on stderr) and an exit code:
 * 2 bad input, 3 not found, 4 authentication, 5 Gateway unreachable, 1 anything else.
 */
import { Cause, Effect, Logger, References } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { accounts } from "./commands/Accounts.ts"
import { bars } from "./commands/Bars.ts"
import { contracts } from "./commands/Contracts.ts"
import { demo } from "./commands/Demo.ts"
import { health } from "./commands/Health.ts"
import { orders } from "./commands/Orders.ts"
import { positions } from "./commands/Positions.ts"
import { sim } from "./commands/Sim.ts"
import { trades } from "./commands/Trades.ts"
import { type Described, describeCause, ExitCode } from "./Failure.ts"
import { stderrPaint } from "./Output.ts"
import { globalFlags } from "./Settings.ts"

export const version = "0.1.0"

export const root = Command.make("projectx").pipe(
  Command.withDescription(
    [
      "The ProjectX Gateway (TopstepX and other futures prop firms) from the command line.",
      "",
      "Try it with no account: `projectx demo`, or `projectx sim` and point the other commands at it.",
      "Credentials come only from the environment: PROJECT_X_USERNAME and PROJECT_X_API_KEY",
      "(also PROJECT_X_ACCOUNT_NAME, PROJECTX_FIRM, PROJECTX_API_URL, PROJECTX_TIMEZONE, …)."
    ].join("\n")
  ),
  Command.withSubcommands([accounts, contracts, bars, orders, positions, trades, health, sim, demo]),
  Command.withGlobalFlags(globalFlags)
)

/** One JSON object on stderr: `{"error":{"tag","message","exitCode","hint"?}}`. */
const writeJson = (d: Pick<Described, "tag" | "message" | "code" | "hint">) => {
  const body = { error: { tag: d.tag, message: d.message, exitCode: d.code, ...(d.hint ? { hint: d.hint } : {}) } }
  process.stderr.write(`${JSON.stringify(body)}\n`)
}

/** effect/cli's parse errors (a missing flag, a bad value, an unknown subcommand) as one failure. */
export const usageFailure = (failure: CliError.ShowHelp): Described => ({
  code: ExitCode.BadInput,
  tag: failure.errors[0]?._tag ?? "ShowHelp",
  message: failure.errors.map((e) => e.message).join("; "),
  hint: `\`${failure.commandPath.join(" ")} --help\` shows the usage`
})

/**
 * Under `--json` the help text is not printed for an invalid invocation: stdout stays empty (no half
 * JSON for a script to choke on) and `report` writes the errors as one JSON object on stderr.
 */
const jsonPresenter: CliOutput.Presenter = {
  present: (event) => (event._tag === "InvalidInvocation" ? Effect.void : CliOutput.defaultPresenter.present(event))
}

/** Prints a failure on stderr (JSON when `--json` was given) and returns its exit code. */
const report = (cause: Cause.Cause<unknown>, json: boolean): Effect.Effect<number> =>
  Effect.sync(() => {
    const failure = cause.reasons.find(Cause.isFailReason)?.error
    if (CliError.isCliError(failure) && failure._tag === "ShowHelp") {
      if (failure.errors.length === 0) return ExitCode.Ok
      // Without --json effect/cli has printed the help and the errors; with it, nothing yet (see jsonPresenter).
      if (json) writeJson(usageFailure(failure))
      return ExitCode.BadInput
    }
    const d = describeCause(cause)
    if (json) {
      writeJson(d)
    } else {
      const p = stderrPaint()
      process.stderr.write(`${p.red(p.bold("error"))} ${d.message}\n`)
      if (d.hint !== undefined) process.stderr.write(`${p.dim(`  → ${d.hint}`)}\n`)
      if (d.defect instanceof Error && d.defect.stack !== undefined) process.stderr.write(`${p.dim(d.defect.stack)}\n`)
    }
    return d.code
  })

/**
 * Runs `projectx` on `args` (without `node` and the script) and returns the exit code. Interruption
 * (Ctrl-C) is not caught: the runtime exits 130.
 */
export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(root, { version })(args).pipe(
    Effect.as(ExitCode.Ok as number),
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : report(cause, args.includes("--json"))
    ),
    args.includes("--json") ? Effect.provideService(CliOutput.Presenter, jsonPresenter) : (self) => self,
    // stdout is for data: logs go to stderr, and only warnings unless --log-level says otherwise.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
