import v8 from "node:v8"
const { ProjectXClient } = await import(process.env.B ? "../packages/sdk/dist/facade/promise.js" : "@projectx-effect/sdk/promise")
const mb = (x) => (x / 1048576).toFixed(1)
const show = (label) => { const m = process.memoryUsage(); const sp = Object.fromEntries(v8.getHeapSpaceStatistics().map(s=>[s.space_name, mb(s.physical_space_size)])); console.error(label.padEnd(10), "rss", mb(m.rss), "peak", mb(process.resourceUsage().maxRSS*1024), "used", mb(m.heapUsed), "new", sp.new_space, "old", sp.old_space, "lo", sp.large_object_space, "ext", mb(m.external), "ab", mb(m.arrayBuffers)) }
const [url, username, apiKey] = process.argv.slice(2)
const BARS = 20_000
const unlimited = { limit: 1_000_000, window: "60 seconds" }
const client = await ProjectXClient.create({ apiUrl: url, username, apiKey, rateLimits: { general: unlimited, history: unlimited }, otlp: false })
await client.auth.login()
show("login")
const contract = await client.instruments.resolve("MNQ")
show("resolve")
const end = Math.floor((Date.now() - 2 * 86_400_000) / 3_600_000) * 3_600_000
for (let i = 0; i < 3; i++) {
  const last = end - i * 60_000
  const request = { contractId: contract.id, unit: "minute", start: new Date(last - BARS * 60_000), end: new Date(last), limit: BARS }
  const miss = await client.marketData.bars(request)
  show("miss" + i)
  const hit = await client.marketData.bars(request)
  show("hit" + i)
}
await client.dispose()
