// Runs heap-child.ts once per mode, each in a fresh `--expose-gc` process.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface HeapResult {
  readonly mode: string
  readonly bars: number
  readonly bytes: number
  readonly storedBytes?: number
  readonly ipcBytes?: number
}

export const heapOf = (mode: "cache" | "table" | "json", bars: number): Promise<HeapResult> => {
  const script = fileURLToPath(new URL("./heap-child.ts", import.meta.url))
  const child = spawn(
    process.execPath,
    ["--conditions=@projectx-effect/source", "--expose-gc", script, mode, String(bars)],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  return new Promise((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (code !== 0 || line === undefined) reject(new Error(`heap child (${mode}) exited with ${code}`))
      else resolve(JSON.parse(line) as HeapResult)
    })
  })
}

export interface HeapFigures {
  readonly cache: HeapResult
  readonly table: HeapResult
  readonly json: HeapResult
}

/** The JSON side varies a little with GC timing; each mode runs `repeats` times and keeps the median. */
export const runHeap = async (bars: number, repeats: number, log: (line: string) => void): Promise<HeapFigures> => {
  log("heap per 1M bars …")
  const median = async (mode: "cache" | "table" | "json") => {
    const runs: Array<HeapResult> = []
    for (let i = 0; i < repeats; i++) runs.push(await heapOf(mode, bars))
    runs.sort((a, b) => a.bytes - b.bytes)
    return runs[runs.length >> 1]!
  }
  return { cache: await median("cache"), table: await median("table"), json: await median("json") }
}
