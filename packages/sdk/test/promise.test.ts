import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Cancelled, GatewayError, ProjectXClient } from "@projectx-effect/sdk/promise"
import { Simulator } from "@projectx-effect/simulator"

const run = (file: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, ["--conditions=@projectx-effect/source", file], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the process did not exit on its own within 25 s\n${stdout}\n${stderr}`))
    }, 25_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })

describe("the Promise facade", () => {
  it("a plain .ts file lists accounts, fetches bars, gets tagged rejections, and exits on its own", async () => {
    const result = await run(fileURLToPath(new URL("./fixtures/plain-client.ts", import.meta.url)))
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out.accounts.length).toBeGreaterThan(1)
    expect(out.rows).toBeGreaterThan(100)
    expect(out.rejectedTag).toBe("ContractNotFound")
    expect(out.healthy).toBe(true)
    expect(out.cacheMisses).toBe(1)
  })

  it("an aborted signal stops a call; rejections keep their _tag and reason", async () => {
    await using sim = await Simulator.start({ tradingHours: "always" })
    await using client = await ProjectXClient.create({
      apiUrl: sim.url,
      username: sim.credentials.userName,
      apiKey: sim.credentials.apiKey
    })
    await client.accounts.search()
    await sim.setFaults([{ endpoint: "searchAccounts", kind: "latency", latencyMs: 5_000 }])
    const controller = new AbortController()
    const started = Date.now()
    const pending = client.accounts.search(undefined, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    const cancelled = await pending.catch((e: unknown) => e)
    expect(cancelled).toBeInstanceOf(Cancelled)
    expect(cancelled).toMatchObject({ _tag: "Cancelled", why: "aborted" })
    expect(Date.now() - started).toBeLessThan(4_000)
    await sim.clearFaults()

    const error = await client.orders
      .place({ contractId: "CON.F.US.MNQ.Z26", side: "buy", kind: "market", size: 0 } as never)
      .catch((e: unknown) => e)
    expect((error as { _tag: string })._tag).toBe("ValidationError")

    await sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 503 }])
    const failed = await client.accounts.search().catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(GatewayError)
    expect((failed as GatewayError)._tag).toBe("GatewayError")
    expect((failed as GatewayError).reason._tag).toBe("HttpStatus")
  })

  it("a bad option rejects creation with a ConfigurationError naming it", async () => {
    const error = await ProjectXClient.create({ username: "u", apiKey: "0123456789abc", firm: "nope" }).catch((e) => e)
    expect(error._tag).toBe("ConfigurationError")
    expect(error.message).toMatch(/^options.firm is invalid \(nope\)/)
  })
})

describe("the Promise facade with OTLP", () => {
  it("dispose() flushes the last spans promptly, even when nothing was exported yet", async () => {
    const { startOtlpReceiver } = await import("../src/testing/OtlpReceiver.ts")
    const receiver = await startOtlpReceiver()
    await using sim = await Simulator.start({ tradingHours: "always" })
    const client = await ProjectXClient.create({
      apiUrl: sim.url,
      username: sim.credentials.userName,
      apiKey: sim.credentials.apiKey,
      otlp: { url: receiver.url, exportInterval: "1 minute" }
    })
    await client.accounts.search()
    const started = Date.now()
    await client.dispose()
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(receiver.spans().map((s) => s.name)).toContain("ProjectX SearchAccount")
    await receiver.close()
  })
})
