// The SignalR wire itself, with a bare `ws` client: negotiate, both token carriers, the handshake,
// completions, pings, frozen data and a closed market.
import { once } from "node:events"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import WebSocket from "ws"
import type { Simulator } from "../src/index.ts"
import { type Client, client, front, startSim, wednesday } from "./helpers.ts"
import { eventually } from "./hubs.ts"

const RS = "\u001e"

let sim: Simulator.Handle
let api: Client

beforeAll(async () => {
  sim = await startSim({ clock: { mode: "live", start: wednesday }, hubs: { keepAliveMs: 100, ticksPerSecond: 20 } })
  api = client(sim.url)
  await api.login()
})
afterAll(() => sim.stop())

interface Raw {
  readonly ws: WebSocket
  readonly frames: Array<any>
  readonly send: (message: unknown) => void
  readonly count: (predicate: (frame: any) => boolean) => number
}

/** Opens a hub socket (without the handshake) and records every frame. */
const socket = async (path: string, headers: Record<string, string> = {}): Promise<Raw> => {
  const ws = new WebSocket(sim.url.replace(/^http/, "ws") + path, { headers })
  const frames: Array<any> = []
  ws.on("message", (data) => {
    for (const record of data.toString().split(RS)) if (record.length > 0) frames.push(JSON.parse(record))
  })
  await once(ws, "open")
  return {
    ws,
    frames,
    send: (message) => ws.send(typeof message === "string" ? message : JSON.stringify(message) + RS),
    count: (predicate) => frames.filter(predicate).length
  }
}

const handshaken = async (path: string, headers: Record<string, string> = {}): Promise<Raw> => {
  const raw = await socket(path, headers)
  raw.send({ protocol: "json", version: 1 })
  await eventually("the handshake reply", () => raw.frames[0])
  expect(raw.frames[0]).toEqual({})
  return raw
}

/** The HTTP status a refused upgrade answers with. */
const refusedWith = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(sim.url.replace(/^http/, "ws") + path)
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on("open", () => reject(new Error("the upgrade was accepted")))
    ws.on("error", () => {})
  })

const pings = (raw: Raw) => raw.count((f) => f.type === 6)

describe("hub protocol", () => {
  it("negotiates v1 with WebSockets only, and accepts the token in the query of the negotiated socket", async () => {
    const res = await fetch(`${sim.url}/hubs/market/negotiate?negotiateVersion=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.token}` }
    })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({
      negotiateVersion: 1,
      availableTransports: [{ transport: "WebSockets", transferFormats: ["Text", "Binary"] }]
    })
    expect(typeof body.connectionToken).toBe("string")
    expect(typeof body.connectionId).toBe("string")
    expect(body.useStatefulReconnect).toBeUndefined()
    const unauthorized = await fetch(`${sim.url}/hubs/market/negotiate?negotiateVersion=1`, { method: "POST" })
    expect(unauthorized.status).toBe(401)

    const path = `/hubs/market?id=${body.connectionToken}&access_token=${api.token}`
    const raw = await handshaken(path)
    raw.send({ type: 1, target: "SubscribeContractQuotes", arguments: [front], invocationId: "7" })
    await eventually("the completion", () => raw.frames.find((f) => f.type === 3))
    expect(raw.frames.find((f) => f.type === 3)).toEqual({ type: 3, invocationId: "7", result: null })
    raw.ws.close()
    // A connection token serves one socket; an unknown one is 404, as is a user token on the wrong hub path.
    expect(await refusedWith(path)).toBe(404)
    expect(await refusedWith(`/hubs/user?access_token=expired.or.forged`)).toBe(401)
  })

  it("answers a handshake for another protocol with an error, and invocations without an id with nothing", async () => {
    const bad = await socket(`/hubs/user?access_token=${api.token}`)
    const closed = once(bad.ws, "close")
    bad.send({ protocol: "messagepack", version: 1 })
    await eventually("the handshake error", () => bad.frames[0])
    expect(bad.frames[0].error).toMatch(/messagepack/)
    await closed

    const raw = await handshaken("/hubs/user", { authorization: `Bearer ${api.token}` })
    raw.send({ type: 1, target: "SubscribeOrders", arguments: [1001] })
    raw.send({ type: 6 })
    raw.send({ type: 1, target: "SubscribeOrders", arguments: ["1001"], invocationId: "a" })
    const completion = await eventually("the completion", () => raw.frames.find((f) => f.type === 3))
    // Only the invocation with an id was answered, with a binding error for the string account id.
    expect(raw.count((f) => f.type === 3)).toBe(1)
    expect(completion.invocationId).toBe("a")
    expect(completion.error).toMatch(/Error binding arguments/)
    // Idle connections are pinged on the keep-alive interval.
    await eventually("two pings", () => (pings(raw) >= 2 ? true : undefined))
    raw.ws.close()
  })

  it("freezes data while pings continue, then resumes", async () => {
    const raw = await handshaken(`/hubs/market?access_token=${api.token}`)
    const quotes = () => raw.count((f) => f.type === 1 && f.target === "GatewayQuote")
    raw.send({ type: 1, target: "SubscribeContractQuotes", arguments: [front], invocationId: "1" })
    await eventually("quotes", () => (quotes() >= 5 ? true : undefined))
    try {
      await sim.setHubs({ frozen: true })
      // A ping means the server has been idle for a keep-alive interval: data has stopped.
      const before = pings(raw)
      await eventually("a ping", () => (pings(raw) > before ? true : undefined))
      const frozenAt = quotes()
      await eventually("more pings", () => (pings(raw) > before + 3 ? true : undefined))
      expect(quotes()).toBe(frozenAt)
    } finally {
      await sim.setHubs({ frozen: false })
    }
    const resumedFrom = quotes()
    await eventually("quotes again", () => (quotes() > resumedFrom + 5 ? true : undefined))
    raw.ws.close()
  })

  it("stays silent while the market is closed", async () => {
    await sim.setClock({ now: "2025-11-22T12:00:00Z" }) // a Saturday
    try {
      const raw = await handshaken(`/hubs/market?access_token=${api.token}`)
      for (const target of ["SubscribeContractQuotes", "SubscribeContractTrades", "SubscribeContractMarketDepth"]) {
        raw.send({ type: 1, target, arguments: [front], invocationId: target })
      }
      await eventually("three pings", () => (pings(raw) >= 3 ? true : undefined))
      expect(raw.count((f) => f.type === 1)).toBe(0)
      raw.ws.close()
    } finally {
      await sim.setClock({ now: wednesday })
    }
  })
})
