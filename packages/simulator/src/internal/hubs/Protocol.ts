// The SignalR JSON hub protocol, version 1 (dotnet/aspnetcore src/SignalR/docs/specs/HubProtocol.md):
// frames are JSON texts ended by the record separator 0x1E. Only the message types the Gateway uses are
// modelled (invocation, completion, ping, close); streaming types are answered as protocol errors.

export const RS = "\u001e"

export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7
} as const

/** A parsed client message; anything the hub does not act on is `Other`. */
export type ClientMessage =
  | {
      readonly _tag: "Invocation"
      readonly target: string
      readonly arguments: ReadonlyArray<unknown>
      readonly invocationId: string | undefined
    }
  | { readonly _tag: "Ping" }
  | { readonly _tag: "Close" }
  | { readonly _tag: "Other"; readonly type: unknown }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Splits a WebSocket text message into records (a message may carry several; a trailing RS is required). */
export const records = (text: string): { readonly complete: Array<string>; readonly rest: string } => {
  const parts = text.split(RS)
  const rest = parts.pop() ?? ""
  return { complete: parts, rest }
}

/** The handshake request: `{"protocol":"json","version":1}`. Anything else gets an error text. */
export const handshake = (record: string): { readonly ok: true } | { readonly ok: false; readonly error: string } => {
  let parsed: unknown
  try {
    parsed = JSON.parse(record)
  } catch {
    return { ok: false, error: "Handshake request is not JSON." }
  }
  const p = parsed as { protocol?: unknown; version?: unknown }
  if (typeof p !== "object" || p === null || typeof p.protocol !== "string") {
    return { ok: false, error: "Handshake request is missing the protocol." }
  }
  if (p.protocol !== "json") {
    return { ok: false, error: `The protocol '${p.protocol}' is not supported.` }
  }
  if (p.version !== 1)
    return { ok: false, error: `The server does not support version ${String(p.version)} of the 'json' protocol.` }
  return { ok: true }
}

export const parseMessage = (record: string): ClientMessage => {
  let parsed: unknown
  try {
    parsed = JSON.parse(record)
  } catch {
    return { _tag: "Invalid", reason: "Message is not JSON." }
  }
  if (typeof parsed !== "object" || parsed === null) return { _tag: "Invalid", reason: "Message is not an object." }
  const m = parsed as { type?: unknown; target?: unknown; arguments?: unknown; invocationId?: unknown }
  switch (m.type) {
    case MessageType.Invocation:
      if (typeof m.target !== "string") return { _tag: "Invalid", reason: "Invocation without a target." }
      return {
        _tag: "Invocation",
        target: m.target,
        arguments: Array.isArray(m.arguments) ? m.arguments : [],
        invocationId: typeof m.invocationId === "string" ? m.invocationId : undefined
      }
    case MessageType.Ping:
      return { _tag: "Ping" }
    case MessageType.Close:
      return { _tag: "Close" }
    default:
      return { _tag: "Other", type: m.type }
  }
}

export const handshakeReply = (error?: string): string => (error === undefined ? "{}" : JSON.stringify({ error })) + RS

export const ping = `{"type":6}${RS}`

/** An invocation frame; `argumentsJson` is the already-encoded arguments array (shared across connections). */
export const invocationFrame = (target: string, argumentsJson: string): string =>
  `{"type":1,"target":${JSON.stringify(target)},"arguments":${argumentsJson}}${RS}`

export const completion = (invocationId: string, error?: string): string =>
  JSON.stringify(
    error === undefined
      ? { type: MessageType.Completion, invocationId, result: null }
      : { type: 3, invocationId, error }
  ) + RS

export const close = (error?: string, allowReconnect?: boolean): string =>
  JSON.stringify({
    type: MessageType.Close,
    ...(error === undefined ? {} : { error }),
    ...(allowReconnect === true ? { allowReconnect: true } : {})
  }) + RS
