// The `projectx` bin as a subprocess, for the few CLI tests that need a real process: a clean environment
// (no ProjectX or OpenTelemetry setting of the parent leaks in) and at most two children at once.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The parent's environment without any ProjectX or OpenTelemetry setting, so only `env` counts. */
export const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(PROJECT_X_|PROJECTX_|OTEL_)/.test(k) || k === "NODE_OPTIONS") continue
    env[k] = v
  }
  return { ...env, NO_COLOR: "1" }
}

// A subprocess of the bin: each is a Node with the SDK loaded, so at most two at once on 2 cores.
const MAX_CHILDREN = 2
let running = 0
const waiting: Array<() => void> = []
const slot = async (): Promise<() => void> => {
  if (running >= MAX_CHILDREN) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  return () => {
    running--
    waiting.shift()?.()
  }
}

export const spawnCli = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd: string
): Promise<Result> => {
  const release = await slot()
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--conditions=@projectx-effect/source", bin, ...args], {
        cwd,
        env: { ...cleanEnv(), ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
  } finally {
    release()
  }
}
