/**
 * Lua scripts of the Redis rate-limit store: the memory store's log as one sorted set per bucket whose
 * scores are the times the permits leave the window (settled: completion + window; in flight: grant +
 * lease, so a crashed process cannot hold the budget forever), a pause key, and a FIFO of waiting
 * processes (a ticket per process head, dropped when its owner stops polling) so that processes are
 * served in arrival order. Each script runs atomically inside Redis; the keys share a hash tag.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { RateLimiterError, RateLimitStoreError } from "effect/persistence/RateLimiter"
import * as Redis from "effect/persistence/Redis"
import type { LaneKey } from "./rateLimitLane.ts"

/** @internal The keys of one bucket: its log, its pause, its member counter, its queue and the queue's heartbeats. */
export const redisKeys = (prefix: string, key: string) => {
  const base = `${prefix}{${key}}`
  return [`${base}:log`, `${base}:pause`, `${base}:seq`, `${base}:queue`, `${base}:seen`] as const
}

type Keys = ReturnType<typeof redisKeys>

/**
 * @internal Returns 0 after recording `permits` grants, else the millis to wait (> 0). A `hold` id keeps
 * them in flight (score now + lease) until `settle`; otherwise they are settled at `now`. A `ticket`
 * (one per waiting process head) queues the caller behind earlier tickets: nobody overtakes a process
 * that asked first, unless its ticket has not been refreshed for `stale` millis. A caller behind another
 * ticket is told to ask again after `stale / 100` (10 ms by default): every grant passes the head to the
 * next process, so a longer answer idles the whole budget at each hand-over (at 100 ms, four processes
 * sharing 200 per 3 s reached 62 % of the windows' throughput; at 10 ms, 99 %).
 */
export const slidingLogScript = Redis.script(
  (
    keys: Keys,
    now: number,
    window: number,
    limit: number,
    permits: number,
    hold: string,
    lease: number,
    ticket: string,
    stale: number
  ) => [...keys, now, window, limit, permits, hold, lease, ticket, stale],
  {
    numberOfKeys: 5,
    lua: `
local log, pause, seq, queue, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local permits = tonumber(ARGV[4])
local hold = ARGV[5]
local lease = tonumber(ARGV[6])
local ticket = ARGV[7]
local stale = tonumber(ARGV[8])
redis.call("ZREMRANGEBYSCORE", log, "-inf", now)
local function enqueue()
  if ticket ~= "" then
    redis.call("ZADD", queue, "NX", redis.call("INCR", seq), ticket)
    redis.call("HSET", seen, ticket, now)
    redis.call("PEXPIRE", queue, stale * 4)
    redis.call("PEXPIRE", seen, stale * 4)
  end
end
local queued = redis.call("ZRANGE", queue, 0, -1)
for _, other in ipairs(queued) do
  if other == ticket then break end
  local last = tonumber(redis.call("HGET", seen, other))
  if last and last > now - stale then
    enqueue()
    return math.max(1, math.floor(stale / 100))
  end
  redis.call("ZREM", queue, other)
  redis.call("HDEL", seen, other)
end
local wait = 0
local paused = tonumber(redis.call("GET", pause))
if paused and paused > now then wait = paused - now end
local excess = redis.call("ZCARD", log) + permits - limit
if excess > 0 then
  local oldest = redis.call("ZRANGE", log, excess - 1, excess - 1, "WITHSCORES")
  local leaves = tonumber(oldest[2]) - now
  if leaves > wait then wait = leaves end
end
if wait > 0 then
  enqueue()
  return math.ceil(wait)
end
if ticket ~= "" then
  redis.call("ZREM", queue, ticket)
  redis.call("HDEL", seen, ticket)
end
local expires = now + window
if hold ~= "" then expires = now + lease end
local last = redis.call("INCRBY", seq, permits)
for i = 1, permits do
  local member = tostring(last - permits + i)
  if hold ~= "" then member = hold .. ":" .. i end
  redis.call("ZADD", log, expires, member)
end
redis.call("PEXPIRE", log, math.max(1, math.ceil(expires - now)) + 1000)
return 0
`
  }
).withReturnType<number>()

/** @internal Settles the `permits` permits held as `hold`: they leave the window at `now + window`. */
export const slidingSettleScript = Redis.script(
  (keys: Keys, now: number, window: number, hold: string, permits: number) => [...keys, now, window, hold, permits],
  {
    numberOfKeys: 5,
    lua: `
local log = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local hold = ARGV[3]
local permits = tonumber(ARGV[4])
for i = 1, permits do
  redis.call("ZADD", log, now + window, hold .. ":" .. i)
end
if redis.call("PTTL", log) < window then redis.call("PEXPIRE", log, math.ceil(window) + 1000) end
return 1
`
  }
).withReturnType<number>()

/** @internal Extends the pause to `until` (never shortens it). */
export const slidingPauseScript = Redis.script((keys: Keys, until: number, now: number) => [...keys, until, now], {
  numberOfKeys: 5,
  lua: `
local pause = KEYS[2]
local untilms = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local current = tonumber(redis.call("GET", pause))
if untilms > now and (not current or untilms > current) then
  redis.call("SET", pause, ARGV[1], "PX", math.max(1, math.ceil(untilms - now)))
end
return 1
`
}).withReturnType<number>()

/** @internal Returns `[used, pausedUntil or 0, nextAvailableAt]`. */
export const slidingStateScript = Redis.script((keys: Keys, now: number, limit: number) => [...keys, now, limit], {
  numberOfKeys: 5,
  lua: `
local log, pause = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", log, "-inf", now)
local used = redis.call("ZCARD", log)
local paused = tonumber(redis.call("GET", pause))
if not paused or paused <= now then paused = 0 end
local nextat = now
if paused > nextat then nextat = paused end
local excess = used + 1 - limit
if excess > 0 then
  local oldest = redis.call("ZRANGE", log, excess - 1, excess - 1, "WITHSCORES")
  local leaves = tonumber(oldest[2])
  if leaves > nextat then nextat = leaves end
end
return { used, paused, math.ceil(nextat) }
`
}).withReturnType<readonly [used: number, pausedUntil: number, nextAvailableAt: number]>()

const storeError = (operation: string) => (cause: Redis.RedisError) =>
  new RateLimiterError({
    reason: new RateLimitStoreError({ message: `Redis rate-limit store: ${operation} failed`, cause })
  })

/**
 * The Redis store: one sorted set per bucket (see rateLimitRedis.ts), updated by Lua scripts so that
 * every operation is atomic across processes. Times still come from each process's `Clock`, so the
 * processes' clocks should agree (they do on one host; across hosts, NTP's few milliseconds).
 */
/** @internal The Redis store's operations (`RateLimiter.layerStoreRedis`). */
export const makeStoreRedis = Effect.fnUntraced(function* (options?: {
  readonly prefix?: string | undefined
  /** How often a waiting process asks again (default 50 ms). */
  readonly poll?: Duration.Input | undefined
  /** Longest a Redis command may take before the store counts as unreachable (default 1 s). */
  readonly timeout?: Duration.Input | undefined
}) {
  const prefix = options?.prefix ?? "projectx:ratelimiter:"
  const pollMillis = Math.max(1, Duration.toMillis(Duration.fromInputUnsafe(options?.poll ?? "50 millis")))
  const timeout = Duration.fromInputUnsafe(options?.timeout ?? "1 second")
  const redis = yield* Redis.Redis
  const take = redis.eval(slidingLogScript)
  const settle = redis.eval(slidingSettleScript)
  const pause = redis.eval(slidingPauseScript)
  const inspect = redis.eval(slidingStateScript)
  // A ticket is dropped once its process has not asked for 20 polls.
  const stale = pollMillis * 20
  const bounded = <A>(effect: Effect.Effect<A, Redis.RedisError>) =>
    Effect.timeoutOrElse(effect, {
      duration: timeout,
      orElse: () => Effect.fail(new Redis.RedisError({ cause: new Error("Redis command timed out") }))
    })
  return {
    takeSync: undefined,
    pollMillis,
    take: (bucket: LaneKey, permits: number, now: number, hold?: string, ticket?: string) =>
      Effect.mapError(
        Effect.map(
          bounded(
            take(
              redisKeys(prefix, bucket.key),
              now,
              bucket.window,
              bucket.limit,
              permits,
              hold ?? "",
              bucket.lease,
              ticket ?? "",
              stale
            )
          ),
          Number
        ),
        storeError("take")
      ),
    settle: (bucket: LaneKey, hold: string, permits: number, now: number) =>
      Effect.mapError(
        Effect.asVoid(bounded(settle(redisKeys(prefix, bucket.key), now, bucket.window, hold, permits))),
        storeError("settle")
      ),
    pause: (bucket: LaneKey, until: number, now: number) =>
      Effect.mapError(Effect.asVoid(bounded(pause(redisKeys(prefix, bucket.key), until, now))), storeError("pause")),
    inspect: (bucket: LaneKey, now: number) =>
      Effect.mapError(
        Effect.map(bounded(inspect(redisKeys(prefix, bucket.key), now, bucket.limit)), ([used, paused, next]) => ({
          used: Number(used),
          pausedUntil: Number(paused),
          nextAvailableAt: Number(next)
        })),
        storeError("inspect")
      )
  }
})
