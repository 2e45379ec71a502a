/**
 * The full `projectx` run: effect/cli parses the arguments and the named command runs on the Node
 * runtime, its result becoming the exit code. `bin.ts` loads this only when the answer needs a command.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { run } from "./Cli.ts"

/** Runs `projectx args` and sets the process's exit code (interruption exits 130). */
export const main = (args: ReadonlyArray<string>): void =>
  run(args).pipe(
    Effect.provide(NodeServices.layer),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      teardown: (exit, onExit) => {
        if (Exit.isSuccess(exit)) {
          process.exitCode = exit.value as number
          return onExit(exit.value as number)
        }
        return Runtime.defaultTeardown(exit, onExit)
      }
    })
  )
