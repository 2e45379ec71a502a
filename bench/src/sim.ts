// Starts the simulator in a child process (see sim-child.ts) and returns its URL.
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface SimProcess {
  readonly url: string
  readonly pid: number
  readonly stop: () => Promise<void>
}

export const startSimulator = async (): Promise<SimProcess> => {
  const script = fileURLToPath(new URL("./sim-child.ts", import.meta.url))
  const child: ChildProcess = spawn(process.execPath, ["--conditions=@projectx-effect/source", script], {
    stdio: ["pipe", "pipe", "inherit"]
  })
  const info = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error("the simulator did not start within 60 s")), 60_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(JSON.parse(line) as { url: string; pid: number })
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the simulator exited with ${code}`))
    })
  })
  child.removeAllListeners("exit")
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000)
      child.once("exit", () => {
        clearTimeout(kill)
        resolve()
      })
      child.stdin!.end()
      child.kill("SIGTERM")
    })
  return { url: info.url, pid: info.pid, stop }
}
