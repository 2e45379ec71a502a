/**
 * The session: logs in with `Auth/loginKey`, reads the token's `exp`, and refreshes ahead of expiry with
 * `Auth/validate`, falling back to a new login. Refresh is single-flight: any number of concurrent
 * callers cause one login or one validate (project-x-py had no lock here and stampeded). The token is a
 * `Redacted` value; it is unwrapped only where the Authorization header is set (and, with a shared
 * `SessionStore`, where it is written to Redis). A `SessionStore` extends single-flight across
 * processes: a login or refresh happens under its lock, and whoever comes next adopts the stored
 * token. The default store shares nothing; the Redis one falls back to a local login when Redis is away.
 */
import { Endpoints } from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Redis from "effect/persistence/Redis"
import { type GatewayError, ValidationError } from "./Errors.ts"
import { GatewayTransport } from "./internal/GatewayTransport.ts"
import { readJwtTimes } from "./internal/jwt.ts"
import { makeRedisSessionOps } from "./internal/sessionRedis.ts"
import * as Metrics from "../observability/Metrics.ts"
import { ProjectXConfig } from "./ProjectXConfig.ts"
import { SharedStatus } from "./Shared.ts"

/** A session as a store keeps it: the token and its times (epoch millis). */
export interface StoredSession {
  readonly token: Redacted.Redacted<string>
  readonly issuedAt: number
  readonly expiresAt: number
}

/** The shared store failed (Redis unreachable). Never carries the token. */
export class SessionStoreError extends Schema.TaggedError<SessionStoreError>()("SessionStoreError", {
  message: Schema.String
}) {}

/**
 * Where the session is shared. `get`/`set`/`clear` read and write the one stored session; `withLock`
 * runs a login or refresh while no other sharer runs one.
 */
export class SessionStore extends Context.Service<
  SessionStore,
  {
    /** False for the default store: nothing to ask, so `Auth` skips it entirely. */
    readonly shared: boolean
    readonly get: Effect.Effect<Option.Option<StoredSession>, SessionStoreError>
    readonly set: (session: StoredSession, now: number) => Effect.Effect<void, SessionStoreError>
    /** Forgets `token` if it is still the stored one (a newer token is kept). */
    readonly clear: (token: Redacted.Redacted<string>) => Effect.Effect<void, SessionStoreError>
    readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SessionStoreError, R>
  }
>()("@projectx-effect/sdk/Auth/SessionStore") {
  /** Nothing shared: each process has its own session (the default). */
  static readonly layerMemory: Layer.Layer<SessionStore> = Layer.sync(SessionStore, () => memoryStore)

  /**
   * One session for every process using the same Redis and `key` (name the account in it). The lock
   * expires after `lockTtl` (default 1 minute) should its holder die mid-login.
   */
  static readonly layerRedis = (options: {
    readonly key: string
    readonly lockTtl?: Duration.Input | undefined
  }): Layer.Layer<SessionStore, never, Redis.Redis> =>
    Layer.effect(
      SessionStore,
      Effect.map(Effect.service(Redis.Redis), (redis) => {
        const ops = makeRedisSessionOps(redis, {
          key: options.key,
          lockTtl: Duration.fromInputUnsafe(options.lockTtl ?? "1 minute"),
          poll: Duration.millis(25)
        })
        const fail = (operation: string) => () =>
          new SessionStoreError({ message: `Redis session store: ${operation} failed` })
        return SessionStore.of({
          shared: true,
          get: Effect.mapError(ops.get, fail("get")),
          set: (session, now) => Effect.mapError(ops.set(session, now), fail("set")),
          clear: (token) => Effect.mapError(ops.clear(token), fail("clear")),
          withLock: (effect) =>
            Effect.catchIf(
              ops.withLock(effect),
              (e): e is Redis.RedisError => e instanceof Redis.RedisError,
              () => Effect.fail(fail("lock")())
            )
        })
      })
    )
}

/** What health and callers may know about the session: never the token itself. */
export interface SessionInfo {
  readonly issuedAt: number
  readonly expiresAt: number
  /** When the SDK will refresh it (a fraction `refreshAt` of its lifetime). */
  readonly refreshAt: number
  readonly logins: number
  readonly validations: number
}

interface Session {
  readonly token: Redacted.Redacted<string>
  readonly issuedAt: number
  readonly expiresAt: number
  readonly refreshAt: number
}

/** When a token carries no `exp`, assume the documented 24 hours. */
const DEFAULT_LIFETIME_MS = 24 * 60 * 60 * 1000

export class Auth extends Context.Service<
  Auth,
  {
    /** A valid token, logging in or refreshing first when needed (single-flight). */
    readonly token: Effect.Effect<Redacted.Redacted<string>, GatewayError>
    /** Forgets `token` after a 401 (a newer token obtained meanwhile is kept). */
    readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
    /** Logs in now, replacing any session. */
    readonly login: Effect.Effect<SessionInfo, GatewayError>
    /** Ends the session on the Gateway (`Auth/logout`) and forgets the token. */
    readonly logout: Effect.Effect<void, GatewayError>
    readonly session: Effect.Effect<Option.Option<SessionInfo>>
  }
>()("@projectx-effect/sdk/Auth") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ProjectXConfig
    const transport = yield* GatewayTransport
    const store = Option.getOrElse(yield* Effect.serviceOption(SessionStore), () => memoryStore)
    const status = yield* Effect.serviceOption(SharedStatus)
    const state = yield* Ref.make<Option.Option<Session>>(Option.none())
    const counts = yield* Ref.make({ logins: 0, validations: 0 })
    const lock = yield* Semaphore.make(1)

    const withTimes = (token: Redacted.Redacted<string>, issuedAt: number, expiresAt: number): Session => ({
      token,
      issuedAt,
      expiresAt,
      refreshAt: issuedAt + (expiresAt - issuedAt) * config.refreshAt
    })

    const sessionFrom = (token: string, now: number): Session => {
      const times = readJwtTimes(token)
      const issuedAt = times.issuedAt !== undefined && times.issuedAt <= now ? times.issuedAt : now
      const expiresAt = times.expiresAt ?? now + DEFAULT_LIFETIME_MS
      return withTimes(Redacted.make(token, { label: "ProjectX session token" }), issuedAt, expiresAt)
    }

    // The shared store is best effort: when it fails, this process carries on with a session of its
    // own, says so once, and shares again as soon as the store answers.
    let storeDown = false
    const storeAnswered = Effect.suspend(() => {
      if (!storeDown) return Effect.void
      storeDown = false
      if (Option.isSome(status)) status.value.report("session", false)
      return Effect.logInfo("ProjectX session: the shared store is reachable again")
    })
    const storeFailed = <A>(orElse: A) =>
      Effect.suspend(() => {
        if (storeDown) return Effect.succeed(orElse)
        storeDown = true
        if (Option.isSome(status)) status.value.report("session", true)
        return Effect.as(
          Effect.logWarning("ProjectX session: the shared store failed; this process logs in on its own"),
          orElse
        )
      })
    const shared = <A>(effect: Effect.Effect<A, SessionStoreError>, orElse: A): Effect.Effect<A> =>
      store.shared
        ? Effect.catch(
            Effect.tap(effect, () => storeAnswered),
            () => storeFailed(orElse)
          )
        : Effect.succeed(orElse)

    /** A stored session still before its refresh point, other than `stale`. */
    const adoptable = (stale: Option.Option<Session>) =>
      Effect.gen(function* () {
        const stored = yield* shared(store.get, Option.none<StoredSession>())
        if (Option.isNone(stored)) return Option.none<Session>()
        const now = yield* Clock.currentTimeMillis
        const session = withTimes(stored.value.token, stored.value.issuedAt, stored.value.expiresAt)
        if (now >= session.refreshAt) return Option.none<Session>()
        if (Option.isSome(stale) && Redacted.value(stale.value.token) === Redacted.value(session.token)) {
          return Option.none<Session>()
        }
        yield* Ref.set(state, Option.some(session))
        return Option.some(session)
      })

    const publish = (session: Session) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => shared(store.set(session, now), undefined))

    // Only GatewayErrors reach here: the requests are built from validated settings.
    const orDie = <A>(effect: Effect.Effect<A, GatewayError | ValidationError>) =>
      Effect.catchIf(effect, (e): e is ValidationError => e instanceof ValidationError, Effect.die)

    const doLogin = Effect.gen(function* () {
      const response = yield* orDie(
        transport.send(Endpoints.loginKey, { userName: config.username, apiKey: Redacted.value(config.apiKey) })
      )
      yield* Ref.update(counts, (c) => ({ ...c, logins: c.logins + 1 }))
      const now = yield* Clock.currentTimeMillis
      const session = sessionFrom(response.token, now)
      yield* Ref.set(state, Option.some(session))
      yield* Effect.logDebug("ProjectX: logged in").pipe(
        Effect.annotateLogs({ expiresAt: new Date(session.expiresAt).toISOString() })
      )
      return session
    }).pipe(
      Effect.tap(() => Metrics.recordAuthRefresh({ kind: "login", outcome: "success" })),
      Effect.tapError(() => Metrics.recordAuthRefresh({ kind: "login", outcome: "failure" })),
      Effect.withSpan("Auth.login")
    )

    const doValidate = (current: Session) =>
      Effect.gen(function* () {
        const response = yield* orDie(transport.send(Endpoints.validate, {}, { token: current.token }))
        yield* Ref.update(counts, (c) => ({ ...c, validations: c.validations + 1 }))
        const now = yield* Clock.currentTimeMillis
        const session = sessionFrom(response.newToken, now)
        yield* Ref.set(state, Option.some(session))
        yield* Effect.logDebug("ProjectX: session refreshed with Auth/validate")
        return session
      }).pipe(
        Effect.tap(() => Metrics.recordAuthRefresh({ kind: "validate", outcome: "success" })),
        Effect.tapError(() => Metrics.recordAuthRefresh({ kind: "validate", outcome: "failure" })),
        Effect.withSpan("Auth.validate")
      )

    const renew = Effect.gen(function* () {
      // Whoever held the lock before us may have refreshed already, here or in another process.
      const now = yield* Clock.currentTimeMillis
      const current = yield* Ref.get(state)
      if (Option.isSome(current) && now < current.value.refreshAt) return current.value
      const adopted = yield* adoptable(current)
      if (Option.isSome(adopted)) return adopted.value
      const renewed =
        Option.isSome(current) && now < current.value.expiresAt
          ? yield* doValidate(current.value).pipe(
              Effect.catch((error) =>
                Effect.logInfo(`ProjectX: Auth/validate failed (${error.message}); logging in again`).pipe(
                  Effect.andThen(doLogin)
                )
              )
            )
          : yield* doLogin
      yield* publish(renewed)
      return renewed
    })

    const refresh = lock.withPermits(1)(
      Effect.gen(function* () {
        const current = yield* Ref.get(state)
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(current) && now < current.value.refreshAt) return current.value
        if (!store.shared) return yield* renew
        // Another process may have a fresh token already: no lock needed to adopt it.
        const adopted = yield* adoptable(current)
        if (Option.isSome(adopted)) return adopted.value
        return yield* store
          .withLock(renew)
          .pipe(Effect.catchTag("SessionStoreError", () => Effect.andThen(storeFailed(undefined), renew)))
      })
    )

    const token = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const current = yield* Ref.get(state)
      if (Option.isSome(current) && now < current.value.refreshAt) return current.value.token
      return (yield* refresh).token
    })

    const info = (session: Session, c: { logins: number; validations: number }): SessionInfo => ({
      issuedAt: session.issuedAt,
      expiresAt: session.expiresAt,
      refreshAt: session.refreshAt,
      logins: c.logins,
      validations: c.validations
    })

    return Auth.of({
      token,
      invalidate: (stale) =>
        lock.withPermits(1)(
          Effect.andThen(
            Ref.update(state, (current) =>
              Option.isSome(current) && current.value.token === stale ? Option.none() : current
            ),
            shared(store.clear(stale), undefined)
          )
        ),
      login: lock
        .withPermits(1)(Effect.tap(doLogin, publish))
        .pipe(Effect.flatMap((session) => Effect.map(Ref.get(counts), (c) => info(session, c)))),
      logout: Effect.gen(function* () {
        const current = yield* Ref.getAndSet(state, Option.none())
        if (Option.isNone(current)) return
        yield* shared(store.clear(current.value.token), undefined)
        yield* orDie(transport.send(Endpoints.logout, {}, { token: current.value.token }))
      }),
      session: Effect.gen(function* () {
        const current = yield* Ref.get(state)
        const c = yield* Ref.get(counts)
        return Option.map(current, (s) => info(s, c))
      })
    })
  })

  /** Over the `SessionStore` in context, or none (nothing shared) when there is none. */
  static readonly layer = Layer.effect(Auth, Auth.make)
}

const memoryStore: SessionStore["Service"] = {
  shared: false,
  get: Effect.succeedNone,
  set: () => Effect.void,
  clear: () => Effect.void,
  withLock: (effect) => effect
}
