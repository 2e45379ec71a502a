/**
 * `node scripts/bundle.ts [facade] [cli]` (both by default), after `tsc` has built `dist/` (run by
 * `npm run build` and by the packages' `prepack`): one tree-shaken ESM graph per target, split at the code's own
 * lazy boundaries (dynamic imports), so a process loads a handful of files instead of hundreds of modules.
 *
 * - `facade`: the Promise facade (`@projectx-effect/sdk/promise` → `packages/sdk/dist/facade/`). Unbundled,
 *   its first client loaded ~490 modules (Effect's alone ~190): an import of 2.1× `import("effect/Effect")` and
 *   ~125 MB RSS after login (issue 15). The SDK's Effect API (`@projectx-effect/sdk`) is not bundled: Effect
 *   applications share their `effect` with it.
 * - `cli`: the `projectx` command (`packages/cli/dist/app/`, run by `bin/projectx.js`): an application, so
 *   nothing shares its Effect; `projectx accounts` starts ~0.35 s sooner.
 *
 * What is inlined: Effect, `@effect/*` and `@projectx-effect/*`, all that must share one Effect runtime (Effect
 * itself has no dependencies). Everything else stays an ordinary import (Arrow, lz4, Redis, SignalR, ws, undici,
 * parquet-wasm, OpenTelemetry) and must be a dependency of the shipping package (checked here), so an Arrow
 * table from the facade is `instanceof` the application's own `apache-arrow` Table.
 * `npm run bench -- --only=startup --dist` measures the result.
 */
import { readFileSync } from "node:fs"
import { rm } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const packageDir = (name: string) => join(root, "packages", name)

const dependenciesOf = (name: string): ReadonlyArray<string> =>
  Object.keys(
    (JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as { dependencies?: object })
      .dependencies ?? {}
  )

const inlined = (pkg: string) => pkg === "effect" || pkg.startsWith("@effect/") || pkg.startsWith("@projectx-effect/")

const packageOf = (specifier: string): string => {
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier)
}

interface Target {
  readonly entry: string
  readonly outdir: string
  /** The package that ships the bundle: it must declare every package the bundle keeps as an import. */
  readonly pkg: string
}

const targets: Record<string, Target> = {
  facade: {
    entry: join(packageDir("sdk"), "dist", "promise.js"),
    outdir: join(packageDir("sdk"), "dist", "facade"),
    pkg: "sdk"
  },
  cli: { entry: join(packageDir("cli"), "dist", "bin.js"), outdir: join(packageDir("cli"), "dist", "app"), pkg: "cli" }
}

const bundle = async (name: string, target: Target) => {
  await rm(target.outdir, { recursive: true, force: true })
  const result = await esbuild.build({
    entryPoints: { [name === "cli" ? "bin" : "promise"]: target.entry },
    outdir: target.outdir,
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
        name: "only-effect-inlined",
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) =>
            inlined(packageOf(args.path)) ? undefined : { path: args.path, external: true }
          )
        }
      }
    ]
  })
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"))
  const kib = outputs.reduce((sum, [, output]) => sum + output.bytes, 0) / 1024
  const imports = new Set(
    outputs.flatMap(([, output]) => output.imports.filter((i) => i.external).map((i) => packageOf(i.path)))
  )
  const named = [...imports].filter((pkg) => !pkg.startsWith("node:")).sort()
  // Every import the bundle keeps must be a dependency of the package that ships it (a strict installer such
  // as pnpm resolves nothing else); OpenTelemetry beyond the declared API is the optional exporter stack.
  const declared = new Set(dependenciesOf(target.pkg))
  const undeclared = named.filter((pkg) => !declared.has(pkg) && !pkg.startsWith("@opentelemetry/"))
  if (undeclared.length > 0)
    throw new Error(`${name}: the bundle imports ${undeclared.join(", ")}, not dependencies of ${target.pkg}`)
  console.log(
    `${name}: ${outputs.length} files, ${kib.toFixed(0)} KiB in ${target.outdir}; imports ${named.join(", ")}`
  )
}

const requested = process.argv.slice(2)
for (const name of requested.length > 0 ? requested : Object.keys(targets)) {
  const target = targets[name]
  if (target === undefined) throw new Error(`unknown bundle "${name}" (known: ${Object.keys(targets).join(", ")})`)
  await bundle(name, target)
}
