/**
 * `npm run test:pack`: the packages as an outside project gets them. Packs the four tarballs, checks
 * what is inside, installs them (and only their registry dependencies) into a temporary project, compiles
 * a strict program with `skipLibCheck: false`, and runs it against the simulator. Too slow for the
 * vitest suite (a real `npm install`), so `.ci/run` runs it after the tests.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const packages = ["gateway", "simulator", "sdk", "cli"] as const
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const npx = process.platform === "win32" ? "npx.cmd" : "npx"
/** The oldest Node the packages claim (`engines`, as the README says): the examples run on it too. */
const oldestNode = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }
).engines.node.replace(/^>=\s*/, "")
const started = performance.now()

const run = (command: string, args: ReadonlyArray<string>, cwd: string): string => {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  } catch (e) {
    const error = e as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${error.stdout ?? ""}${error.stderr ?? ""}`)
  }
}

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`test:pack: ${what}`)
  console.log(`  ✓ ${what}`)
}

/** The README's examples: the Effect API's and the Promise facade's (packages/sdk/examples, checked verbatim by examples.test.ts). */
const readmeExamples = [
  "effect-app.ts",
  "realtime-effect.ts",
  "plain.ts",
  "realtime-plain.ts",
  "state-plain.ts"
] as const
/**
 * Runs in the outside project: one simulator, then each command (argv: a JSON list of argument lists) as a
 * child process against it, asynchronously so the simulator keeps answering; fails with the command's output
 * when one exits non-zero, else prints each one's last line.
 */
const commandsRunner = `import { spawn } from "node:child_process"
import { Simulator } from "@projectx-effect/simulator"

const sim = await Simulator.start({ tradingHours: "always" })
console.log(\`on Node \${process.version}\`)
try {
  for (const args of JSON.parse(process.argv[2])) {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PROJECTX_API_URL: sim.url, PROJECT_X_USERNAME: sim.credentials.userName, PROJECT_X_API_KEY: sim.credentials.apiKey },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    const code = await new Promise((resolve) => child.on("exit", resolve))
    clearTimeout(timer)
    if (code !== 0) throw new Error(\`\${args.join(" ")} exited \${code}:\\n\${out}\`)
    console.log(\`  \${args.at(-1)}: \${out.trim().split("\\n").at(-1)}\`)
  }
} finally {
  await sim.stop()
}
`

const work = mkdtempSync(join(tmpdir(), "projectx-pack-"))
try {
  // 1. The tarballs, as `npm publish` would make them (prepack builds dist/ and copies the LICENSE).
  const tarballs = join(work, "tarballs")
  mkdirSync(tarballs)
  console.log("packing …")
  for (const pkg of packages)
    run(npm, ["pack", "--silent", "--pack-destination", tarballs], join(root, "packages", pkg))
  const files = readdirSync(tarballs)
  const tarball = (pkg: string) => {
    const file = files.find((f) => f.startsWith(`projectx-effect-${pkg}-`) && f.endsWith(".tgz"))
    if (file === undefined) throw new Error(`no tarball for ${pkg} in ${files.join(", ")}`)
    return join(tarballs, file)
  }
  // What each package must ship besides its build: the bundles that its exports and its bin point at.
  const bundled: Partial<Record<(typeof packages)[number], string>> = {
    sdk: "package/dist/facade/promise.js",
    cli: "package/dist/app/bin.js"
  }
  for (const pkg of packages) {
    const entries = run("tar", ["-tzf", tarball(pkg)], work).split("\n")
    check(entries.includes("package/LICENSE"), `${pkg}: the tarball has the LICENSE`)
    check(entries.includes("package/dist/index.d.ts"), `${pkg}: the tarball has dist/index.d.ts`)
    check(!entries.some((e) => e.includes("/test/") || e.endsWith(".tsbuildinfo")), `${pkg}: no tests or build info`)
    const bundle = bundled[pkg]
    if (bundle !== undefined) check(entries.includes(bundle), `${pkg}: the tarball has the bundle ${bundle}`)
  }

  // 2. An outside project: the tarballs plus what a user adds themselves (effect, Node's types).
  const app = join(work, "app")
  mkdirSync(app)
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify(
      {
        name: "outside-app",
        private: true,
        type: "module",
        dependencies: {
          "@projectx-effect/gateway": `file:${tarball("gateway")}`,
          "@projectx-effect/simulator": `file:${tarball("simulator")}`,
          "@projectx-effect/sdk": `file:${tarball("sdk")}`,
          "@projectx-effect/cli": `file:${tarball("cli")}`,
          "@effect/platform-node": "4.1.0",
          effect: "4.1.0"
        },
        devDependencies: { "@types/node": "24.19.2" }
      },
      null,
      2
    )
  )
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2023",
          // effect's own declarations name DOM types (CryptoKey, Transferable), as in any Effect project.
          lib: ["ES2023", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          types: ["node"],
          noEmit: true
        },
        include: ["main.ts"]
      },
      null,
      2
    )
  )
  // Uses each package's public entry points: the Effect API, the Promise facade, the contract, the simulator.
  writeFileSync(
    join(app, "main.ts"),
    `import { OrderSide, nameOf } from "@projectx-effect/gateway"
import { Bars, MarketData, ProjectX, Telemetry } from "@projectx-effect/sdk"
import { ConfigurationError, ProjectXClient } from "@projectx-effect/sdk/promise"
import { Simulator } from "@projectx-effect/simulator"
import { Cli } from "@projectx-effect/cli"
import { Table } from "apache-arrow"
import { Effect } from "effect"

const sim = await Simulator.start({ tradingHours: "always" })
try {
  const options = { apiUrl: sim.url, username: Simulator.credentials.userName, apiKey: Simulator.credentials.apiKey }
  const program = Effect.gen(function* () {
    const market = yield* MarketData.MarketData
    const bars = yield* market.bars({ symbol: "MNQ", unit: "minute", unitNumber: 5, days: 1 })
    return Bars.toRows(bars).length
  })
  const fromEffect: number = await Effect.runPromise(program.pipe(Effect.provide(ProjectX.layer(options))))
  const prometheus: typeof Telemetry.layerPrometheus = Telemetry.layerPrometheus
  // The facade is a bundle with its own Effect: its errors are its exported classes, its tables the app's Arrow.
  const badUrl = await ProjectXClient.create({ ...options, apiUrl: "not a url" }).then(
    () => "created",
    (e: unknown) => (e instanceof ConfigurationError ? e._tag : String(e))
  )
  const client = await ProjectXClient.create(options)
  try {
    const account = await client.accounts.selected()
    const table = await client.marketData.bars({ symbol: "MNQ", unit: "minute", days: 1 })
    const arrowTable = table instanceof Table && table.numRows > 0
    console.log(JSON.stringify({ fromEffect, account: account.name, side: nameOf(OrderSide, 0), cli: typeof Cli.run, prometheus: typeof prometheus, badUrl, arrowTable }))
  } finally {
    await client.dispose()
  }
} finally {
  await sim.stop()
}
`
  )
  console.log("installing the tarballs into an outside project …")
  run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], app)
  const tsc = join(root, "node_modules", ".bin", "tsc")
  run(tsc, ["-p", "tsconfig.json"], app)
  check(true, "a strict program compiles against the installed packages with skipLibCheck: false")
  const out = JSON.parse(run(process.execPath, ["--experimental-strip-types", "main.ts"], app).trim())
  check(out.fromEffect > 0 && out.side === "Bid" && out.cli === "function", `it runs: ${JSON.stringify(out)}`)
  check(out.badUrl === "ConfigurationError", "the bundled Promise facade rejects with its exported error classes")
  check(out.arrowTable === true, "the bundled Promise facade's bars are the application's apache-arrow Tables")
  // 3. The README's examples, against the installed packages (the bundled facade) and simulator.
  for (const name of readmeExamples) copyFileSync(join(root, "packages", "sdk", "examples", name), join(app, name))
  writeFileSync(join(app, "commands.ts"), commandsRunner)
  const projectx = join(app, "node_modules", ".bin", "projectx")
  const commands = JSON.stringify([...readmeExamples.map((name) => [name]), [projectx, "accounts"]])
  // On this Node, then on the oldest the README promises (22.19: no `await using`, type stripping by default).
  for (const [node, args] of [
    [process.execPath, []],
    [npx, ["-y", `node@${oldestNode}`]]
  ] as const) {
    const output = run(node, [...args, "commands.ts", commands], app).trimEnd()
    console.log(output)
    const version = /^on Node (v[\d.]+)/.exec(output)?.[1]
    check(
      version === (node === npx ? `v${oldestNode}` : process.version),
      `on Node ${version}: the README's examples (${readmeExamples.join(", ")}) and projectx accounts run against the installed packages`
    )
  }
  const version = run(process.execPath, [join(app, "node_modules", ".bin", "projectx"), "--version"], app)
  check(version.includes("0.1.0"), `the projectx bin runs from the installed package: ${version.trim()}`)
  console.log(`test:pack passed in ${((performance.now() - started) / 1000).toFixed(0)} s`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
