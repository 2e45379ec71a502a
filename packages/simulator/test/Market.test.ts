import type { Bar as GatewayBar } from "@projectx-effect/gateway"
import { Endpoints, RetrieveBarErrorCode, SearchContractByIdErrorCode } from "@projectx-effect/gateway"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, isCmeOpen, request, startSim } from "./helpers.ts"

/** A bar as the Gateway sends it (the contract's Bar Schema, encoded side). */
type Bar = (typeof GatewayBar)["Encoded"]

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  sim = await startSim()
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())

const bars = async (
  body: Partial<{
    contractId: string
    startTime: string
    endTime: string
    unit: number
    unitNumber: number
    limit: number
    includePartialBar: boolean
  }>,
  c: Client = api
) => {
  const r = await c.call(Endpoints.retrieveBars, {
    contractId: front,
    live: false,
    startTime: "2025-11-01T00:00:00Z",
    endTime: "2025-11-19T15:30:00Z",
    unit: 2,
    unitNumber: 1,
    limit: 100,
    includePartialBar: false,
    ...body
  })
  return r as { success: boolean; errorCode: number; bars: Array<Bar> }
}

/** Aggregates finer bars (newest first) into bars of `seconds`, as the Gateway's units must. */
const aggregate = (fine: ReadonlyArray<Bar>, slot: (t: number) => number): Array<Bar> => {
  const out = new Map<number, Bar>()
  for (const b of [...fine].reverse()) {
    const key = slot(Date.parse(b.t))
    const a = out.get(key)
    out.set(
      key,
      a === undefined
        ? { ...b, t: new Date(key).toISOString().slice(0, 19) + "+00:00" }
        : { t: a.t, o: a.o, h: Math.max(a.h, b.h), l: Math.min(a.l, b.l), c: b.c, v: a.v + b.v }
    )
  }
  return [...out.values()].reverse()
}

const every = (ms: number) => (t: number) => Math.floor(t / ms) * ms

describe("contracts", () => {
  it("lists four quarterly months per root with the Gateway's id grammar and one active front month", async () => {
    const r = await api.call(Endpoints.availableContracts, { live: false })
    expect(r.contracts.length).toBe(40)
    for (const c of r.contracts) {
      expect(c.id).toMatch(/^CON\.F\.US\.[A-Z0-9]+\.[HMUZ]\d{2}$/)
      expect(c.symbolId).toBe(c.id.split(".").slice(0, 4).join(".").replace("CON.", ""))
      expect(c.name).toMatch(/^[A-Z0-9]+[HMUZ]\d$/)
    }
    const byRoot = new Map<string, Array<{ activeContract: boolean }>>()
    for (const c of r.contracts as Array<{ symbolId: string; activeContract: boolean }>) {
      byRoot.set(c.symbolId, [...(byRoot.get(c.symbolId) ?? []), c])
    }
    expect(byRoot.size).toBe(10)
    for (const list of byRoot.values()) expect(list.filter((c) => c.activeContract).length).toBe(1)
    const get = (id: string) => r.contracts.find((c: { id: string }) => c.id === id)
    expect(get("CON.F.US.MNQ.Z25")).toMatchObject({
      name: "MNQZ5",
      tickSize: 0.25,
      tickValue: 0.5,
      activeContract: true
    })
    expect(get("CON.F.US.ENQ.Z25")).toMatchObject({ name: "NQZ5", tickSize: 0.25, tickValue: 5 })
    expect(get("CON.F.US.EP.Z25")).toMatchObject({ name: "ESZ5", tickSize: 0.25, tickValue: 12.5 })
    expect(get("CON.F.US.MES.Z25")).toMatchObject({ tickSize: 0.25, tickValue: 1.25 })
    expect(get("CON.F.US.GCE.Z25")).toMatchObject({ name: "GCZ5", tickSize: 0.1, tickValue: 10 })
    expect(get("CON.F.US.CLE.Z25")).toMatchObject({ name: "CLZ5", tickSize: 0.01, tickValue: 10 })
    expect(get("CON.F.US.EU6.Z25")).toMatchObject({ name: "6EZ5", tickSize: 0.00005, tickValue: 6.25 })
    expect(get("CON.F.US.EP.H26")).toMatchObject({ activeContract: false, description: "E-mini S&P 500: March 2026" })
  })

  it("searches loosely for front months only, one per product, closest names first", async () => {
    const mnq = await api.call(Endpoints.searchContracts, { searchText: "MNQ", live: false })
    expect(mnq.contracts).toEqual([expect.objectContaining({ id: front, activeContract: true })])
    const es = await api.call(Endpoints.searchContracts, { searchText: "ES", live: false })
    const names: Array<string> = es.contracts.map((c: { name: string }) => c.name)
    expect(names[0]).toBe("ESZ5")
    expect(names).toContain("MESZ5")
    const all = await api.call(Endpoints.searchContracts, { searchText: "", live: false })
    expect(all.contracts.length).toBe(10)
    expect(all.contracts.every((c: { activeContract: boolean }) => c.activeContract)).toBe(true)
  })

  it("with deferredMonths, lists four months per root, at most 20, neither alphabetical nor front-first", async () => {
    const deferred = await startSim({ deferredMonths: true })
    try {
      const other = client(deferred.url)
      await other.login()
      const all = await other.call(Endpoints.searchContracts, { searchText: "", live: false })
      expect(all.contracts.length).toBe(20)
      const ids: Array<string> = all.contracts.map((c: { id: string }) => c.id)
      expect(ids).not.toEqual([...ids].sort())
      const nq = await other.call(Endpoints.searchContracts, { searchText: "NQ", live: false })
      const nqIds: Array<string> = nq.contracts.map((c: { id: string }) => c.id)
      expect(nqIds.length).toBe(8)
      expect(nqIds).not.toEqual([...nqIds].sort())
      expect(nq.contracts[0].activeContract && nq.contracts[1].activeContract).toBe(false)
    } finally {
      await deferred.stop()
    }
  })

  it("resolves ids, expired ones included, and refuses unknown ones", async () => {
    const active = await api.call(Endpoints.searchContractById, { contractId: front })
    expect(active.contract).toMatchObject({ id: front, activeContract: true })
    const expired = await api.call(Endpoints.searchContractById, { contractId: "CON.F.US.MNQ.U25" })
    expect(expired.contract).toMatchObject({ name: "MNQU5", activeContract: false })
    const unknown = await api.call(Endpoints.searchContractById, { contractId: "CON.F.US.NOPE.Z25" })
    expect(unknown).toMatchObject({ success: false, errorCode: SearchContractByIdErrorCode.ContractNotFound })
  })
})

describe("bars", () => {
  it("come newest first, and limit keeps the latest", async () => {
    const ten = await bars({ limit: 10 })
    expect(ten.bars.length).toBe(10)
    const times = ten.bars.map((b) => Date.parse(b.t))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    expect(ten.bars[0]!.t).toBe("2025-11-19T15:29:00+00:00")
    const three = await bars({ limit: 3 })
    expect(three.bars).toEqual(ten.bars.slice(0, 3))
  })

  it("include the still-forming bar only when asked", async () => {
    const partial = await bars({ unit: 3, limit: 2, includePartialBar: true, endTime: "2025-11-19T23:00:00Z" })
    expect(partial.bars[0]!.t).toBe("2025-11-19T15:00:00+00:00")
    const complete = await bars({ unit: 3, limit: 2, includePartialBar: false, endTime: "2025-11-19T23:00:00Z" })
    expect(complete.bars[0]!.t).toBe("2025-11-19T14:00:00+00:00")
    // The partial hour aggregates exactly the minutes up to now.
    const minutes = await bars({ unit: 2, limit: 31, includePartialBar: true, startTime: "2025-11-19T15:00:00Z" })
    expect(aggregate(minutes.bars, every(3_600_000))[0]).toEqual(partial.bars[0])
  })

  it("agree across units: a coarser bar aggregates its finer bars exactly", async () => {
    const window = { startTime: "2025-11-17T00:00:00Z", endTime: "2025-11-18T23:59:59Z" }
    const seconds = await bars({
      unit: 1,
      limit: 600,
      startTime: "2025-11-18T10:00:00Z",
      endTime: "2025-11-18T10:09:59Z"
    })
    const minutesOfThose = await bars({
      unit: 2,
      limit: 10,
      startTime: "2025-11-18T10:00:00Z",
      endTime: "2025-11-18T10:09:59Z"
    })
    expect(seconds.bars.length).toBe(600)
    expect(aggregate(seconds.bars, every(60_000))).toEqual(minutesOfThose.bars)

    // Monday and Tuesday (UTC) in CST: 23 open hours each, the daily halt is 22:00–23:00 UTC.
    const minutes = await bars({ unit: 2, limit: 2880, ...window })
    expect(minutes.bars.length).toBe(2760)
    const five = await bars({ unit: 2, unitNumber: 5, limit: 1000, ...window })
    expect(aggregate(minutes.bars, every(300_000))).toEqual(five.bars)
    const hours = await bars({ unit: 3, limit: 48, ...window })
    expect(aggregate(minutes.bars, every(3_600_000))).toEqual(hours.bars)
    const fourHours = await bars({ unit: 3, unitNumber: 4, limit: 12, ...window })
    expect(aggregate(hours.bars, every(4 * 3_600_000))).toEqual(fourHours.bars)
    const days = await bars({ unit: 4, limit: 2, ...window })
    expect(aggregate(hours.bars, every(86_400_000))).toEqual(days.bars)

    const monthWindow = { startTime: "2025-10-01T00:00:00Z", endTime: "2025-10-31T23:59:59Z" }
    const octoberDays = await bars({ unit: 4, limit: 31, ...monthWindow })
    const october = await bars({ unit: 6, limit: 1, ...monthWindow })
    expect(aggregate(octoberDays.bars, () => Date.parse("2025-10-01T00:00:00Z"))).toEqual(october.bars)
    const weekDays = await bars({
      unit: 4,
      limit: 7,
      startTime: "2025-11-10T00:00:00Z",
      endTime: "2025-11-16T23:59:59Z"
    })
    const week = await bars({ unit: 5, limit: 1, startTime: "2025-11-10T00:00:00Z", endTime: "2025-11-16T23:59:59Z" })
    expect(week.bars[0]!.t).toBe("2025-11-10T00:00:00+00:00")
    expect(aggregate(weekDays.bars, () => Date.parse("2025-11-10T00:00:00Z"))).toEqual(week.bars)
  })

  it("sit on the tick grid, keep CME hours, and serve 20,000 at once", async () => {
    const many = await bars({ limit: 20_000, startTime: "2025-01-01T00:00:00Z" })
    expect(many.bars.length).toBe(20_000)
    for (const b of many.bars) {
      for (const p of [b.o, b.h, b.l, b.c]) expect(Math.abs(p * 4 - Math.round(p * 4))).toBeLessThan(1e-9)
      expect(b.h).toBeGreaterThanOrEqual(Math.max(b.o, b.c))
      expect(b.l).toBeLessThanOrEqual(Math.min(b.o, b.c))
      expect(isCmeOpen(Date.parse(b.t))).toBe(true)
    }
    const eu = await bars({ contractId: "CON.F.US.EU6.Z25", limit: 50 })
    for (const b of eu.bars) expect(Math.abs(b.c / 0.00005 - Math.round(b.c / 0.00005))).toBeLessThan(1e-6)
    const days = await bars({ unit: 4, limit: 100, startTime: "2025-11-03T00:00:00Z", endTime: "2025-11-16T23:59:59Z" })
    // Ten weekdays, and the two Sundays whose evening session (from 17:00 CT) opens a UTC day.
    expect(days.bars.length).toBe(12)
  })

  it("answer their documented error codes", async () => {
    const code = async (body: Parameters<typeof bars>[0]) => (await bars(body)).errorCode
    expect(await code({ contractId: "CON.F.US.NOPE.Z25" })).toBe(RetrieveBarErrorCode.ContractNotFound)
    expect(await code({ unit: 0 })).toBe(RetrieveBarErrorCode.UnitInvalid)
    expect(await code({ unit: 7 })).toBe(RetrieveBarErrorCode.UnitInvalid)
    expect(await code({ unitNumber: 0 })).toBe(RetrieveBarErrorCode.UnitNumberInvalid)
    expect(await code({ unitNumber: 1_000_000 })).toBe(RetrieveBarErrorCode.UnitNumberInvalid)
    expect(await code({ limit: 0 })).toBe(RetrieveBarErrorCode.LimitInvalid)
    expect(await code({ limit: 20_001 })).toBe(RetrieveBarErrorCode.LimitInvalid)
    const undecodable = await request(
      sim.url,
      Endpoints.retrieveBars,
      { contractId: front, unit: 99 },
      { token: api.token }
    )
    expect(undecodable.status).toBe(400)
  })

  it("are the same on two servers with one seed, and differ with another seed", async () => {
    const other = await startSim()
    const third = await startSim({ seed: 43 })
    try {
      const a = client(other.url)
      const b = client(third.url)
      await a.login()
      await b.login()
      const body = { unit: 1, limit: 500, startTime: "2025-11-19T12:00:00Z" }
      const mine = await bars(body)
      expect((await bars(body, a)).bars).toEqual(mine.bars)
      expect((await bars(body, b)).bars).not.toEqual(mine.bars)
    } finally {
      await other.stop()
      await third.stop()
    }
  })
})
