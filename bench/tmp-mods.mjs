import { registerHooks } from "node:module"
const urls = []
let stage = "import"
registerHooks({ load(url, ctx, next) { urls.push(stage + " " + url.replace(/.*node_modules\//, "").replace(/.*\/packages\//, "pkg:")); return next(url, ctx) } })
const { ProjectXClient } = await import("@projectx-effect/sdk/promise")
stage = "create"
const [url, username, apiKey] = process.argv.slice(2)
const client = await ProjectXClient.create({ apiUrl: url, username, apiKey, otlp: false })
stage = "login"
await client.auth.login()
console.log(urls.join("\n"))
await client.dispose()
