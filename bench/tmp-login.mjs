import { registerHooks } from "node:module"
import v8 from "node:v8"
const urls = []
registerHooks({ load(url, ctx, next) { urls.push(url); return next(url, ctx) } })
const mb = (x) => (x / 1048576).toFixed(1)
const show = (label) => { const m = process.memoryUsage(); const h = v8.getHeapStatistics(); const cs = v8.getHeapCodeStatistics(); console.error(label, "rss", mb(m.rss), "heapUsed", mb(m.heapUsed), "heapTotal", mb(m.heapTotal), "ext", mb(m.external), "ab", mb(m.arrayBuffers), "code+meta", mb(cs.code_and_metadata_size), "bytecode", mb(cs.bytecode_and_metadata_size), "extscript", mb(cs.external_script_source_size), "modules", urls.length) }
show("start")
const { ProjectXClient } = await import("@projectx-effect/sdk/promise")
show("import")
const [url, username, apiKey] = process.argv.slice(2)
const client = await ProjectXClient.create({ apiUrl: url, username, apiKey, otlp: false })
show("create")
await client.auth.login()
show("login")
if (process.env.GC) { globalThis.gc?.(); show("gc") }
const groups = {}
for (const u of urls) { const m = u.match(/node_modules\/((@[^/]+\/)?[^/]+)/); const k = m ? m[1] : u.startsWith("node:") ? "node:" : u.replace(/.*\/packages\//, "pkg:").replace(/\/dist.*/, ""); groups[k] = (groups[k] ?? 0) + 1 }
console.error(groups)
await client.dispose()
for (const s of v8.getHeapSpaceStatistics()) console.error(s.space_name, mb(s.space_size), "used", mb(s.space_used_size), "phys", mb(s.physical_space_size))
