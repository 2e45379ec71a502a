#!/usr/bin/env node
/**
 * The `projectx` command. Exit codes: 0 ok, 1 failure, 2 bad input or configuration, 3 not found,
 * 4 authentication, 5 Gateway unreachable, 130 interrupted.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { run } from "./Cli.ts"

run(process.argv.slice(2)).pipe(
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
