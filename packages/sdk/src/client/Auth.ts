/**
 * The session: logs in with `Auth/loginKey`, reads the token's `exp`, and refreshes ahead of expiry with
 * `Auth/validate`, falling back to a new login. Refresh is single-flight: any number of concurrent
 * callers cause one login or one validate (project-x-py had no lock here and stampeded). The token is a
 * `Redacted` value; it is unwrapped only where the Authorization header is set.
 */
import { Endpoints } from "@projectx-effect/gateway"
import { Clock, Context, Effect, Layer, Option, Redacted, Ref, Semaphore } from "effect"
import { type GatewayError, ValidationError } from "./Errors.ts"
import { GatewayTransport } from "./internal/GatewayTransport.ts"
import { readJwtTimes } from "./internal/jwt.ts"
import * as Metrics from "../observability/Metrics.ts"
import { ProjectXConfig } from "./ProjectXConfig.ts"

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
    const state = yield* Ref.make<Option.Option<Session>>(Option.none())
    const counts = yield* Ref.make({ logins: 0, validations: 0 })
    const lock = yield* Semaphore.make(1)

    const sessionFrom = (token: string, now: number): Session => {
      const times = readJwtTimes(token)
      const issuedAt = times.issuedAt !== undefined && times.issuedAt <= now ? times.issuedAt : now
      const expiresAt = times.expiresAt ?? now + DEFAULT_LIFETIME_MS
      return {
        token: Redacted.make(token, { label: "ProjectX session token" }),
        issuedAt,
        expiresAt,
        refreshAt: issuedAt + (expiresAt - issuedAt) * config.refreshAt
      }
    }

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

    const refresh = lock.withPermits(1)(
      Effect.gen(function* () {
        // Whoever held the lock before us may have refreshed already.
        const now = yield* Clock.currentTimeMillis
        const current = yield* Ref.get(state)
        if (Option.isSome(current) && now < current.value.refreshAt) return current.value
        if (Option.isSome(current) && now < current.value.expiresAt) {
          return yield* doValidate(current.value).pipe(
            Effect.catch((error) =>
              Effect.logInfo(`ProjectX: Auth/validate failed (${error.message}); logging in again`).pipe(
                Effect.andThen(doLogin)
              )
            )
          )
        }
        return yield* doLogin
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
          Ref.update(state, (current) =>
            Option.isSome(current) && current.value.token === stale ? Option.none() : current
          )
        ),
      login: lock
        .withPermits(1)(doLogin)
        .pipe(Effect.flatMap((session) => Effect.map(Ref.get(counts), (c) => info(session, c)))),
      logout: Effect.gen(function* () {
        const current = yield* Ref.getAndSet(state, Option.none())
        if (Option.isNone(current)) return
        yield* orDie(transport.send(Endpoints.logout, {}, { token: current.value.token }))
      }),
      session: Effect.gen(function* () {
        const current = yield* Ref.get(state)
        const c = yield* Ref.get(counts)
        return Option.map(current, (s) => info(s, c))
      })
    })
  })

  static readonly layer = Layer.effect(Auth, Auth.make)
}
