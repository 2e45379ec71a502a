import { Endpoints, LoginErrorCode } from "@projectx-effect/gateway"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { Seed, type Simulator } from "../src/index.ts"
import { client, request, startSim } from "./helpers.ts"

let sim: Simulator.Handle

beforeAll(async () => {
  sim = await startSim()
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset({ sessions: true }))

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

describe("login", () => {
  it("issues an HS256 JWT whose exp the SDK can parse", async () => {
    const api = client(sim.url)
    const token = await api.login({ userName: "DEMO", apiKey: Seed.demo.apiKey })
    const [header, payload, signature] = token.split(".")
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" })
    expect(signature).toMatch(/^[A-Za-z0-9_-]+$/)
    const c = claims(token)
    expect(c.exp - c.iat).toBe(86_400)
    expect(payload).not.toMatch(/[+/=]/)
  })

  it("answers every documented login code", async () => {
    const key = async (userName: string, apiKey = "whatever") =>
      (await request(sim.url, Endpoints.loginKey, { userName, apiKey })).json
    expect(await key("demo", "wrong")).toEqual({
      token: null,
      success: false,
      errorCode: LoginErrorCode.InvalidCredentials,
      errorMessage: null
    })
    expect((await key("nobody")).errorCode).toBe(LoginErrorCode.UserNotFound)
    expect((await key("nosubscription")).errorCode).toBe(LoginErrorCode.ApiSubscriptionNotFound)
    expect(await key("agreements")).toMatchObject({
      errorCode: LoginErrorCode.AgreementsNotSigned,
      errorMessage: "Please log into the ProjectX platform and complete the required agreements"
    })
    expect((await key("keydisabled")).errorCode).toBe(LoginErrorCode.ApiKeyAuthenticationDisabled)
    expect((await key("unknownerror")).errorCode).toBe(LoginErrorCode.UnknownError)

    const app = async (over: Record<string, string>) =>
      (
        await request(sim.url, Endpoints.loginApp, {
          userName: "demo",
          password: Seed.demo.password,
          deviceId: "device-1",
          ...Seed.app,
          ...over
        })
      ).json
    expect((await app({})).success).toBe(true)
    expect((await app({ password: "x" })).errorCode).toBe(LoginErrorCode.PasswordVerificationFailed)
    expect((await app({ appId: "x" })).errorCode).toBe(LoginErrorCode.AppNotFound)
    expect((await app({ verifyKey: "x" })).errorCode).toBe(LoginErrorCode.AppVerificationFailed)
    expect((await app({ deviceId: " " })).errorCode).toBe(LoginErrorCode.InvalidDevice)
    const stats = await sim.stats()
    expect(stats.logins).toMatchObject({ attempts: 11, succeeded: 1, failed: 10 })
  })

  it("refuses a body without a required field with an ASP.NET ProblemDetails 400", async () => {
    const r = await request(sim.url, Endpoints.loginKey, { userName: "demo" })
    expect(r.status).toBe(400)
    expect(r.headers.get("content-type")).toContain("application/problem+json")
    expect(r.json).toMatchObject({ status: 400, title: "One or more validation errors occurred." })
    expect(r.json.errors.$[0]).toContain("'apiKey'")
    expect(typeof r.json.traceId).toBe("string")
    expect((await request(sim.url, Endpoints.loginKey, undefined, { raw: "{not json" })).status).toBe(400)
    expect((await request(sim.url, Endpoints.loginKey, undefined, { raw: "" })).status).toBe(400)
  })
})

describe("sessions", () => {
  it("validate returns a new token; logout invalidates only the token it was called with", async () => {
    const api = client(sim.url)
    const first = await api.login()
    const v = await api.call(Endpoints.validate)
    expect(v.success).toBe(true)
    expect(v.newToken).not.toBe(first)
    expect(claims(v.newToken).exp).toBeGreaterThanOrEqual(claims(first).exp)
    const second = await api.login()
    expect((await api.call(Endpoints.logout)).success).toBe(true)
    const after = await request(sim.url, Endpoints.searchAccounts, { onlyActiveAccounts: true }, { token: second })
    expect(after.status).toBe(401)
    const other = await request(sim.url, Endpoints.searchAccounts, { onlyActiveAccounts: true }, { token: first })
    expect(other.status).toBe(200)
    expect((await sim.stats()).logouts).toBe(1)
  })

  it("answers 401 with an empty body and a Bearer challenge for missing, malformed, forged, expired and revoked tokens", async () => {
    const body = { onlyActiveAccounts: true }
    const missing = await request(sim.url, Endpoints.searchAccounts, body)
    expect(missing.status).toBe(401)
    expect(missing.text).toBe("")
    expect(missing.headers.get("www-authenticate")).toBe("Bearer")

    const malformed = await request(sim.url, Endpoints.searchAccounts, body, { token: "not-a-jwt" })
    expect(malformed.status).toBe(401)
    expect(malformed.headers.get("www-authenticate")).toContain('error="invalid_token"')

    const api = client(sim.url)
    const token = await api.login()
    const [h, p] = token.split(".")
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims(token), sub: "999" })).toString("base64url")
    const forged = await request(sim.url, Endpoints.searchAccounts, body, {
      token: `${h}.${forgedPayload}.${token.split(".")[2]}`
    })
    expect(forged.status).toBe(401)
    expect(p).toBeDefined()

    await sim.setTokenLifetime(0)
    const expiredToken = await client(sim.url).login()
    const expired = await request(sim.url, Endpoints.searchAccounts, body, { token: expiredToken })
    expect(expired.status).toBe(401)
    expect(expired.headers.get("www-authenticate")).toContain("The token expired at")
    await sim.setTokenLifetime(86_400)

    await sim.revokeSessions()
    expect((await request(sim.url, Endpoints.searchAccounts, body, { token })).status).toBe(401)
    const stats = await sim.stats()
    expect(stats.endpoints.searchAccounts!.statuses["401"]).toBe(5)
  })
})

describe("transport", () => {
  it("answers 405 for the wrong method, 404 for unknown paths, and pong to ping", async () => {
    const get = await fetch(sim.url + Endpoints.availableContracts.path)
    expect(get.status).toBe(405)
    expect(get.headers.get("allow")).toBe("POST")
    expect((await fetch(sim.url + "/api/Nope/nothing", { method: "POST" })).status).toBe(404)
    const ping = await fetch(sim.url + Endpoints.ping.path)
    expect(await ping.text()).toBe("pong")
    const pingJson = await fetch(sim.url + Endpoints.ping.path, { headers: { accept: "application/json" } })
    expect(await pingJson.json()).toBe("pong")
    expect((await fetch(sim.url + Endpoints.ping.path, { method: "POST" })).status).toBe(405)
    const stats = await sim.stats()
    expect(stats.endpoints.ping!.statuses).toEqual({ "200": 2, "405": 1 })
    expect(stats.notFound).toBe(1)
  })

  it("lists the user's accounts, hiding inactive ones on request, never another user's", async () => {
    const api = client(sim.url)
    await api.login()
    const active = await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: true })
    expect(active.accounts.map((a: { id: number }) => a.id)).toEqual([1001, 1002, 1003, 1004, 1005, 1006])
    expect(active.accounts[0]).toEqual({
      id: 1001,
      name: "PRAC-V2-DEMO-1",
      balance: 50_000,
      canTrade: true,
      isVisible: true,
      simulated: true
    })
    const all = await api.call(Endpoints.searchAccounts, { onlyActiveAccounts: false })
    expect(all.accounts.length).toBe(7)
    const alice = client(sim.url)
    await alice.login({ userName: "alice", apiKey: Seed.alice.apiKey })
    const theirs = await alice.call(Endpoints.searchAccounts, { onlyActiveAccounts: false })
    expect(theirs.accounts.map((a: { id: number }) => a.id)).toEqual([2001])
  })
})
