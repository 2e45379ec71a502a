/**
 * `@projectx-effect/cli`: the `projectx` command line. The bin is `bin.ts`; this entry exposes the
 * command tree and its runner so other tools can embed or test it (`Cli.run(args)` returns the exit code).
 */
export * as Cli from "./Cli.ts"
export * as Failure from "./Failure.ts"
export * as Output from "./Output.ts"
export * as Settings from "./Settings.ts"
