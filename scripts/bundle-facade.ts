/**
 * Bundles the Promise facade (`@projectx-effect/sdk/promise`) into `packages/sdk/dist/facade/` after `tsc`
 * has built `dist/` (run by `npm run build` and by the SDK's `prepack`).
 *
 * Why: a plain-TypeScript user pays for every module the facade loads. Unbundled, its first client
 * loads ~490 ESM/CJS modules (Effect's alone are ~190), which costs ~0.24 s of import and ~125 MB RSS after
 * login (issue 15; `npm run bench -- --only=startup --dist` measures both). One tree-shaken graph split at the
 * facade's own lazy boundaries (the SDK on the first client, the trading state on `client.state`, Arrow on
 * the first bars, OpenTelemetry only when exporting) loads a handful of files instead.
 *
 * What is inlined: Effect, `@effect/*` and `@projectx-effect/*` (everything that must share one Effect
 * runtime with the facade's code) and their own dependencies. What stays an ordinary import: the SDK's
 * declared dependencies (Arrow, lz4, Redis, SignalR, ws, undici) and OpenTelemetry, so an Arrow table from
 * the facade is `instanceof` the application's own `apache-arrow` Table. The Effect API
 * (`@projectx-effect/sdk`) is not bundled: Effect applications share their `effect` with it.
 */
import { readFileSync } from "node:fs"
import { rm } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const sdk = join(root, "packages", "sdk")
const outdir = join(sdk, "dist", "facade")

const manifest = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as {
  readonly dependencies: Record<string, string>
}
/**
 * Packages imported as they are: the SDK's registry dependencies (not its own workspace packages), and undici,
 * which `@effect/platform-node` loads (a CommonJS package with dynamic requires: never inlined).
 */
const external = new Set([
  ...Object.keys(manifest.dependencies).filter((name) => !name.startsWith("@projectx-effect/")),
  "undici"
])
const packageOf = (specifier: string): string => {
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier)
}
const isExternal = (specifier: string): boolean => {
  const name = packageOf(specifier)
  return external.has(name) || name.startsWith("@opentelemetry/")
}

await rm(outdir, { recursive: true, force: true })
const result = await esbuild.build({
  entryPoints: { promise: join(sdk, "dist", "promise.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  // Class and function names survive minification: error classes keep their names in stack traces and logs.
  keepNames: true,
  sourcemap: "linked",
  legalComments: "eof",
  chunkNames: "chunk-[hash]",
  metafile: true,
  logLevel: "warning",
  plugins: [
    {
      name: "dependencies-stay-external",
      setup(build) {
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith("node:") || isExternal(args.path) ? { path: args.path, external: true } : undefined
        )
      }
    }
  ]
})

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"))
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0)
const imported = new Set(
  outputs.flatMap(([, output]) => output.imports.filter((i) => i.external).map((i) => packageOf(i.path)))
)
console.log(
  `facade bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${outdir}; imports ${[...imported]
    .filter((name) => !name.startsWith("node:"))
    .sort()
    .join(", ")}`
)
