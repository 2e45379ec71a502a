/**
 * The `projectx` command tree and its runner: parse with `effect/cli`, run the handler with the SDK's
 * Layers, and turn any failure into one readable message (human or JSON, on stderr) and an exit code:
 * 2 bad input, 3 not found, 4 authentication, 5 Gateway unreachable, 1 anything else.
 * Commands load when named (the table is `CommandTable.ts`): `projectx accounts` never loads the simulator.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import { commands, rootDescription, type Subcommand, version } from "./CommandTable.ts"
import { type Described, describeCause, ExitCode } from "./Failure.ts"
import { stderrPaint } from "./Output.ts"
import { globalFlags } from "./Settings.ts"

export { commands, type Subcommand, version } from "./CommandTable.ts"

const rootOf = (subcommands: ReadonlyArray<Subcommand>) =>
  Command.make("projectx").pipe(
    Command.withDescription(rootDescription),
    Command.withSubcommands(subcommands),
    Command.withGlobalFlags(globalFlags)
  )

/**
 * The command tree for `args`: each subcommand named among them loaded for real, the others as their
 * name and summary (a word that only looks like a command, such as a flag's value, just loads one more).
 */
export const rootFor = (args: ReadonlyArray<string>) =>
  Effect.promise(() =>
    Promise.all(
      commands.map(
        (c): Promise<Subcommand> =>
          args.includes(c.name)
            ? c.load()
            : // A placeholder never runs: its name is not on the command line.
              Promise.resolve(Command.make(c.name).pipe(Command.withShortDescription(c.summary)) as Subcommand)
      )
    )
  ).pipe(Effect.map(rootOf))

/** The whole tree, every command loaded (for embedding and for tests). */
export const root = Effect.promise(() => Promise.all(commands.map((c) => c.load()))).pipe(Effect.map(rootOf))

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
  rootFor(args).pipe(
    Effect.flatMap((root) => Command.runWith(root, { version })(args)),
    Effect.as(ExitCode.Ok as number),
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : report(cause, args.includes("--json"))
    ),
    args.includes("--json") ? Effect.provideService(CliOutput.Presenter, jsonPresenter) : (self) => self,
    // stdout is for data: logs go to stderr, and only warnings unless --log-level says otherwise.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
