// One fresh process's memory, through the Promise facade against the simulator at argv[3]:
//   login  RSS right after `auth.login()` (what a script that only logs in holds)
//   bars   peak RSS (maxRSS) of login + 3 × (miss + hit) of the same 20,000 one-minute bars
// Prints one JSON line: { mode, rss, peak } in bytes. Plain JavaScript, so a run without
// --conditions=@projectx-effect/source measures the built packages (dist) with no type stripping loaded.
import { ProjectXClient } from "./tmp-bundle/promise.js"

const mode = process.argv[2] ?? "login"
// The simulator's credentials come from the parent, so this process never loads the simulator.
const [url, username, apiKey] = process.argv.slice(3)
if (url === undefined || username === undefined || apiKey === undefined) {
  throw new Error("usage: footprint-child.ts login|bars <simulator url> <username> <api key>")
}

const BARS = 20_000
const unlimited = { limit: 1_000_000, window: "60 seconds" }
const client = await ProjectXClient.create({
  apiUrl: url,
  username,
  apiKey,
  rateLimits: { general: unlimited, history: unlimited },
  otlp: false
})
await client.auth.login()
const rss = process.memoryUsage().rss
if (mode === "bars") {
  const contract = await client.instruments.resolve("MNQ")
  const end = Math.floor((Date.now() - 2 * 86_400_000) / 3_600_000) * 3_600_000
  for (let i = 0; i < 3; i++) {
    // Three different ranges (each a miss first), 20,000 bars each.
    const last = end - i * 60_000
    const request = {
      contractId: contract.id,
      unit: "minute",
      start: new Date(last - BARS * 60_000),
      end: new Date(last),
      limit: BARS
    }
    const miss = await client.marketData.bars(request)
    const hit = await client.marketData.bars(request)
    if (miss.numRows !== BARS || hit.numRows !== BARS) throw new Error(`expected ${BARS} bars`)
  }
}
const peak = process.resourceUsage().maxRSS * 1024
await client.dispose()
process.stdout.write(`${JSON.stringify({ mode, rss, peak })}\n`)
