// The bin's fast answers (`projectx`, `--help`, `-h`, `--version`, `-v`, printed from the command table
// without loading effect/cli) against what effect/cli itself prints for the same arguments, with and
// without colour, and the bin's colour rule against effect/cli's TerminalCapabilities.
import { format } from "node:util"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stdio from "effect/Stdio"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import { describe, expect, it } from "vitest"
import * as Cli from "../src/Cli.ts"
import { quickAnswer, wantsColor } from "../src/CommandTable.ts"
import { spawnCli } from "./support/bin.ts"

/** What effect/cli prints on stdout and stderr for `projectx args`, and the exit code, in this process. */
const fullPath = async (args: ReadonlyArray<string>, canColor: boolean) => {
  let stdout = ""
  let stderr = ""
  const toOut = (...xs: ReadonlyArray<unknown>) => void (stdout += `${format(...xs)}\n`)
  const toErr = (...xs: ReadonlyArray<unknown>) => void (stderr += `${format(...xs)}\n`)
  const console: Console.Console = { ...globalThis.console, log: toOut, info: toOut, error: toErr, warn: toErr }
  const code = await Effect.runPromise(
    Cli.run(args).pipe(
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, console),
      Effect.provideService(TerminalCapabilities.TerminalCapabilities, {
        canColor,
        canAnimate: false,
        canPrompt: false
      })
    )
  )
  return { code, stdout, stderr }
}

const quickArgs: ReadonlyArray<ReadonlyArray<string>> = [[], ["--help"], ["-h"], ["--version"], ["-v"]]

describe("the bin's fast answers", { timeout: 120_000 }, () => {
  for (const args of quickArgs) {
    for (const color of [false, true]) {
      it(`projectx ${args.join(" ") || "(no arguments)"}${color ? ", in colour," : ""} prints what effect/cli prints`, async () => {
        const full = await fullPath(args, color)
        expect(full.code).toBe(0)
        expect(full.stderr).toBe("")
        expect(quickAnswer(args, color)).toBe(full.stdout)
      })
    }
  }

  it("the root help lists every command with its summary, and the global flags", () => {
    const help = quickAnswer(["--help"], false) ?? ""
    for (const c of Cli.commands)
      expect(help).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, "\\$&")}$`, "m"))
    for (const flag of ["--json", "--firm id", "--api-url url", "--account name", "--tz zone", "--log-level"]) {
      expect(help).toContain(flag)
    }
    expect(quickAnswer(["--version"], false)).toBe(`projectx v${Cli.version}\n`)
  })

  it("anything else goes to effect/cli", () => {
    for (const args of [["accounts"], ["bars", "--help"], ["--json", "--help"], ["--help", "accounts"], ["-x"]]) {
      expect(quickAnswer(args, false)).toBeUndefined()
    }
  })

  it("colours exactly when effect/cli's TerminalCapabilities would", async () => {
    const envs: ReadonlyArray<Record<string, string>> = [
      {},
      { NO_COLOR: "1" },
      { NO_COLOR: "" },
      { FORCE_COLOR: "1" },
      { FORCE_COLOR: "0" },
      { FORCE_COLOR: "false" },
      { FORCE_COLOR: "FALSE" },
      { FORCE_COLOR: "" },
      { NO_COLOR: "1", FORCE_COLOR: "1" },
      { TERM: "dumb", FORCE_COLOR: "1" },
      { TERM: "xterm-256color" }
    ]
    for (const env of envs) {
      for (const tty of [false, true]) {
        const expected = await Effect.runPromise(
          Effect.gen(function* () {
            return (yield* TerminalCapabilities.TerminalCapabilities).canColor
          }).pipe(
            Effect.provide(TerminalCapabilities.layer),
            Effect.provide(Stdio.layerTest({ stdoutIsTerminal: Effect.succeed(tty) })),
            Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
          )
        )
        expect({ env, tty, color: wantsColor(env, tty) }).toEqual({ env, tty, color: expected })
      }
    }
  })

  it("the bin (a subprocess) prints the same root help and exits 0", async () => {
    const r = await spawnCli(["--help"], {}, process.cwd())
    expect(r).toEqual({ code: 0, stdout: (await fullPath(["--help"], false)).stdout, stderr: "" })
  })
})
