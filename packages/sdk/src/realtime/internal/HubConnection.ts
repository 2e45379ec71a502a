/**
 * One SignalR hub connection on the official `@microsoft/signalr` client, supervised by one fiber: started
 * on the first subscription, a fresh token from `Auth` on every (re)connect, reconnects that never give up
 * (a custom retry policy, plus a restart after `onclose` and after a failed first start), and subscriptions
 * kept as intent and replayed one at a time after each reconnect (concurrent subscribes raced in project-x-py #126).
 */
import {
  HttpClient,
  HttpError,
  type HttpRequest,
  HttpResponse,
  type HubConnection as SignalRConnection,
  HubConnectionBuilder,
  HubConnectionState,
  HttpTransportType,
  type IHttpConnectionOptions,
  type ILogger,
  LogLevel
} from "@microsoft/signalr"
import { Clock, Effect, Queue, Random, Redacted, type Scope, Semaphore } from "effect"
import WebSocket from "ws"
import type { Auth } from "../../client/Auth.ts"
import type { ChannelHealth, ConnectionState, HubName } from "../Events.ts"
import { backoffMs, type RealtimeSettings } from "../Options.ts"
import type { Tracked } from "./Watchdog.ts"

/** A subscription as intent: what to invoke now and after every reconnect. */
export interface Intent {
  readonly key: string
  readonly subscribe: string
  readonly unsubscribe: string
  readonly args: ReadonlyArray<unknown>
  /** The server refused it while connected (an unknown contract, an account that is not ours). */
  readonly refused: (reason: string) => void
}

/** Plain counters, bumped on the hot path and read by Health and the metrics flush. */
export interface HubStats {
  connects: number
  reconnects: number
  failedStarts: number
  logouts: number
  stale: number
  readonly messages: Record<string, number>
  readonly drops: Record<string, number>
}

/** One hub's health report from its counters and its subscriptions' watchdog state (both hubs share it). */
export const channelHealth = (
  hub: HubName,
  url: string,
  state: ConnectionState,
  stats: HubStats,
  staleAfterMs: number,
  subscriptions: Iterable<{ readonly key: string; readonly tracked: Tracked; readonly stale: boolean }>,
  now: number
): ChannelHealth => ({
  hub,
  url,
  state,
  connects: stats.connects,
  reconnects: stats.reconnects,
  failedStarts: stats.failedStarts,
  logouts: stats.logouts,
  staleEvents: stats.stale,
  staleAfterMs,
  messages: { ...stats.messages },
  drops: { ...stats.drops },
  subscriptions: Array.from(subscriptions, (s) => ({
    key: s.key,
    lastMessageAgeMs: s.tracked.lastMessageAt === undefined ? undefined : now - s.tracked.lastMessageAt,
    stale: s.stale
  }))
})

export type Lifecycle =
  | { readonly _tag: "Connected"; readonly reconnect: boolean }
  | { readonly _tag: "Disconnected" }
  | { readonly _tag: "Logout"; readonly streak: number }

export interface Hub {
  readonly name: HubName
  readonly state: () => ConnectionState
  readonly stats: HubStats
  /** Registers an event handler (before the first subscription; handlers survive reconnects). */
  readonly on: (target: string, handler: (...args: Array<any>) => void) => void
  readonly onLifecycle: (listener: (event: Lifecycle) => void) => void
  /** Holds a subscription for the caller's scope (reference-counted per key). */
  readonly acquire: (intent: Intent) => Effect.Effect<void, never, Scope.Scope>
  /** Invokes Unsubscribe then Subscribe again for one key (the watchdog's first step). */
  readonly resubscribe: (key: string) => Effect.Effect<void>
  /** Drops the socket and reconnects (the watchdog's second step). */
  readonly reconnect: (reason: string) => Effect.Effect<void>
}

type Control =
  | { readonly _tag: "Reconnecting" }
  | { readonly _tag: "Reconnected" }
  | { readonly _tag: "Closed"; readonly error: string | undefined }
  | { readonly _tag: "Logout" }
  | { readonly _tag: "Restart"; readonly reason: string }

/**
 * The client's default HTTP client loads fetch-cookie through a dynamic require, which breaks under ESM
 * loaders; negotiate is one POST, so it goes through the platform's fetch.
 */
class FetchHttpClient extends HttpClient {
  override async send(request: HttpRequest): Promise<HttpResponse> {
    const init: RequestInit = { method: request.method ?? "GET", headers: request.headers ?? {} }
    if (typeof request.content === "string" && request.content !== "") init.body = request.content
    if (request.abortSignal !== undefined) init.signal = request.abortSignal as AbortSignal
    const response = await fetch(request.url ?? "", init)
    const text = await response.text()
    if (!response.ok) throw new HttpError(response.statusText || `HTTP ${response.status}`, response.status)
    return new HttpResponse(response.status, response.statusText, text)
  }
}

export interface HubConfig {
  readonly name: HubName
  readonly url: string
  readonly settings: RealtimeSettings
  readonly auth: Auth["Service"]
}

/** Builds the hub in the current scope; nothing connects until the first `acquire`. */
export const makeHub = Effect.fnUntraced(function* (config: HubConfig) {
  const { name, settings, auth } = config
  const scope = yield* Effect.scope
  const context = yield* Effect.context<never>()
  const run = Effect.runPromiseWith(context)
  const fork = Effect.runForkWith(context)
  const clock = yield* Clock.Clock
  const control = yield* Queue.unbounded<Control>()
  const lock = yield* Semaphore.make(1)

  let state: ConnectionState = "idle"
  let closing = false
  let lastToken: Redacted.Redacted<string> | undefined
  let logoutStreak = 0
  let lastLogoutAt = 0
  const intents = new Map<string, { intent: Intent; holders: number }>()
  /** Keys subscribed on the current socket (cleared whenever it goes away). */
  const active = new Set<string>()
  const listeners: Array<(event: Lifecycle) => void> = []
  const stats: HubStats = { connects: 0, reconnects: 0, failedStarts: 0, logouts: 0, stale: 0, messages: {}, drops: {} }
  const emit = (event: Lifecycle) => {
    for (const listener of listeners) listener(event)
  }

  const logger: ILogger = {
    log: (level, message) => {
      if (level >= LogLevel.Warning && !closing) {
        fork(Effect.logDebug(`ProjectX ${name} hub: ${message}`))
      }
    }
  }

  const connectionOptions: IHttpConnectionOptions & { readonly WebSocket: unknown } = {
    transport: HttpTransportType.WebSockets,
    skipNegotiation: settings.skipNegotiation,
    // Called on every connect and reconnect: a fresh (or refreshed) token each time.
    accessTokenFactory: () =>
      run(
        Effect.map(auth.token, (token) => {
          lastToken = token
          return Redacted.value(token)
        })
      ),
    httpClient: new FetchHttpClient(),
    // The client would `require("ws")` itself, which an ESM loader may not allow; it is ws either way.
    WebSocket,
    logger
  }
  const connection: SignalRConnection = new HubConnectionBuilder()
    .withUrl(config.url, connectionOptions)
    .withAutomaticReconnect({
      // Never null: the client's default gives up after four tries.
      nextRetryDelayInMilliseconds: (context) =>
        backoffMs(context.previousRetryCount, settings.reconnectBaseMs, settings.reconnectCapMs, Math.random())
    })
    .build()
  connection.serverTimeoutInMilliseconds = settings.serverTimeoutMs
  connection.keepAliveIntervalInMilliseconds = settings.keepAliveMs

  connection.onreconnecting(() => {
    Queue.offerUnsafe(control, { _tag: "Reconnecting" })
  })
  connection.onreconnected(() => {
    Queue.offerUnsafe(control, { _tag: "Reconnected" })
  })
  connection.onclose((error) => {
    if (!closing) Queue.offerUnsafe(control, { _tag: "Closed", error: error?.message })
  })
  // Event names are matched case-insensitively: one registration only (two would fire twice).
  connection.on("GatewayLogout", () => {
    Queue.offerUnsafe(control, { _tag: "Logout" })
  })

  const connected = () => connection.state === HubConnectionState.Connected

  const invoke = (method: string, args: ReadonlyArray<unknown>) =>
    Effect.tryPromise({ try: () => connection.invoke(method, ...args), catch: (e) => e as Error })

  /** Subscribes `key` on the current socket if it is not yet; a refusal while connected is the server's answer. */
  const subscribeNow = (key: string) =>
    Effect.gen(function* () {
      const held = intents.get(key)
      if (held === undefined || active.has(key) || !connected()) return
      const result = yield* Effect.result(invoke(held.intent.subscribe, held.intent.args))
      if (result._tag === "Success") {
        active.add(key)
        return
      }
      if (connected()) {
        intents.delete(key)
        held.intent.refused(result.failure.message.replace(/^.*HubException: /, ""))
      }
    }).pipe(Effect.withSpan("Realtime.subscribe", { attributes: { hub: name, subscription: key } }))

  const replay = lock.withPermits(1)(
    Effect.suspend(() => Effect.forEach([...intents.keys()], subscribeNow, { discard: true }))
  )

  const start = Effect.gen(function* () {
    const result = yield* Effect.result(Effect.tryPromise(() => connection.start()))
    if (result._tag === "Failure") {
      stats.failedStarts++
      const message = String((result.failure as { cause?: unknown }).cause ?? result.failure)
      // A refused token (expired, revoked, logged out elsewhere) is replaced before the next attempt.
      if (/401|unauthori[sz]ed/i.test(message) && lastToken !== undefined) yield* auth.invalidate(lastToken)
      yield* Effect.logDebug(`ProjectX ${name} hub: connect failed: ${message}`)
      return false
    }
    return true
  }).pipe(Effect.withSpan("Realtime.connect", { attributes: { hub: name } }))

  const stop = Effect.promise(() => connection.stop().catch(() => undefined))

  const supervise = Effect.gen(function* () {
    let attempt = 0
    let extraDelayMs = 0
    for (;;) {
      state = stats.connects === 0 ? "connecting" : "reconnecting"
      if (!(yield* start)) {
        const random = yield* Random.next
        yield* Effect.sleep(backoffMs(attempt++, settings.reconnectBaseMs, settings.reconnectCapMs, random))
        continue
      }
      const reconnect = stats.connects > 0
      stats.connects++
      if (reconnect) stats.reconnects++
      attempt = 0
      active.clear()
      // Restarts asked for while we were down are moot now; anything else still applies.
      for (const pending of yield* Queue.clear(control)) {
        if (pending._tag !== "Restart") Queue.offerUnsafe(control, pending)
      }
      state = "connected"
      yield* Effect.logDebug(`ProjectX ${name} hub: ${reconnect ? "reconnected" : "connected"}`)
      yield* replay
      emit({ _tag: "Connected", reconnect })
      // Serve control events until the socket is gone for good.
      let closed = false
      while (!closed) {
        const event = yield* Queue.take(control)
        switch (event._tag) {
          case "Reconnecting":
            state = "reconnecting"
            active.clear()
            emit({ _tag: "Disconnected" })
            break
          case "Reconnected":
            stats.connects++
            stats.reconnects++
            state = "connected"
            active.clear()
            yield* replay
            emit({ _tag: "Connected", reconnect: true })
            break
          case "Closed":
            yield* Effect.logInfo(`ProjectX ${name} hub: closed${event.error ? ` (${event.error})` : ""}; reconnecting`)
            closed = true
            break
          case "Logout": {
            const now = clock.currentTimeMillisUnsafe()
            // A quiet spell resets the streak; repeated logouts mean another session is fighting for this one.
            logoutStreak = now - lastLogoutAt > settings.logoutCapMs ? 1 : logoutStreak + 1
            lastLogoutAt = now
            stats.logouts++
            yield* Effect.logWarning(`ProjectX ${name} hub: GatewayLogout (session taken elsewhere); logging in again`)
            emit({ _tag: "Logout", streak: logoutStreak })
            if (lastToken !== undefined) yield* auth.invalidate(lastToken)
            const random = yield* Random.next
            extraDelayMs =
              logoutStreak <= 1 ? 0 : backoffMs(logoutStreak - 2, settings.logoutBaseMs, settings.logoutCapMs, random)
            yield* stop
            break
          }
          case "Restart":
            yield* Effect.logInfo(`ProjectX ${name} hub: restarting (${event.reason})`)
            yield* stop
            break
        }
      }
      state = "reconnecting"
      active.clear()
      emit({ _tag: "Disconnected" })
      const random = yield* Random.next
      const delay = Math.max(
        extraDelayMs,
        backoffMs(attempt++, settings.reconnectBaseMs, settings.reconnectCapMs, random)
      )
      extraDelayMs = 0
      yield* Effect.sleep(delay)
    }
  })

  let started = false
  const ensureStarted = Effect.suspend(() => {
    if (started || closing) return Effect.void
    started = true
    return Effect.asVoid(Effect.forkIn(supervise, scope))
  })

  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      closing = true
      state = "closed"
      return stop
    })
  )

  const release = (key: string) =>
    lock.withPermits(1)(
      Effect.gen(function* () {
        const held = intents.get(key)
        if (held === undefined) return
        held.holders--
        if (held.holders > 0) return
        intents.delete(key)
        if (active.delete(key) && connected()) {
          yield* Effect.ignore(invoke(held.intent.unsubscribe, held.intent.args))
        }
      })
    )

  const hub: Hub = {
    name,
    state: () => state,
    stats,
    on: (target, handler) => connection.on(target, handler),
    onLifecycle: (listener) => {
      listeners.push(listener)
    },
    acquire: (intent) =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const held = intents.get(intent.key)
          if (held !== undefined) held.holders++
          else intents.set(intent.key, { intent, holders: 1 })
          yield* ensureStarted
          yield* lock.withPermits(1)(subscribeNow(intent.key))
        }),
        () => release(intent.key)
      ),
    resubscribe: (key) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const held = intents.get(key)
          if (held === undefined || !connected()) return
          if (active.delete(key)) yield* Effect.ignore(invoke(held.intent.unsubscribe, held.intent.args))
          yield* subscribeNow(key)
        })
      ),
    reconnect: (reason) =>
      Effect.sync(() => {
        if (started && !closing) Queue.offerUnsafe(control, { _tag: "Restart", reason })
      })
  }
  return hub
})
