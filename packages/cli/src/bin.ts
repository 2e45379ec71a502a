#!/usr/bin/env node
/**
 * The `projectx` command. Exit codes: 0 ok, 1 failure, 2 bad input or configuration, 3 not found,
 * 4 authentication, 5 Gateway unreachable, 130 interrupted. `projectx`, `--help` and `--version` are
 * answered from the command table alone; anything else loads effect/cli and the named command.
 */
import * as NodeModule from "node:module"
import { quickAnswer, wantsColor } from "./CommandTable.ts"

const args = process.argv.slice(2)
const quick = quickAnswer(args, wantsColor(process.env, process.stdout.isTTY === true))
if (quick !== undefined) {
  process.stdout.write(quick)
} else {
  // V8's compiled code for the modules a command loads, kept between runs (in the OS temp directory, or
  // NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE turns it off). A directory that cannot be written,
  // a read-only install or an older Node just means no cache: the call reports, it never throws.
  try {
    NodeModule.enableCompileCache?.()
  } catch {}
  const { main } = await import("./Main.ts")
  main(args)
}
