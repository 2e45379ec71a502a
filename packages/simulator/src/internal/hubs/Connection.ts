// One SignalR connection on a `ws` socket: the handshake, then invocations dispatched to its hub and
// frames written straight to the socket. Everything a hub pushes goes through `send`, which keeps the
// per-type counters and the idle time the keep-alive pings are based on.
import type { WebSocket } from "ws"
import type { Session } from "../Sessions.ts"
import * as Protocol from "./Protocol.ts"

export type HubName = "user" | "market"

/** What a hub does with a connection's invocations; an error text becomes an error completion. */
export interface Hub {
  readonly invoke: (connection: HubConnection, target: string, args: ReadonlyArray<unknown>) => string | undefined
  readonly closed: (connection: HubConnection) => void
}

/** Counters shared by every connection of a hub server. */
export interface HubCounters {
  readonly sent: Record<string, number>
  readonly received: Record<string, number>
}

const count = (table: Record<string, number>, key: string, n = 1): void => {
  table[key] = (table[key] ?? 0) + n
}

export class HubConnection {
  readonly id: string
  readonly hubName: HubName
  readonly session: Session
  private readonly socket: WebSocket
  private readonly hub: Hub
  private readonly counters: HubCounters
  private readonly wallNow: () => number
  private handshaken = false
  private pending = ""
  private closed = false
  /** Wall time of the last frame written: the keep-alive pings when the connection has been idle. */
  lastSentMs: number

  constructor(
    id: string,
    hubName: HubName,
    session: Session,
    socket: WebSocket,
    hub: Hub,
    counters: HubCounters,
    wallNow: () => number
  ) {
    this.id = id
    this.hubName = hubName
    this.session = session
    this.socket = socket
    this.hub = hub
    this.counters = counters
    this.wallNow = wallNow
    this.lastSentMs = wallNow()
    socket.on("message", (data, isBinary) => this.receive(isBinary ? "" : data.toString()))
    socket.on("close", () => this.onClosed())
    socket.on("error", () => this.onClosed())
  }

  get isOpen(): boolean {
    return !this.closed && this.handshaken
  }

  /** Bytes queued in the socket but not yet written: lets feeds skip a client that cannot keep up. */
  get buffered(): number {
    return this.socket.bufferedAmount
  }

  private write(frame: string, kind: string): void {
    if (this.closed) return
    this.socket.send(frame)
    this.lastSentMs = this.wallNow()
    count(this.counters.sent, kind)
  }

  /** Pushes `target(...args)`; `argsJson` is the encoded argument array, so one encoding serves all subscribers. */
  send(target: string, argsJson: string): void {
    if (this.isOpen) this.write(Protocol.invocationFrame(target, argsJson), target)
  }

  ping(): void {
    if (this.isOpen) this.write(Protocol.ping, "Ping")
  }

  /** A close message, then the socket closes normally: the client reconnects only if `allowReconnect`. */
  close(error?: string, allowReconnect?: boolean): void {
    if (this.closed) return
    if (this.handshaken) this.write(Protocol.close(error, allowReconnect), "Close")
    this.socket.close(1000)
    this.onClosed()
  }

  /** Drops the TCP connection without a close message or close frame (what a network failure looks like). */
  terminate(): void {
    this.socket.terminate()
    this.onClosed()
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.hub.closed(this)
  }

  private receive(text: string): void {
    const { complete, rest } = Protocol.records(this.pending + text)
    this.pending = rest
    for (const record of complete) {
      if (this.closed) return
      if (!this.handshaken) {
        const result = Protocol.handshake(record)
        if (!result.ok) {
          this.socket.send(Protocol.handshakeReply(result.error))
          this.socket.close(1000)
          this.onClosed()
          return
        }
        this.handshaken = true
        this.write(Protocol.handshakeReply(), "Handshake")
        continue
      }
      this.dispatch(Protocol.parseMessage(record))
    }
  }

  private dispatch(message: Protocol.ClientMessage): void {
    switch (message._tag) {
      case "Invocation": {
        count(this.counters.received, message.target)
        const error = this.hub.invoke(this, message.target, message.arguments)
        if (message.invocationId !== undefined) {
          this.write(Protocol.completion(message.invocationId, error), "Completion")
        }
        return
      }
      case "Ping":
        count(this.counters.received, "Ping")
        return
      case "Close":
        count(this.counters.received, "Close")
        this.socket.close(1000)
        this.onClosed()
        return
      case "Other":
        this.close(`Unsupported message type ${String(message.type)}.`)
        return
      case "Invalid":
        this.close(message.reason)
        return
    }
  }
}
