import v8 from "node:v8"
const mb = (x) => (x / 1048576).toFixed(1)
const show = (label) => { const m = process.memoryUsage(); const ns = v8.getHeapSpaceStatistics().find(s=>s.space_name==="new_space"); console.error(label, "rss", mb(m.rss), "heapUsed", mb(m.heapUsed), "heapTotal", mb(m.heapTotal), "new", mb(ns.physical_space_size)) }
const [url, username, apiKey] = process.argv.slice(2)
const what = process.env.WHAT
if (what === "deep") { const { default: Pool } = await import("undici/lib/dispatcher/pool.js"); globalThis.P = Pool } else if (what==="http") { globalThis.P = null } else { const { Pool } = await import("undici"); globalThis.P = Pool }
if (process.env.EFF) { await import("effect/Effect"); await import("effect/Schema"); await import("effect/Stream") }
show("import")
if (globalThis.P) {
const pool = new globalThis.P(url, { connections: 64 })
const r = await pool.request({ method: "POST", path: "/api/Auth/loginKey", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: username, apiKey }) })
const j = await r.body.json()
show("login " + Object.keys(j))
await pool.close()
} else {
const r = await fetch(url + "/api/Auth/loginKey", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: username, apiKey }) })
show("login fetch " + Object.keys(await r.json()))
}
