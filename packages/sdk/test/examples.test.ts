import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@projectx-effect/simulator"

// The README's examples are these files, verbatim; here they run against a simulator, so they cannot rot.
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url))
const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8")

const run = (file: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@projectx-effect/source", file], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`timed out:\n${out}`))
    }, 25_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })

describe("the README's examples", () => {
  it("no code block in a README the packages ship uses `await using` (Node ≥ 24; the READMEs promise 22.19)", () => {
    for (const path of ["../../../README.md", "../README.md", "../../simulator/README.md"]) {
      const text = readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8")
      const blocks = [...text.matchAll(/```(?:ts|js|typescript|javascript)\n([\s\S]*?)```/g)].map((m) => m[1]!)
      expect(blocks.length).toBeGreaterThan(0)
      for (const block of blocks) expect(block).not.toMatch(/\bawait using\b/)
    }
  })

  for (const [name, expected] of [
    ["effect-app.ts", /\d+ bars, last close \d+/],
    ["plain.ts", /[\w-]+: \d+ bars of MNQ\w+/],
    ["realtime-effect.ts", /bid [\d.]+ ask [\d.]+ last [\d.]+/],
    ["realtime-plain.ts", /bid [\d.]+ ask [\d.]+ last [\d.]+/],
    ["state-plain.ts", /order \d+ filled 1 at [\d.]+\nposition 1 @ [\d.]+; \d+ repaired/]
  ] as const) {
    it(`${name} is in the README verbatim and runs against the simulator`, async () => {
      const source = readFileSync(example(name), "utf8")
      expect(readme).toContain(source.trim())
      await using sim = await Simulator.start({ tradingHours: "always" })
      const result = await run(example(name), {
        PROJECTX_API_URL: sim.url,
        PROJECT_X_USERNAME: sim.credentials.userName,
        PROJECT_X_API_KEY: sim.credentials.apiKey
      })
      expect(result.out).toMatch(expected)
      expect(result.code).toBe(0)
    })
  }
})
