// The result rows, the console table, bench/results.json and bench/results.md.
import { writeFileSync } from "node:fs"
import { fmt } from "./stats.ts"

export interface Result {
  readonly name: string
  /** Median unless the unit says otherwise. */
  readonly value: number
  readonly unit: string
  readonly reference: string
  readonly referenceValue: number | null
  /** value / referenceValue (null without a reference). */
  readonly ratio: number | null
  readonly goal: string
  readonly met: boolean
  /** The value's spread, e.g. "p25–p75 0.21–0.25". */
  readonly spread: string
  readonly referenceSpread: string
  /** Anything else worth knowing about the row. */
  readonly detail: string
}

const units: Record<string, (x: number) => string> = {
  bytes: (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} MB` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} kB` : `${x} B`),
  ms: (x) => `${fmt(x)} ms`,
  ns: (x) => `${fmt(x)} ns`,
  "req/s": (x) => `${fmt(x)} req/s`
}

export const show = (x: number | null, unit: string): string =>
  x === null ? "—" : (units[unit] ?? ((v: number) => `${fmt(v)} ${unit}`))(x)

const ratioText = (r: Result) => (r.ratio === null ? "—" : `${fmt(r.ratio)}×`)
const status = (r: Result) => (r.met ? "ok" : "MISSED")

const columns = ["Figure", "Value", "Spread", "Reference", "Ref. value", "Ref. spread", "Ratio", "Goal", "Status"]

const cells = (r: Result): Array<string> => [
  r.name,
  show(r.value, r.unit),
  r.spread,
  r.reference,
  show(r.referenceValue, r.unit),
  r.referenceSpread,
  ratioText(r),
  r.goal,
  status(r)
]

export const consoleTable = (results: ReadonlyArray<Result>): string => {
  const rows = [columns, ...results.map(cells)]
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const line = (row: Array<string>) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ")
  const rule = widths.map((w) => "-".repeat(w)).join("  ")
  return [line(columns), rule, ...results.map((r) => line(cells(r)))].join("\n")
}

export const markdown = (results: ReadonlyArray<Result>, header: ReadonlyArray<string>): string => {
  const esc = (s: string) => s.replaceAll("|", "\\|")
  const head = `| ${columns.join(" | ")} |`
  const sep = `|${columns.map(() => "---").join("|")}|`
  const body = results.map((r) => `| ${cells(r).map(esc).join(" | ")} |`)
  const details = results.filter((r) => r.detail !== "").map((r) => `- **${esc(r.name)}**: ${r.detail}`)
  return [
    "# Benchmark results",
    "",
    ...header.map((h) => `- ${h}`),
    "",
    head,
    sep,
    ...body,
    "",
    "## Details",
    "",
    ...details,
    ""
  ].join("\n")
}

export const writeResults = (
  dir: URL,
  results: ReadonlyArray<Result>,
  header: ReadonlyArray<string>
): { json: string; md: string } => {
  const json = new URL("results.json", dir)
  const md = new URL("results.md", dir)
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(md, markdown(results, header))
  return { json: json.pathname, md: md.pathname }
}
