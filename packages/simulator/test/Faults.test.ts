import { Endpoints, OrderStatus, PlaceOrderErrorCode } from "@projectx-effect/gateway"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, request, startSim, wednesday } from "./helpers.ts"

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  sim = await startSim()
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

const accounts = () => request(sim.url, Endpoints.searchAccounts, { onlyActiveAccounts: true }, { token: api.token })
const placeRaw = (customTag: string) =>
  request(
    sim.url,
    Endpoints.placeOrder,
    { accountId: 1001, contractId: front, type: 2, side: 0, size: 1, customTag },
    { token: api.token }
  )
const byTag = async (customTag: string) =>
  (await api.call(Endpoints.searchOrders, { accountId: 1001, startTimestamp: wednesday })).orders.filter(
    (o: { customTag: string | null }) => o.customTag === customTag
  )

describe("fault rules", () => {
  it("answer a status code (with Retry-After) a given number of times", async () => {
    await sim.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 503, retryAfterSeconds: 2, times: 2 }])
    const [a, b, c] = [await accounts(), await accounts(), await accounts()]
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200])
    expect(a.headers.get("retry-after")).toBe("2")
    const stats = await sim.stats()
    expect(stats.endpoints.searchAccounts).toMatchObject({
      requests: 3,
      statuses: { "503": 2, "200": 1 },
      faults: { status: 2 }
    })
  })

  it("add latency, and match endpoints by key, name or path", async () => {
    await sim.setFaults([
      { endpoint: "SearchAccount", kind: "latency", latencyMs: 50 },
      { endpoint: Endpoints.searchAccounts.path, kind: "latency", latencyMs: 10 }
    ])
    expect((await accounts()).status).toBe(200)
    expect((await sim.stats()).endpoints.searchAccounts!.faults).toEqual({ latency: 1 })
    expect((await sim.faults()).rules.map((r) => r.applied)).toEqual([1, 1])
  })

  it("drop the connection without a reply", async () => {
    await sim.setFaults([{ endpoint: "*", kind: "drop", times: 1 }])
    await expect(accounts()).rejects.toThrow()
    expect((await accounts()).status).toBe(200)
    expect((await sim.stats()).endpoints.searchAccounts!.statuses).toEqual({ dropped: 1, "200": 1 })
  })

  it("send a malformed body", async () => {
    await sim.setFaults([{ endpoint: "searchAccounts", kind: "malformed", times: 1 }])
    const r = await accounts()
    expect(r.status).toBe(200)
    expect(() => JSON.parse(r.text)).toThrow()
  })

  it("execute an order, then drop the reply: the order exists and can be found by its customTag", async () => {
    await sim.setFaults([{ endpoint: "placeOrder", kind: "dropAfterExecute", times: 1 }])
    await expect(placeRaw("ambiguous-1")).rejects.toThrow()
    const found = await byTag("ambiguous-1")
    expect(found).toMatchObject([{ status: OrderStatus.Filled, customTag: "ambiguous-1" }])
    // Retrying with the same tag is refused: the SDK must reconcile, not resend.
    expect((await placeRaw("ambiguous-1")).json.errorCode).toBe(PlaceOrderErrorCode.OrderRejected)
  })

  it("answer a business error code without executing", async () => {
    await sim.setFaults([
      { endpoint: "PlaceOrder", kind: "errorCode", errorCode: PlaceOrderErrorCode.OrderPending, times: 1 }
    ])
    const r = await placeRaw("pending-1")
    expect(r.json).toEqual({ success: false, errorCode: PlaceOrderErrorCode.OrderPending, errorMessage: null })
    expect(await byTag("pending-1")).toEqual([])
  })

  it("are deterministic with a seed", async () => {
    const pattern = async (target: Simulator.Handle, token: string) => {
      await target.setFaults([{ endpoint: "searchAccounts", kind: "status", status: 500, probability: 0.5 }], {
        seed: 7
      })
      const out: Array<number> = []
      for (let i = 0; i < 24; i++) {
        out.push((await request(target.url, Endpoints.searchAccounts, { onlyActiveAccounts: true }, { token })).status)
      }
      return out
    }
    const first = await pattern(sim, api.token!)
    expect(first).toContain(500)
    expect(first).toContain(200)
    expect(await pattern(sim, api.token!)).toEqual(first)
    const other = await startSim()
    try {
      const c = client(other.url)
      await c.login()
      expect(await pattern(other, c.token!)).toEqual(first)
    } finally {
      await other.stop()
    }
  })
})
