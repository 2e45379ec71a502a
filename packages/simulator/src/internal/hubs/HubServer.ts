// The two Gateway hubs on the simulator's HTTP server: negotiate (v1, WebSockets only, no stateful
// reconnect), the WebSocket upgrade with the token from `access_token` or `Authorization: Bearer`,
// keep-alive pings, token expiry, and the admin faults (drops, closes, frozen data, logout pushes).
import { randomBytes } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import type { Session } from "../Sessions.ts"
import type { SimState } from "../State.ts"
import { type HubCounters, HubConnection, type HubName } from "./Connection.ts"
import { MarketHub } from "./MarketHub.ts"
import { UserHub } from "./UserHub.ts"

export interface HubSettings {
  /** Idle time after which the server pings a connection (SignalR's default: 15 s). */
  readonly keepAliveMs: number
  /** Market points per contract per market second; each is one quote (thousands for load tests). */
  readonly ticksPerSecond: number
  /** Book levels per side in depth snapshots and updates (64 or more makes snapshots over 12 KB). */
  readonly depthLevels: number
  /** Whether quotes after the first are sparse deltas (as observed) or always complete. */
  readonly quoteDeltas: boolean
  /** No market data and no user events, while pings continue (a "healthy" frozen feed). */
  readonly frozen: boolean
  /** Close connections (with an error) when their token expires. */
  readonly closeOnTokenExpiry: boolean
  /** Send user events as `{ action, data }` instead of the bare object. */
  readonly wrapUserEvents: boolean
  /** A new login of a user pushes GatewayLogout to that user's open hub connections. */
  readonly singleSession: boolean
}

export const defaultHubSettings: HubSettings = {
  keepAliveMs: 15_000,
  ticksPerSecond: 4,
  depthLevels: 10,
  quoteDeltas: true,
  frozen: false,
  closeOnTokenExpiry: false,
  wrapUserEvents: false,
  singleSession: false
}

export interface HubStats {
  readonly connections: { readonly open: Record<HubName, number>; readonly opened: number; readonly refused: number }
  readonly subscriptions: Record<string, number>
  readonly sent: Record<string, number>
  readonly received: Record<string, number>
}

const hubOfPath = (pathname: string): HubName | undefined =>
  pathname === "/hubs/user" ? "user" : pathname === "/hubs/market" ? "market" : undefined

/** The token a client sent: `access_token` (browsers, skipNegotiation samples) or a Bearer header (Node). */
export const tokenOf = (url: URL, authorization: string | undefined): string | undefined => {
  const query = url.searchParams.get("access_token")
  if (query !== null && query.length > 0) return query
  const match = authorization === undefined ? null : /^Bearer\s+(.+)$/i.exec(authorization)
  return match === null ? undefined : match[1]!.trim()
}

const refuse = (socket: Duplex, status: number, text: string): void => {
  socket.on("error", () => {})
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

export class HubServer {
  settings: HubSettings
  readonly market: MarketHub
  readonly user: UserHub
  private readonly state: SimState
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  private readonly connections = new Set<HubConnection>()
  /** Negotiated connection tokens waiting for their socket. */
  private readonly negotiated = new Map<string, { readonly hub: HubName; readonly id: string }>()
  private readonly counters: HubCounters = { sent: {}, received: {} }
  private opened = 0
  private refused = 0
  private timer: ReturnType<typeof setInterval> | undefined = undefined

  constructor(state: SimState, settings: Partial<HubSettings> = {}) {
    this.state = state
    this.settings = { ...defaultHubSettings, ...settings }
    this.market = new MarketHub(state, () => this.settings)
    this.user = new UserHub(state, () => this.settings)
  }

  update(settings: Partial<HubSettings>): HubSettings {
    this.settings = { ...this.settings, ...settings }
    this.restartTimer()
    return this.settings
  }

  /** `POST <hub>/negotiate?negotiateVersion=1`: 401 without a valid token, else a connection token. */
  negotiate(
    hub: HubName,
    url: URL,
    authorization: string | undefined
  ): { readonly status: number; readonly body: unknown } {
    const verified = this.state.sessions.verify(tokenOf(url, authorization))
    if (verified._tag === "Invalid") {
      this.refused++
      return { status: 401, body: undefined }
    }
    const id = randomBytes(16).toString("base64url")
    const connectionToken = randomBytes(16).toString("base64url")
    // Tokens that never see a socket must not pile up.
    if (this.negotiated.size > 10_000) this.negotiated.clear()
    this.negotiated.set(connectionToken, { hub, id })
    const version = Number(url.searchParams.get("negotiateVersion") ?? "0") >= 1 ? 1 : 0
    return {
      status: 200,
      body: {
        ...(version === 1 ? { connectionToken } : {}),
        connectionId: version === 1 ? id : connectionToken,
        negotiateVersion: version,
        availableTransports: [{ transport: "WebSockets", transferFormats: ["Text", "Binary"] }]
      }
    }
  }

  /** Takes an HTTP upgrade for a hub path; returns false for any other path (the HTTP app handles it). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? "/", "http://sim.local")
    const hub = hubOfPath(url.pathname)
    if (hub === undefined) return false
    const verified = this.state.sessions.verify(tokenOf(url, request.headers.authorization))
    if (verified._tag === "Invalid") {
      this.refused++
      refuse(socket, 401, "Unauthorized")
      return true
    }
    let id: string
    const token = url.searchParams.get("id")
    if (token !== null) {
      const entry = this.negotiated.get(token)
      if (entry === undefined || entry.hub !== hub) {
        this.refused++
        refuse(socket, 404, "Not Found")
        return true
      }
      this.negotiated.delete(token)
      id = entry.id
    } else {
      id = randomBytes(16).toString("base64url")
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.open(hub, id, verified.session, ws))
    return true
  }

  private open(hubName: HubName, id: string, session: Session, ws: import("ws").WebSocket): void {
    const hub = hubName === "user" ? this.user : this.market
    const connection = new HubConnection(
      id,
      hubName,
      session,
      ws,
      {
        invoke: (c, target, args) => hub.invoke(c, target, args),
        closed: (c) => {
          this.connections.delete(c)
          hub.closed(c)
          if (this.connections.size === 0) this.stopTimer()
        }
      },
      this.counters,
      this.state.wallNow
    )
    this.opened++
    this.connections.add(connection)
    this.restartTimer()
  }

  private restartTimer(): void {
    this.stopTimer()
    if (this.connections.size === 0) return
    // Also the cadence at which resting orders are evaluated for user-hub clients: keep it short.
    const every = Math.max(20, Math.min(250, this.settings.keepAliveMs / 2))
    this.timer = setInterval(() => this.housekeeping(), every)
    this.timer.unref()
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Keep-alive pings for idle connections, token expiry, and the engine's resting orders. */
  private housekeeping(): void {
    const now = this.state.wallNow()
    const nowSec = now / 1000
    for (const c of [...this.connections]) {
      if (this.settings.closeOnTokenExpiry && nowSec >= c.session.exp) {
        c.close("Unauthorized: the access token expired.", false)
        continue
      }
      if (now - c.lastSentMs >= this.settings.keepAliveMs) c.ping()
    }
    // Resting orders fill as market time passes; user-hub clients must hear it without a REST call.
    if (this.user.hasSubscribers) this.state.engine.now()
  }

  /** Drops every socket (or one hub's) without a close message. */
  drop(hub?: HubName): number {
    return this.each(hub, (c) => c.terminate())
  }

  /** Sends a close message (with `allowReconnect` when asked) to every connection (or one hub's). */
  close(options: {
    hub?: HubName | undefined
    error?: string | undefined
    allowReconnect?: boolean | undefined
  }): number {
    return this.each(options.hub, (c) => c.close(options.error, options.allowReconnect))
  }

  /** Pushes GatewayLogout on both hubs to a user's connections (every user when omitted). */
  logout(userId?: number): number {
    let n = 0
    for (const c of this.connections) {
      if (userId !== undefined && c.session.userId !== userId) continue
      c.send("GatewayLogout", "[]")
      n++
    }
    return n
  }

  /** Called on every successful login: with `singleSession`, the user's other sessions are told to log out. */
  loggedIn(userId: number, jti: string): void {
    if (!this.settings.singleSession) return
    for (const c of this.connections) {
      if (c.session.userId === userId && c.session.jti !== jti) c.send("GatewayLogout", "[]")
    }
  }

  private each(hub: HubName | undefined, f: (c: HubConnection) => void): number {
    const targets = [...this.connections].filter((c) => hub === undefined || c.hubName === hub)
    for (const c of targets) f(c)
    return targets.length
  }

  stats(): HubStats {
    const open: Record<HubName, number> = { user: 0, market: 0 }
    for (const c of this.connections) open[c.hubName]++
    return structuredClone({
      connections: { open, opened: this.opened, refused: this.refused },
      subscriptions: { ...this.market.subscriptionCounts(), ...this.user.subscriptionCounts() },
      sent: this.counters.sent,
      received: this.counters.received
    })
  }

  resetStats(): void {
    for (const key of Object.keys(this.counters.sent)) delete this.counters.sent[key]
    for (const key of Object.keys(this.counters.received)) delete this.counters.received[key]
    this.opened = 0
    this.refused = 0
  }

  /** Closes every connection and stops the timers (simulator shutdown). */
  shutdown(): void {
    for (const c of [...this.connections]) c.terminate()
    this.market.shutdown()
    this.stopTimer()
    this.wss.close()
  }
}
