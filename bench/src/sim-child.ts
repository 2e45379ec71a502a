// Runs the gateway simulator in its own process (so the server and the benchmark client do not share
// one event loop) and prints `{"url": ...}` on one line once it listens. It stops when its parent
// closes stdin, sends SIGTERM/SIGINT, or after a hard cap of 30 minutes, whichever comes first.
import { Simulator } from "@projectx-effect/simulator"

const sim = await Simulator.start({ port: 0, tradingHours: "always", rateLimit: { enabled: false } })
process.stdout.write(`${JSON.stringify({ url: sim.url, pid: process.pid })}\n`)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  clearTimeout(cap)
  await sim.stop()
  process.exit(0)
}
const cap = setTimeout(stop, 30 * 60_000)
process.stdin.on("end", stop)
process.stdin.on("close", stop)
process.stdin.resume()
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
