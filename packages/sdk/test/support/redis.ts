/**
 * A private `redis-server` for the tests that need one: started on a free loopback port with no
 * persistence, stopped afterwards. Without the binary the tests skip with a one-line reason, except
 * under `CI=true`, where a missing server fails the run (`.ci/run` installs it).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { createServer, Socket } from "node:net"

const binary = (): string | undefined => {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined
  } catch {
    return undefined
  }
}

export const redisServerPath = binary()

if (redisServerPath === undefined && process.env["CI"] === "true") {
  throw new Error("redis-server is required under CI=true (apt-get install -y redis-server)")
}

/** Why the Redis tests are skipped, or undefined when they run. */
export const skipReason =
  redisServerPath === undefined
    ? "redis-server not installed (apt-get install -y redis-server): Redis tests skipped"
    : undefined

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket()
    socket.setTimeout(500)
    socket.once("connect", () => {
      socket.write("PING\r\n")
    })
    socket.once("data", (data) => {
      socket.destroy()
      resolve(data.toString().startsWith("+PONG"))
    })
    socket.once("error", () => resolve(false))
    socket.once("timeout", () => {
      socket.destroy()
      resolve(false)
    })
    socket.connect(port, "127.0.0.1")
  })

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (for outage tests); `start` brings it back on the same port, empty. */
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
}

/** Starts a redis-server; call `stop` when done. */
export const startRedis = async (): Promise<RedisServer> => {
  if (redisServerPath === undefined) throw new Error(skipReason)
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      redisServerPath,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
      { stdio: "ignore" }
    )
    for (let i = 0; i < 200; i++) {
      if (await answers(port)) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`redis-server did not answer on port ${port}`)
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve())
      running.kill("SIGKILL")
    })
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, stop, start }
}
