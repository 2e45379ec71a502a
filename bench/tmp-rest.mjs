import v8 from "node:v8"
const mb = (x) => (x / 1048576).toFixed(1)
const show = (label) => { const m = process.memoryUsage(); const ns = v8.getHeapSpaceStatistics().find(s=>s.space_name==="new_space"); console.error(label, "rss", mb(m.rss), "heapUsed", mb(m.heapUsed), "heapTotal", mb(m.heapTotal), "new", mb(ns.physical_space_size)) }
const which = process.env.WHICH ?? "rest"
const [url, username, apiKey] = process.argv.slice(2)
const { ProjectXRest, ProjectX, Auth } = await import("@projectx-effect/sdk" + (which === "rest" ? "/rest" : ""))
const Effect = await import("effect/Effect")
const ManagedRuntime = await import("effect/ManagedRuntime")
show("import")
const L = which === "rest" ? ProjectXRest : ProjectX
const rt = ManagedRuntime.make(L.layer({ apiUrl: url, username, apiKey }))
await rt.runPromise(Effect.flatMap(Auth.Auth, (a) => a.login))
show("login")
await rt.dispose()
