/**
 * Lua scripts of the Redis rate-limit store: the memory store's sliding log as a sorted set of grant
 * times (score = epoch millis), plus a pause key. Each script runs atomically inside Redis, so several
 * processes can share one bucket. The three keys share a hash tag, so they live on one cluster slot.
 */
import * as Redis from "effect/persistence/Redis"

/** @internal The keys of one bucket: its log, its pause and the counter that makes log members unique. */
export const redisKeys = (prefix: string, key: string) => {
  const base = `${prefix}{${key}}`
  return [`${base}:log`, `${base}:pause`, `${base}:seq`] as const
}

/** @internal Returns 0 after recording `permits` grants at `now`, else the millis to wait (> 0). */
export const slidingLogScript = Redis.script(
  (keys: readonly [string, string, string], now: number, window: number, limit: number, permits: number) => [
    ...keys,
    now,
    window,
    limit,
    permits
  ],
  {
    numberOfKeys: 3,
    lua: `
local log, pause, seq = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local permits = tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", log, "-inf", now - window)
local wait = 0
local paused = tonumber(redis.call("GET", pause))
if paused and paused > now then wait = paused - now end
local excess = redis.call("ZCARD", log) + permits - limit
if excess > 0 then
  local oldest = redis.call("ZRANGE", log, excess - 1, excess - 1, "WITHSCORES")
  local leaves = tonumber(oldest[2]) + window - now
  if leaves > wait then wait = leaves end
end
if wait > 0 then return math.ceil(wait) end
local last = redis.call("INCRBY", seq, permits)
for i = 1, permits do
  redis.call("ZADD", log, now, tostring(last - permits + i))
end
local ttl = math.max(1, math.ceil(window))
redis.call("PEXPIRE", log, ttl)
redis.call("PEXPIRE", seq, ttl)
return 0
`
  }
).withReturnType<number>()

/** @internal Extends the pause to `until` (never shortens it). */
export const slidingPauseScript = Redis.script(
  (keys: readonly [string, string, string], until: number, now: number) => [...keys, until, now],
  {
    numberOfKeys: 3,
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
  }
).withReturnType<number>()

/** @internal Returns `[used, pausedUntil or 0, nextAvailableAt]`. */
export const slidingStateScript = Redis.script(
  (keys: readonly [string, string, string], now: number, window: number, limit: number) => [
    ...keys,
    now,
    window,
    limit
  ],
  {
    numberOfKeys: 3,
    lua: `
local log, pause = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call("ZREMRANGEBYSCORE", log, "-inf", now - window)
local used = redis.call("ZCARD", log)
local paused = tonumber(redis.call("GET", pause))
if not paused or paused <= now then paused = 0 end
local nextat = now
if paused > nextat then nextat = paused end
local excess = used + 1 - limit
if excess > 0 then
  local oldest = redis.call("ZRANGE", log, excess - 1, excess - 1, "WITHSCORES")
  local leaves = tonumber(oldest[2]) + window
  if leaves > nextat then nextat = leaves end
end
return { used, paused, math.ceil(nextat) }
`
  }
).withReturnType<readonly [used: number, pausedUntil: number, nextAvailableAt: number]>()
