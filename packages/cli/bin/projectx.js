#!/usr/bin/env node
// The `projectx` bin. An installed package runs its build: the bundled command (dist/app/bin.js, made by
// scripts/bundle.ts; a few files instead of hundreds of modules), else dist/bin.js. In a source checkout with no
// build, `npx projectx` runs src/bin.ts instead, on the Node that npm put first on PATH (the repo's
// Node 24, the `node` devDependency), with the condition that resolves the workspaces to their sources.
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const dist = [new URL("../dist/app/bin.js", import.meta.url), new URL("../dist/bin.js", import.meta.url)].find((url) =>
  existsSync(fileURLToPath(url))
)
if (dist !== undefined) {
  await import(dist.href)
} else {
  const source = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const child = spawn(process.execPath, ["--conditions=@projectx-effect/source", source, ...process.argv.slice(2)], {
    stdio: "inherit"
  })
  // Ctrl-C reaches the child through the terminal's process group; it decides how to stop.
  process.on("SIGINT", () => {})
  child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 130)))
}
