/**
 * The Redis session store: the token with its times under one key that expires with the token, a lock
 * key (SET NX PX, released only by its owner) that makes login and refresh single-flight across
 * processes, and compare-and-delete so a 401 in one process forgets only the token it saw.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Redis from "effect/persistence/Redis"

/** @internal */
export interface StoredSessionJson {
  readonly token: string
  readonly issuedAt: number
  readonly expiresAt: number
}

const StoredJson = Schema.fromJsonString(
  Schema.Struct({ token: Schema.String, issuedAt: Schema.Finite, expiresAt: Schema.Finite })
)
const decode = Schema.decodeUnknownOption(StoredJson)

const unlockScript = Redis.script((lock: string, owner: string) => [lock, owner], {
  numberOfKeys: 1,
  lua: `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`
}).withReturnType<number>()

const clearScript = Redis.script((key: string, token: string) => [key, token], {
  numberOfKeys: 1,
  lua: `
local raw = redis.call("GET", KEYS[1])
if raw and cjson.decode(raw)["token"] == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`
}).withReturnType<number>()

/** @internal The store's operations over `redis`; every failure is a `RedisError` (no token in it). */
export const makeRedisSessionOps = (
  redis: Redis.Redis["Service"],
  options: { readonly key: string; readonly lockTtl: Duration.Duration; readonly poll: Duration.Duration }
) => {
  const lockKey = `${options.key}:lock`
  const unlock = redis.eval(unlockScript)
  const clear = redis.eval(clearScript)
  // Unique per process and connection; only compared for equality by the unlock script.
  const owner = crypto.randomUUID()
  const lockTtlMs = String(Math.ceil(Duration.toMillis(options.lockTtl)))
  return {
    get: Effect.map(redis.send<string | null>("GET", options.key), (raw) =>
      raw === null ? Option.none() : Option.map(decode(raw), (s) => ({ ...s, token: Redacted.make(s.token) }))
    ),
    set: (
      session: { readonly token: Redacted.Redacted<string>; readonly issuedAt: number; readonly expiresAt: number },
      now: number
    ) => {
      const ttl = Math.floor(session.expiresAt - now)
      if (ttl <= 0) return Effect.void
      const json = JSON.stringify({
        token: Redacted.value(session.token),
        issuedAt: session.issuedAt,
        expiresAt: session.expiresAt
      } satisfies StoredSessionJson)
      return Effect.asVoid(redis.send("SET", options.key, json, "PX", String(ttl)))
    },
    clear: (token: Redacted.Redacted<string>) => Effect.asVoid(clear(options.key, Redacted.value(token))),
    /** Waits for the lock (polling), runs `effect`, releases the lock whatever happens. */
    withLock: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Redis.RedisError, R> => {
      const tryLock = redis.send<string | null>("SET", lockKey, owner, "NX", "PX", lockTtlMs)
      const acquire: Effect.Effect<void, Redis.RedisError> = Effect.flatMap(tryLock, (ok) =>
        ok === "OK" ? Effect.void : Effect.andThen(Effect.sleep(options.poll), acquire)
      )
      return Effect.acquireUseRelease(
        acquire,
        () => effect,
        () => Effect.ignore(unlock(lockKey, owner))
      )
    }
  }
}
