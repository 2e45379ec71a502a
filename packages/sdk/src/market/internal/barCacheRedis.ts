/**
 * The bar cache's shared tier: the same blobs as the in-process store (Arrow IPC + lz4 behind the
 * codec header), sent and read as bytes (`RedisBytes`; base64 strings cost a third more on the wire and
 * a decode per read), each with a TTL, and a byte bound kept by a Lua script that evicts the oldest
 * writes first. Failures never reach the caller: a read that fails is a miss, a write that fails is
 * skipped, and the outage is reported once.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { RedisBytes } from "../../client/Shared.ts"

/** @internal What the bar cache asks of a shared tier. */
export interface SharedTier {
  /** The blob stored under `id`, or undefined (absent, expired, or the tier is unreachable). */
  readonly get: (id: string) => Effect.Effect<Uint8Array | undefined>
  readonly set: (id: string, blob: Uint8Array, ttlMillis: number) => Effect.Effect<void>
}

// KEYS: blob, index (zset id -> write time), sizes (hash id -> bytes), total. Evicts oldest writes until
// the new blob fits under the bound; a blob larger than the bound is not stored.
// Sent with EVAL on each write (writes follow misses, which are rare and cost a History request each);
// Redis compiles a script once and keeps it by its hash.
const setScript = `
local blobKey, index, sizes, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, blob, ttl, now, max, prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local size = string.len(blob)
if size > max then return 0 end
local old = tonumber(redis.call("HGET", sizes, id))
if old then redis.call("DECRBY", total, old) end
local used = tonumber(redis.call("GET", total) or "0")
while used + size > max do
  local oldest = redis.call("ZRANGE", index, 0, 0)
  if #oldest == 0 then break end
  local victim = oldest[1]
  local bytes = tonumber(redis.call("HGET", sizes, victim) or "0")
  redis.call("DEL", prefix .. victim)
  redis.call("ZREM", index, victim)
  redis.call("HDEL", sizes, victim)
  used = tonumber(redis.call("DECRBY", total, bytes))
end
redis.call("SET", blobKey, blob, "PX", math.max(1, math.floor(ttl)))
redis.call("ZADD", index, now, id)
redis.call("HSET", sizes, id, size)
redis.call("INCRBY", total, size)
return 1
`

/** @internal */
export const makeRedisTier = (
  redis: RedisBytes["Service"],
  options: {
    readonly prefix: string
    readonly maxBytes: number
    readonly timeToLive: number
    readonly onDegraded: (degraded: boolean) => void
  }
): SharedTier => {
  const blobPrefix = `${options.prefix}blob:`
  const meta = [`${options.prefix}index`, `${options.prefix}sizes`, `${options.prefix}total`] as const
  let down = false
  const answered = Effect.suspend(() => {
    if (!down) return Effect.void
    down = false
    options.onDegraded(false)
    return Effect.logInfo("ProjectX bar cache: the shared tier is reachable again")
  })
  const failed = Effect.suspend(() => {
    if (down) return Effect.void
    down = true
    options.onDegraded(true)
    return Effect.logWarning("ProjectX bar cache: the shared tier failed; caching in this process only")
  })
  return {
    get: (id) =>
      redis.send(["GET", blobPrefix + id]).pipe(
        Effect.tap(() => answered),
        Effect.map((raw) => (raw instanceof Uint8Array ? raw : undefined)),
        Effect.catch(() => Effect.as(failed, undefined))
      ),
    set: (id, blob, ttlMillis) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        redis.send([
          "EVAL",
          setScript,
          "4",
          blobPrefix + id,
          ...meta,
          id,
          blob,
          String(Math.min(ttlMillis, options.timeToLive)),
          String(now),
          String(options.maxBytes),
          blobPrefix
        ])
      ).pipe(
        Effect.tap(() => answered),
        Effect.asVoid,
        Effect.catch(() => failed)
      )
  }
}
