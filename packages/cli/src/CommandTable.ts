/**
 * The `projectx` command table (names, summaries, loaders) and the root description, and the root
 * `--help` / `--version` text rendered from them and the global flags' texts. No Effect import on purpose: the
 * bin answers `projectx`, `--help` and `--version` from this module alone (effect/cli is ~230 modules).
 * The text is effect/cli's own layout, to the byte; the CLI tests compare it with effect/cli's output.
 */
import { globalFlagTexts } from "./GlobalFlagTexts.ts"

export const version = "0.1.0"

/** Any loaded subcommand (their handlers' requirements are the platform services `bin.ts` provides). */
export type Subcommand =
  | typeof import("./commands/Accounts.ts").accounts
  | typeof import("./commands/Contracts.ts").contracts
  | typeof import("./commands/Bars.ts").bars
  | typeof import("./commands/Orders.ts").orders
  | typeof import("./commands/Positions.ts").positions
  | typeof import("./commands/Trades.ts").trades
  | typeof import("./commands/Health.ts").health
  | typeof import("./commands/Sim.ts").sim
  | typeof import("./commands/Demo.ts").demo
  | typeof import("./commands/Watch.ts").watch

/**
 * Every subcommand: its name, the one-line summary the root help lists, and how to load it. Only the
 * commands named on the command line are loaded (each pulls in the SDK, `sim` and `demo` the simulator);
 * the others appear in the tree as their name and summary, which is all the root help prints.
 * (The CLI tests check each summary against the loaded command's own.)
 */
export const commands: ReadonlyArray<{
  readonly name: string
  readonly summary: string
  readonly load: () => Promise<Subcommand>
}> = [
  {
    name: "accounts",
    summary: "List your trading accounts",
    load: () => import("./commands/Accounts.ts").then((m) => m.accounts)
  },
  {
    name: "contracts",
    summary: "Search and resolve contracts",
    load: () => import("./commands/Contracts.ts").then((m) => m.contracts)
  },
  {
    name: "bars",
    summary: "Download historical bars (table, JSON, Parquet, Arrow, CSV)",
    load: () => import("./commands/Bars.ts").then((m) => m.bars)
  },
  {
    name: "orders",
    summary: "Place, modify, cancel and list orders",
    load: () => import("./commands/Orders.ts").then((m) => m.orders)
  },
  {
    name: "positions",
    summary: "List and close positions",
    load: () => import("./commands/Positions.ts").then((m) => m.positions)
  },
  { name: "trades", summary: "List fills with P&L", load: () => import("./commands/Trades.ts").then((m) => m.trades) },
  {
    name: "watch",
    summary: "Live quotes and account events",
    load: () => import("./commands/Watch.ts").then((m) => m.watch)
  },
  {
    name: "health",
    summary: "Check the connection and print the health report",
    load: () => import("./commands/Health.ts").then((m) => m.health)
  },
  {
    name: "sim",
    summary: "Run the Gateway simulator (no credentials needed)",
    load: () => import("./commands/Sim.ts").then((m) => m.sim)
  },
  {
    name: "demo",
    summary: "Run the whole SDK against a built-in simulator (no credentials)",
    load: () => import("./commands/Demo.ts").then((m) => m.demo)
  }
]

export const rootDescription = [
  "The ProjectX Gateway (TopstepX and other futures prop firms) from the command line.",
  "",
  "Try it with no account: `projectx demo`, or `projectx sim` and point the other commands at it.",
  "Credentials come only from the environment: PROJECT_X_USERNAME and PROJECT_X_API_KEY",
  "(also PROJECT_X_ACCOUNT_NAME, PROJECTX_FIRM, PROJECTX_API_URL, PROJECTX_TIMEZONE, …)."
].join("\n")

// -----------------------------------------------------------------------------------------------
// The root help, as effect/cli's default formatter prints it
// -----------------------------------------------------------------------------------------------

interface FlagRow {
  readonly names: ReadonlyArray<string>
  readonly type?: string | undefined
  readonly description: string
}

const logLevels = ["all", "trace", "debug", "info", "warn", "warning", "error", "fatal", "none"]
const shells = ["bash", "zsh", "fish", "powershell", "sh", "pwsh"]

/** effect/cli's built-in global flags, in its order (they come before the CLI's own). */
const builtInFlags: ReadonlyArray<FlagRow> = [
  { names: ["--help", "-h"], description: "Show help information" },
  { names: ["--version", "-v"], description: "Show version information" },
  { names: ["--wizard"], description: "Start wizard mode for a command" },
  {
    names: ["--completions"],
    type: `<${shells.join("|")}>`,
    description: `Print shell completion script (choices: ${shells.join(", ")})`
  },
  {
    names: ["--log-level"],
    type: `<${logLevels.join("|")}>`,
    description: `Sets the minimum log level (choices: ${logLevels.join(", ")})`
  }
]

const globalFlagRows: ReadonlyArray<FlagRow> = [
  ...builtInFlags,
  ...Object.entries(globalFlagTexts).map(([name, t]) => ({
    names: [`--${name}`],
    type: "metavar" in t ? t.metavar : undefined,
    description: t.description
  }))
]

interface Colors {
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly cyan: (s: string) => string
  readonly green: (s: string) => string
}

const style = (open: number) => (s: string) => `\u001b[${open}m${s}\u001b[0m`
const plain = (s: string) => s
const colorsFor = (color: boolean): Colors =>
  color
    ? { bold: style(1), dim: style(2), cyan: style(36), green: style(32) }
    : { bold: plain, dim: plain, cyan: plain, green: plain }

// Every text here is narrow (no wide or combining characters), so a code point is a terminal cell.
const width = (s: string) => [...s.replace(/\u001b\[[0-9;]*m/g, "")].length

/** effect/cli's two-column table: two spaces, the left column padded to its widest + 4 (capped), the right. */
const renderTable = (rows: ReadonlyArray<readonly [string, string]>, cap?: number) => {
  const widest = Math.max(...rows.map(([left]) => width(left))) + 4
  const column = cap === undefined ? widest : Math.min(widest, cap)
  return rows
    .map(([left, right]) => `  ${left}${" ".repeat(Math.max(column, width(left) + 1) - width(left))}${right}`)
    .join("\n")
}

/** `projectx --help` (and `projectx` alone), without its trailing newline. */
export const rootHelp = (color: boolean): string => {
  const c = colorsFor(color)
  return [
    c.bold("DESCRIPTION"),
    `  ${rootDescription}`,
    "",
    c.bold("USAGE"),
    `  ${c.cyan("projectx <subcommand> [flags]")}`,
    "",
    c.bold("GLOBAL FLAGS"),
    renderTable(
      globalFlagRows.map((f) => [
        f.names.map(c.green).join(", ") + (f.type === undefined ? "" : ` ${c.dim(f.type)}`),
        f.description
      ])
    ),
    "",
    c.bold("SUBCOMMANDS"),
    renderTable(
      commands.map((cmd) => [c.cyan(cmd.name), cmd.summary]),
      20
    )
  ].join("\n")
}

/** `projectx --version`, without its trailing newline. */
export const versionText = (color: boolean): string => {
  const c = colorsFor(color)
  return `${c.bold("projectx")} ${c.dim("v")}${c.bold(version)}`
}

/**
 * Whether effect/cli would colour its output: `TERM=dumb` never; a non-empty `NO_COLOR` never; else a
 * `FORCE_COLOR` other than empty, `0` or `false`, or stdout a terminal (its `TerminalCapabilities`).
 */
export const wantsColor = (env: Readonly<Record<string, string | undefined>>, stdoutIsTerminal: boolean): boolean => {
  const present = (v: string | undefined): v is string => v !== undefined && v.length > 0
  if (env.TERM === "dumb") return false
  if (present(env.NO_COLOR)) return false
  const force = env.FORCE_COLOR
  return (present(force) && force !== "0" && force.toLowerCase() !== "false") || stdoutIsTerminal
}

/**
 * What `projectx args` prints when the answer needs no command: the root help for no arguments, `--help`
 * or `-h`, the version for `--version` or `-v`; undefined for anything else (effect/cli parses it).
 */
export const quickAnswer = (args: ReadonlyArray<string>, color: boolean): string | undefined => {
  if (args.length === 0) return `${rootHelp(color)}\n`
  if (args.length !== 1) return undefined
  const [arg] = args
  if (arg === "--help" || arg === "-h") return `${rootHelp(color)}\n`
  if (arg === "--version" || arg === "-v") return `${versionText(color)}\n`
  return undefined
}
