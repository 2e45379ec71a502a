/**
 * One SignalR hub connection on the official `@microsoft/signalr` client, supervised by one fiber: started
 * on the first subscription, a fresh token from `Auth` on every (re)connect, reconnects that never give up
 * (a custom retry policy, plus a restart after `onclose` and after a failed first start), and subscriptions
 * kept as intent and replayed one at a time after each reconnect (concurrent subscribes raced in project-x-py #126).
 * The SignalR client and `ws` load, and the connection object is built, with the first subscription: a
 * process that never streams (most scripts, every CLI one-shot) holds neither (~15 MB of RSS at login).
 */
import type {
  HttpRequest,
  HttpResponse,
  HubConnection as SignalRConnection,
  IHttpConnectionOptions,
  ILogger
} from "@microsoft/signalr"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
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

type SignalR = typeof import("@microsoft/signalr")

interface Client {
  readonly signalr: SignalR
  readonly WebSocket: unknown
  readonly httpClient: () => InstanceType<SignalR["HttpClient"]>
}

/**
 * The client's default HTTP client loads fetch-cookie through a dynamic require, which breaks under ESM
 * loaders; negotiate is one POST, so it goes through the platform's fetch.
 */
const fetchHttpClient = (signalr: SignalR) =>
  class FetchHttpClient extends signalr.HttpClient {
    override async send(request: HttpRequest): Promise<HttpResponse> {
      const init: RequestInit = { method: request.method ?? "GET", headers: request.headers ?? {} }
      if (typeof request.content === "string" && request.content !== "") init.body = request.content
      if (request.abortSignal !== undefined) init.signal = request.abortSignal as AbortSignal
      const response = await fetch(request.url ?? "", init)
      const text = await response.text()
      if (!response.ok) throw new signalr.HttpError(response.statusText || `HTTP ${response.status}`, response.status)
      return new signalr.HttpResponse(response.status, response.statusText, text)
    }
  }

let loading: Promise<Client> | undefined

/** The SignalR client and ws, loaded once per process on the first subscription of any hub. */
const loadClient = (): Promise<Client> =>
  (loading ??= Promise.all([import("@microsoft/signalr"), import("ws")]).then(([signalr, ws]) => {
    const FetchHttpClient = fetchHttpClient(signalr)
    return { signalr, WebSocket: ws.default, httpClient: () => new FetchHttpClient() }
  }))

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

  /** Handlers registered before the connection exists; added to it when it is built. */
  const handlers: Array<readonly [string, (...args: Array<any>) => void]> = []
  let connection: SignalRConnection | undefined
  let connectedState: string | undefined

  /** Builds the connection once (loading the client on first use); every later call returns it. */
  const build = (client: Client): SignalRConnection => {
    if (connection !== undefined) return connection
    const { signalr } = client
    const logger: ILogger = {
      log: (level, message) => {
        if (level >= signalr.LogLevel.Warning && !closing) {
          fork(Effect.logDebug(`ProjectX ${name} hub: ${message}`))
        }
      }
    }
    const connectionOptions: IHttpConnectionOptions & { readonly WebSocket: unknown } = {
      transport: signalr.HttpTransportType.WebSockets,
      skipNegotiation: settings.skipNegotiation,
      // Called on every connect and reconnect: a fresh (or refreshed) token each time.
      accessTokenFactory: () =>
        run(
          Effect.map(auth.token, (token) => {
            lastToken = token
            return Redacted.value(token)
          })
        ),
      httpClient: client.httpClient(),
      // The client would `require("ws")` itself, which an ESM loader may not allow; it is ws either way.
      WebSocket: client.WebSocket,
      logger
    }
    const built: SignalRConnection = new signalr.HubConnectionBuilder()
      .withUrl(config.url, connectionOptions)
      .withAutomaticReconnect({
        // Never null: the client's default gives up after four tries.
        nextRetryDelayInMilliseconds: (context) =>
          backoffMs(context.previousRetryCount, settings.reconnectBaseMs, settings.reconnectCapMs, Math.random())
      })
      .build()
    built.serverTimeoutInMilliseconds = settings.serverTimeoutMs
    built.keepAliveIntervalInMilliseconds = settings.keepAliveMs

    built.onreconnecting(() => {
      Queue.offerUnsafe(control, { _tag: "Reconnecting" })
    })
    built.onreconnected(() => {
      Queue.offerUnsafe(control, { _tag: "Reconnected" })
    })
    built.onclose((error) => {
      if (!closing) Queue.offerUnsafe(control, { _tag: "Closed", error: error?.message })
    })
    // Event names are matched case-insensitively: one registration only (two would fire twice).
    built.on("GatewayLogout", () => {
      Queue.offerUnsafe(control, { _tag: "Logout" })
    })
    for (const [target, handler] of handlers) built.on(target, handler)
    connectedState = signalr.HubConnectionState.Connected
    connection = built
    return built
  }

  /** The connection, built on first use (the supervisor's first connect). */
  const connectionNow = Effect.suspend(() =>
    connection !== undefined ? Effect.succeed(connection) : Effect.map(Effect.promise(loadClient), build)
  )

  const connected = () => connection !== undefined && connection.state === connectedState

  const invoke = (method: string, args: ReadonlyArray<unknown>) =>
    // Only called while connected, so the connection exists.
    Effect.tryPromise({ try: () => connection!.invoke(method, ...args), catch: (e) => e as Error })

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
    const hub = yield* connectionNow
    const result = yield* Effect.result(Effect.tryPromise(() => hub.start()))
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

  const stop = Effect.promise(() =>
    connection === undefined ? Promise.resolve() : connection.stop().catch(() => undefined)
  )

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
    on: (target, handler) => {
      if (connection === undefined) handlers.push([target, handler])
      else connection.on(target, handler)
    },
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
