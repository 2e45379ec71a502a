// A plain HTTP client for the simulator (global fetch), so the simulator is tested independently of
// the SDK. Successful replies are decoded with the contract's response Schemas, failures with its
// Envelope: a shape the contract would refuse fails the test.
import { type AnyEndpoint, Endpoints, Envelope } from "@projectx-effect/gateway"
import { Schema } from "effect"
import { Simulator } from "../src/index.ts"

/** A Wednesday afternoon (UTC): the market is open and MNQ's front month is Z25. */
export const wednesday = "2025-11-19T15:30:00Z"
export const front = "CON.F.US.MNQ.Z25"

const chicago = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Chicago",
  weekday: "short",
  hour: "numeric",
  minute: "numeric",
  hourCycle: "h23"
})

/** Weekday (Sun…Sat) and minute of day of an instant in America/Chicago. */
export const chicagoTime = (ms: number): { readonly weekday: string; readonly minute: number } => {
  const parts = Object.fromEntries(chicago.formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
  return { weekday: parts.weekday!, minute: Number(parts.hour) * 60 + Number(parts.minute) }
}

/** CME Globex's weekly pattern, worked out independently of the simulator: Sun 17:00 – Fri 16:00 CT, halt 16–17. */
export const isCmeOpen = (ms: number): boolean => {
  const { weekday, minute } = chicagoTime(ms)
  if (weekday === "Sat") return false
  if (weekday === "Sun") return minute >= 17 * 60
  if (weekday === "Fri") return minute < 16 * 60
  return minute < 16 * 60 || minute >= 17 * 60
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export const request = async (
  url: string,
  endpoint: AnyEndpoint,
  body: unknown,
  options: { readonly token?: string | undefined; readonly method?: string; readonly raw?: string } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  const method = options.method ?? endpoint.method
  const res = await fetch(url + endpoint.path, {
    method,
    headers,
    ...(method === "GET" ? {} : { body: options.raw ?? (body === undefined ? "" : JSON.stringify(body)) })
  })
  const text = await res.text()
  let json: any
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** Checks a 200 reply against the contract: the full response Schema on success, the Envelope otherwise. */
export const conforms = (endpoint: AnyEndpoint, reply: Reply): void => {
  if (reply.status !== 200) throw new Error(`${endpoint.name}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`)
  if (!endpoint.enveloped) return
  const envelope = Schema.decodeUnknownSync(Envelope)(reply.json)
  if (envelope.success) Schema.decodeUnknownSync(endpoint.response as Schema.Codec<unknown, unknown>)(reply.json)
}

/** A client bound to one simulator and one token. */
export const client = (url: string) => {
  let token: string | undefined
  const call = async (endpoint: AnyEndpoint, body?: unknown): Promise<any> => {
    const reply = await request(url, endpoint, body, { token })
    conforms(endpoint, reply)
    return reply.json
  }
  return {
    get token() {
      return token
    },
    set token(t: string | undefined) {
      token = t
    },
    call,
    login: async (credentials: { userName: string; apiKey: string } = Simulator.credentials) => {
      const r = await call(Endpoints.loginKey, credentials)
      if (!r.success) throw new Error(`login failed: ${JSON.stringify(r)}`)
      token = r.token
      return r.token as string
    }
  }
}

export type Client = ReturnType<typeof client>

export const startSim = (options: Simulator.Options = {}) =>
  Simulator.start({
    seed: 42,
    clock: { mode: "fixed", start: wednesday },
    rateLimit: { enabled: false },
    ...options
  })
